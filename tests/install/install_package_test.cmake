# Installs the built tree into a fresh prefix, then configures and builds
# the outside projects under examples/ that use find_package(orb CONFIG)
# against that prefix only. Run by ctest (install_package_test) with
# ORB_BINARY_DIR, ORB_SOURCE_DIR and ORB_GENERATOR set.
set(work ${ORB_BINARY_DIR}/install-test)
file(REMOVE_RECURSE ${work})
set(prefix ${work}/prefix)

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
endfunction()

run(${CMAKE_COMMAND} --install ${ORB_BINARY_DIR} --prefix ${prefix})
foreach(f include/orb/client/client.h include/orb/client/value.h include/orb/client/errors.h
          include/orb/v1/broker.pb.h include/orb/broker/broker_core.h
          include/orb/policy/acl.h include/orb/broker/plugin.h include/orb/broker/version.h
          lib/cmake/orb/orbConfig.cmake lib/cmake/orb/orbPlugin.cmake bin/orbctl bin/orbd)
  if(NOT EXISTS ${prefix}/${f})
    message(FATAL_ERROR "not installed: ${f}")
  endif()
endforeach()
# Only the public include trees are installed: no private header of
# broker/, policy/ or base/ (hot-path internals, tables, the gate).
foreach(f include/orb/broker/handle_table.h include/orb/broker/session_table.h
          include/orb/broker/policy_reloader.h include/orb/broker/service
          include/orb/policy/gate.h include/orb/policy/authorizer.h include/orb/policy/sync.h
          include/orb/base include/base include/broker include/policy)
  if(EXISTS ${prefix}/${f})
    message(FATAL_ERROR "private file installed: ${f}")
  endif()
endforeach()
file(GLOB_RECURSE installed_headers RELATIVE ${prefix}/include ${prefix}/include/orb/broker/*.h
     ${prefix}/include/orb/policy/*.h ${prefix}/include/orb/demo/*.h)
list(REMOVE_ITEM installed_headers orb/broker/version.h)   # generated from broker/version.h.in
foreach(h ${installed_headers})
  if(NOT EXISTS ${ORB_SOURCE_DIR}/broker/include/${h} AND NOT EXISTS ${ORB_SOURCE_DIR}/policy/include/${h}
     AND NOT EXISTS ${ORB_SOURCE_DIR}/broker/demo/include/${h})
    message(FATAL_ERROR "installed header ${h} is not in a public include tree")
  endif()
endforeach()
# Private client sources stay private.
if(EXISTS ${prefix}/include/orb/client/src OR EXISTS ${prefix}/include/client)
  message(FATAL_ERROR "private client files were installed")
endif()

foreach(example client embed)
  set(src ${ORB_SOURCE_DIR}/examples/${example})
  if(NOT EXISTS ${src}/CMakeLists.txt)
    continue()
  endif()
  run(${CMAKE_COMMAND} -S ${src} -B ${work}/${example} -G ${ORB_GENERATOR}
      -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_BUILD_TYPE=Release)
  run(${CMAKE_COMMAND} --build ${work}/${example})
  message(STATUS "examples/${example} builds against the installed package")
endforeach()

# The thermostat plugin, built against the installed package only, served
# by the installed orbd with TLS, the audit log and SIGHUP reload (the
# thermostat cases of orbd_plugin_test, pointed at these two files).
if(EXISTS ${work}/embed/thermostat_plugin.so)
  run(${CMAKE_COMMAND} -E env ORB_PLUGIN_TEST_ORBD=${prefix}/bin/orbd
      ORB_PLUGIN_TEST_THERMOSTAT=${work}/embed/thermostat_plugin.so
      ${ORB_BINARY_DIR}/tests/integration_orbd_plugin_test
      --gtest_filter=ThermostatPluginTest.*:OrbdPlugin.ServicesJoinOrbdsOwn)
  message(STATUS "a plugin built against the installed package runs in the installed orbd")
else()
  message(FATAL_ERROR "examples/embed built no thermostat_plugin.so")
endif()

# Embedding from outside, even before examples/embed exists: a broker
# serving the demo on port 0, built against orb::broker and orb::demo only.
file(WRITE ${work}/embed-smoke/CMakeLists.txt [=[
cmake_minimum_required(VERSION 3.22)
project(orb_embed_smoke LANGUAGES CXX)
set(CMAKE_CXX_STANDARD 17)
find_package(orb CONFIG REQUIRED)
add_executable(embed_smoke main.cc)
target_link_libraries(embed_smoke PRIVATE orb::broker orb::demo)
]=])
file(WRITE ${work}/embed-smoke/main.cc [=[
#include <memory>
#include "orb/broker/broker_core.h"
#include "orb/demo/blog.h"
#include "orb/broker/server.h"
#include "orb/broker/type_registry.h"
#include "orb/policy/policy_loader.h"
int main() {
  auto registry = std::make_shared<orb::broker::TypeRegistry>();
  if (!orb::demo::RegisterBlogTypes(*registry).ok()) return 1;
  orb::policy::LoadResult policy =
      orb::policy::CompilePolicyText("authentication { allow_anonymous: true }", "inline");
  if (!policy.errors.empty()) return 1;
  orb::broker::BrokerCore core(registry, orb::demo::MakeBlog(), policy.policy, orb::broker::BrokerCore::Options());
  orb::broker::ServerOptions options;
  options.listen = "127.0.0.1:0";
  auto server = orb::broker::Server::Start(&core, options);
  if (!server.ok() || (*server)->port() == 0) return 1;
  (*server)->Shutdown();
  return 0;
}
]=])
run(${CMAKE_COMMAND} -S ${work}/embed-smoke -B ${work}/embed-smoke/build -G ${ORB_GENERATOR}
    -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_BUILD_TYPE=Release)
run(${CMAKE_COMMAND} --build ${work}/embed-smoke/build)
run(${work}/embed-smoke/build/embed_smoke)
message(STATUS "orb::broker embeds from outside")

file(REMOVE_RECURSE ${work})
