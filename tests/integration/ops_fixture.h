// Helpers for the operations tests (TLS, reload, audit, faults): file
// helpers and small call helpers over tests/testing/broker_server.h.
#ifndef ORB_TESTS_INTEGRATION_OPS_FIXTURE_H_
#define ORB_TESTS_INTEGRATION_OPS_FIXTURE_H_

#include <signal.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <thread>
#include <vector>
#include <memory>
#include <sstream>
#include <string>
#include <utility>

#include "orb/broker/broker_core.h"
#include "orb/demo/blog.h"
#include "orb/broker/server.h"
#include "orb/broker/type_registry.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "orb/v1/admin.grpc.pb.h"
#include "orb/v1/broker.grpc.pb.h"
#include "orb/policy/authn.h"
#include "orb/policy/policy_loader.h"
#include "tests/testing/orbd_process.h"
#include "tests/testing/broker_server.h"
#include "tests/testing/builders.h"
#include "tests/testing/test_support.h"


namespace orb::testing {

using orb::broker::BrokerCore;
using orb::broker::Object;
using orb::broker::TypeRegistry;


// A client context with a deadline and, optionally, a bearer token.
inline std::unique_ptr<grpc::ClientContext> Context(const std::string& token = "",
                                                    std::chrono::milliseconds deadline =
                                                        std::chrono::seconds(10)) {
  auto context = std::make_unique<grpc::ClientContext>();
  if (!token.empty()) context->AddMetadata("authorization", "Bearer " + token);
  context->set_deadline(std::chrono::system_clock::now() + deadline);
  return context;
}

inline grpc::Status OpenSession(v1::ObjectBroker::Stub& stub, const std::string& token,
                                v1::OpenSessionResponse* response) {
  v1::OpenSessionRequest request;
  request.set_client_name("ops-test");
  return stub.OpenSession(Context(token).get(), request, response);
}


}  // namespace orb::testing

#endif  // ORB_TESTS_INTEGRATION_OPS_FIXTURE_H_
