# orb_add_plugin(NAME SOURCES...): builds an orbd plugin (orb/broker/plugin.h)
# as NAME.so, a shared module that orbd loads with --plugin=PATH/NAME.so.
#
#   find_package(orb CONFIG REQUIRED)
#   orb_add_plugin(thermostat_plugin plugin.cc)
#
# The plugin is compiled against orb's headers and linked against the shared
# libraries they use (Abseil, protobuf), but never against orb's own
# libraries: it uses orbd's copy of orb, which orbd exports. Linking orb's
# libraries into a plugin would register orb's protobuf types a second time
# in orbd, which aborts it while the plugin loads.
function(orb_add_plugin name)
  cmake_parse_arguments(ARG "" "" "SOURCES" ${ARGN})
  add_library(${name} MODULE ${ARG_SOURCES} ${ARG_UNPARSED_ARGUMENTS})
  target_link_libraries(${name} PRIVATE orb::plugin_api)
  # orbd --plugin=thermostat_plugin.so, not libthermostat_plugin.so.
  set_target_properties(${name} PROPERTIES PREFIX "")
  if(TARGET orbd)
    # Inside orb's own tree: the plugin is for this orbd (which also makes
    # the generated protocol headers it includes).
    add_dependencies(${name} orbd)
  endif()
endfunction()
