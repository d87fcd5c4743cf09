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
          include/orb/policy/acl.h lib/cmake/orb/orbConfig.cmake bin/orbctl)
  if(NOT EXISTS ${prefix}/${f})
    message(FATAL_ERROR "not installed: ${f}")
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
file(REMOVE_RECURSE ${work})
