// orbd: the broker daemon, serving the demo blog (docs/quickstart.md).
// Everything it does is RunDaemon (orb/broker/daemon.h), which a program
// serving its own types calls the same way.
#include "orb/broker/daemon.h"
#include "orb/demo/blog.h"

int main(int argc, char** argv) {
  return orb::broker::RunDaemon(
      argc, argv, {{"blog", orb::demo::RegisterBlogTypes, [] { return orb::demo::MakeBlog(); }}});
}
