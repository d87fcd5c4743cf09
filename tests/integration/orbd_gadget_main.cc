// orbd_gadget: a program of its own built on RunDaemon (orb/broker/daemon.h)
// with two services, the blog and "gadget" (the test-only type of
// gadget.h), so the daemon's signal handling and drain can be tested with
// calls that take as long as a test needs, and RunDaemon is tested as a
// program that keeps its own main uses it.
#include <memory>

#include "orb/broker/daemon.h"
#include "orb/demo/blog.h"
#include "tests/integration/gadget.h"

int main(int argc, char** argv) {
  return orb::broker::RunDaemon(
      argc, argv,
      {{"blog", orb::demo::RegisterBlogTypes, [] { return orb::demo::MakeBlog(); }},
       {"gadget", orb::testing::RegisterGadget, [] {
          // Announces each blocking call's start on stderr, where the drain
          // tests wait for it.
          return std::make_shared<orb::testing::Gadget>(
              std::make_shared<orb::testing::Switchboard>(/*announce_starts=*/true));
        }}});
}
