# Unit tests: every tests/test_*.c is one executable and one CTest test.
file(GLOB unit_tests CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/test_*.c)
foreach(src ${unit_tests})
  get_filename_component(name ${src} NAME_WE)
  add_executable(${name} ${src} ${CMAKE_SOURCE_DIR}/tests/harness_main.c)
  target_link_libraries(${name} PRIVATE parevm_cli)
  target_include_directories(${name} PRIVATE ${CMAKE_SOURCE_DIR}/src/cli)
  add_test(NAME unit/${name} COMMAND ${name})
  set_tests_properties(unit/${name} PROPERTIES ENVIRONMENT "PAREVM_FIXTURES=${PAREVM_FIXTURES}")
  if(name MATCHES "parallel|rpc_server|txpool|state_root_engine|test_db|test_import")
    set_tests_properties(unit/${name} PROPERTIES LABELS parallel)
  endif()
endforeach()

# Fixture suites: one CTest test per GeneralStateTests folder so that ctest -j
# spreads them over the cores and a failure names its folder.
set(gst ${PAREVM_FIXTURES}/ethereum-tests/GeneralStateTests)
if(EXISTS ${gst})
  file(GLOB gst_dirs LIST_DIRECTORIES true ${gst}/*)
  foreach(dir ${gst_dirs})
    if(IS_DIRECTORY ${dir})
      get_filename_component(d ${dir} NAME)
      add_test(NAME statetest/${d} COMMAND parevm statetest ${dir})
    endif()
  endforeach()
endif()
include(${CMAKE_SOURCE_DIR}/tests/txtests.cmake)

# Real mainnet blocks: sequential and Block-STM results must match each other
# and every header (gasUsed, logsBloom, receiptsRoot).
if(EXISTS ${PAREVM_FIXTURES}/mainnet)
  add_test(NAME replay/mainnet COMMAND parevm replay --mode both --threads 2 ${PAREVM_FIXTURES}/mainnet)
  set_tests_properties(replay/mainnet PROPERTIES LABELS parallel)
endif()

# Malformed input of every fixture parser gives an error, never a crash.
add_test(NAME cli/bad_input COMMAND ${CMAKE_SOURCE_DIR}/tests/cli_bad_input.sh $<TARGET_FILE:parevm>)
include(${CMAKE_SOURCE_DIR}/tests/chaintests.cmake)
include(${CMAKE_SOURCE_DIR}/tests/prague.cmake)
include(${CMAKE_SOURCE_DIR}/tests/import.cmake)
