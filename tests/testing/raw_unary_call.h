// One unary gRPC call with raw request bytes, for tests that must send what
// no generated stub would (malformed messages, unknown methods).
#ifndef ORB_TESTS_TESTING_RAW_UNARY_CALL_H_
#define ORB_TESTS_TESTING_RAW_UNARY_CALL_H_

#include <condition_variable>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"

namespace orb::testing {

// Calls `method` (e.g. "/orb.v1.ObjectBroker/GetAttr") with `request` as the
// serialized message and blocks until the answer. On OK, *response (when not
// null) holds the response bytes; a response that cannot be read is
// INTERNAL. `context` carries metadata and the deadline.
// Thread safety: as the stub's; one call per context.
inline grpc::Status RawUnaryCall(grpc::GenericStub& stub, grpc::ClientContext* context,
                                 const std::string& method, const std::string& request,
                                 std::string* response) {
  grpc::Slice slice(request);
  grpc::ByteBuffer in(&slice, 1);
  grpc::ByteBuffer out;
  // std::mutex and a condition variable: ThreadSanitizer sees them (see
  // tests/static/check_visible_locks.sh).
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  grpc::Status status;
  // Publishes what this thread wrote so far to the callback's thread in a
  // way ThreadSanitizer sees: gRPC hands the call over in uninstrumented
  // code.
  { std::lock_guard<std::mutex> publish(mu); }
  stub.UnaryCall(context, method, grpc::StubOptions(), &in, &out, [&](grpc::Status s) {
    std::lock_guard<std::mutex> lock(mu);
    status = std::move(s);
    done = true;
    cv.notify_one();
  });
  std::unique_lock<std::mutex> lock(mu);
  cv.wait(lock, [&] { return done; });
  if (status.ok() && response != nullptr) {
    response->clear();
    std::vector<grpc::Slice> slices;
    if (!out.Dump(&slices).ok()) {
      return grpc::Status(grpc::StatusCode::INTERNAL, "unreadable response");
    }
    for (const grpc::Slice& s : slices) {
      response->append(reinterpret_cast<const char*>(s.begin()), s.size());
    }
  }
  return status;
}

}  // namespace orb::testing

#endif  // ORB_TESTS_TESTING_RAW_UNARY_CALL_H_
