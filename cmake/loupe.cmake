# loupe_module(<name> [DEPS <targets...>] [PRIVATE_DEPS <targets...>] [TEST_DEPS <targets...>]
#              [HTTP_DEPS <targets...>] [HTTP_TEST_DEPS <targets...>]
#              [CLI_DEPS <targets...>] [CLI_TEST_DEPS <targets...>] [PORTS_DEPS <targets...>])
# The edge rule of every module (docs/architecture.md): src/<name>/ holds the domain,
# src/<name>/http/ its routes, src/<name>/cli/ its commands.
#   src/<name>/ports/*.cc -> static library loupe_<name>_ports: the interfaces the module needs
#                           from others (who implement them), linking loupe_core and PORTS_DEPS
#   src/<name>/*.cc      -> static library loupe_<name> (DEPS public, PRIVATE_DEPS private;
#                           its ports library public)
#   src/<name>/http/*.cc -> static library loupe_<name>_http, linking loupe_server, loupe_<name>
#                           and HTTP_DEPS (all public: route headers show their types)
#   src/<name>/cli/*.cc  -> static library loupe_<name>_cli, linking loupe_cli and CLI_DEPS
#                           (public; commands are HTTP clients, so not loupe_<name> by default)
# Each directory's *_test.cc become one test binary registered with CTest:
#   loupe_<name>_test (test `<name>`), loupe_<name>_http_test (`<name>_http`),
#   loupe_<name>_cli_test (`<name>_cli`), linking their library and the matching *TEST_DEPS.
# A directory without sources makes no library (a module may be routes only).
function(loupe_module name)
  cmake_parse_arguments(ARG "" ""
                        "DEPS;PRIVATE_DEPS;TEST_DEPS;HTTP_DEPS;HTTP_TEST_DEPS;CLI_DEPS;CLI_TEST_DEPS;PORTS_DEPS"
                        ${ARGN})
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "loupe_module(${name}): unknown arguments ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  set(dir ${CMAKE_CURRENT_SOURCE_DIR})

  _loupe_sources(${dir}/ports ports_sources ports_tests)
  set(ports_lib "")
  if(ports_sources)
    set(ports_lib loupe_${name}_ports)
    add_library(${ports_lib} STATIC ${ports_sources})
    target_include_directories(${ports_lib} PUBLIC ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(${ports_lib} PUBLIC loupe_core ${ARG_PORTS_DEPS})
    _loupe_tests(${name}_ports "${ports_tests}" ${ports_lib})
  endif()

  _loupe_sources(${dir} sources tests)
  if(sources)
    add_library(loupe_${name} STATIC ${sources})
    target_include_directories(loupe_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(loupe_${name} PUBLIC ${ports_lib} ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
    _loupe_tests(${name} "${tests}" loupe_${name} ${ARG_PRIVATE_DEPS} ${ARG_TEST_DEPS})
  endif()

  _loupe_sources(${dir}/http http_sources http_tests)
  if(http_sources)
    add_library(loupe_${name}_http STATIC ${http_sources})
    set(http_deps loupe_server)
    if(sources)
      list(APPEND http_deps loupe_${name})
    endif()
    target_link_libraries(loupe_${name}_http PUBLIC ${http_deps} ${ARG_HTTP_DEPS})
    _loupe_tests(${name}_http "${http_tests}" loupe_${name}_http ${ARG_HTTP_TEST_DEPS})
  endif()

  _loupe_sources(${dir}/cli cli_sources cli_tests)
  if(cli_sources)
    add_library(loupe_${name}_cli STATIC ${cli_sources})
    target_link_libraries(loupe_${name}_cli PUBLIC loupe_cli ${ARG_CLI_DEPS})
    _loupe_tests(${name}_cli "${cli_tests}" loupe_${name}_cli ${ARG_CLI_TEST_DEPS})
  endif()
endfunction()

# The *.cc of `dir` (not recursive): non-tests into `out_sources`, *_test.cc into `out_tests`.
function(_loupe_sources dir out_sources out_tests)
  file(GLOB all CONFIGURE_DEPENDS ${dir}/*.cc)
  set(sources "")
  set(tests "")
  foreach(f ${all})
    if(f MATCHES "_test\\.cc$")
      list(APPEND tests ${f})
    else()
      list(APPEND sources ${f})
    endif()
  endforeach()
  set(${out_sources} ${sources} PARENT_SCOPE)
  set(${out_tests} ${tests} PARENT_SCOPE)
endfunction()

# Test binary loupe_<test>_test from `tests`, registered with CTest as `<test>`.
function(_loupe_tests test tests)
  if(NOT LOUPE_BUILD_TESTS OR NOT tests)
    return()
  endif()
  add_executable(loupe_${test}_test ${tests})
  target_link_libraries(loupe_${test}_test PRIVATE ${ARGN} GTest::gmock GTest::gtest_main)
  add_test(NAME ${test} COMMAND loupe_${test}_test)
  set_tests_properties(${test} PROPERTIES ENVIRONMENT
                       "LOUPE_SOURCE_DIR=${PROJECT_SOURCE_DIR};LOUPE_BINARY_DIR=${PROJECT_BINARY_DIR}")
  loupe_engine_variant(${test} loupe_${test}_test ${tests})
endfunction()

# loupe_engine_variant(<test> <target> <sources...>): if a source opens its database through
# the test helpers of db/testing.h (directly or
# through a fixture that does), registers CTest `<test>_postgres`: the same binary, run with
# LOUPE_TEST_DB=postgres, so every database test holds on both engines.
function(loupe_engine_variant test target)
  set(uses_db FALSE)
  foreach(f ${ARGN})
    file(READ ${f} text)
    if(text MATCHES "OpenTestDatabase|support/foundation\\.h|store/testing\\.h|review/testing\\.h|notifier_test_fixture\\.h")
      set(uses_db TRUE)
    endif()
  endforeach()
  if(uses_db)
    add_test(NAME ${test}_postgres COMMAND ${target})
    set_tests_properties(${test}_postgres PROPERTIES ENVIRONMENT
                         "LOUPE_TEST_DB=postgres;LOUPE_SOURCE_DIR=${PROJECT_SOURCE_DIR};LOUPE_BINARY_DIR=${PROJECT_BINARY_DIR}")
  endif()
endfunction()
