# A fixture folder that is missing (a wrong PAREVM_FIXTURES) must fail the
# suite, never shrink it: parevm_fixture_dir(VAR rel) sets VAR to the folder
# and, when it does not exist, registers a test that fails naming it.
function(parevm_fixture_dir var rel)
  set(dir ${PAREVM_FIXTURES}/${rel})
  if(NOT IS_DIRECTORY ${dir})
    message(WARNING "fixture folder ${dir} is missing: its tests fail")
    string(REPLACE "/" "-" name ${rel})
    add_test(NAME fixtures/missing-${name} COMMAND ${CMAKE_COMMAND} -E echo "missing fixture folder ${dir}")
    set_tests_properties(fixtures/missing-${name} PROPERTIES FAIL_REGULAR_EXPRESSION "missing fixture folder")
  endif()
  set(${var} ${dir} PARENT_SCOPE)
endfunction()

# Unit tests: every tests/test_*.c is one executable and one CTest test.
file(GLOB unit_tests CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/test_*.c)
foreach(src ${unit_tests})
  get_filename_component(name ${src} NAME_WE)
  add_executable(${name} ${src} ${CMAKE_SOURCE_DIR}/tests/harness_main.c)
  target_link_libraries(${name} PRIVATE parevm_cli)
  target_include_directories(${name} PRIVATE ${CMAKE_SOURCE_DIR}/src/cli)
  add_test(NAME unit/${name} COMMAND ${name})
  set_tests_properties(unit/${name} PROPERTIES ENVIRONMENT "PAREVM_FIXTURES=${PAREVM_FIXTURES}")
  if(name MATCHES "parallel|rpc_server|rpc_ws|rpc_ipc|txpool|state_root_engine|test_db|test_import|test_node|test_engine")
    set_tests_properties(unit/${name} PROPERTIES LABELS parallel)
  endif()
endforeach()

# The fixture-driven unit tests must fail when their fixtures are absent
# (they once passed on nothing): run two of them on a folder that does not
# exist and expect failure.
foreach(t test_blake2f test_bls12_381_fixtures)
  add_test(NAME fixtures/absent-fails-${t} COMMAND ${t})
  set_tests_properties(fixtures/absent-fails-${t} PROPERTIES
                       ENVIRONMENT "PAREVM_FIXTURES=${CMAKE_BINARY_DIR}/no-such-fixtures" WILL_FAIL TRUE)
endforeach()

# Fixture suites: one CTest test per GeneralStateTests folder so that ctest -j
# spreads them over the cores and a failure names its folder.
parevm_fixture_dir(gst ethereum-tests/GeneralStateTests)
if(IS_DIRECTORY ${gst})
  file(GLOB gst_dirs LIST_DIRECTORIES true ${gst}/*)
  foreach(dir ${gst_dirs})
    if(IS_DIRECTORY ${dir})
      get_filename_component(d ${dir} NAME)
      add_test(NAME statetest/${d} COMMAND parevm statetest ${dir})
    endif()
  endforeach()
endif()
# State tests on which parevm once disagreed with geth's and evmone's
# runners (the BLOCKHASH and coinbase-touch conventions, README.md).
parevm_fixture_dir(regressions regressions)
add_test(NAME statetest/regressions COMMAND parevm statetest ${regressions})
# The same cases as one-block chains (alone, after a transfer to the sender,
# under a header with absurd gas and timestamp), sequential execution
# against Block-STM on 2 threads with the fallback off: rejections, receipts
# and post-states must agree. Every other case, one block variant each in
# turn (about a minute of CPU in all); under the sanitizers every 8th (ASan)
# or 32nd (TSan) case. `parevm statetest --block-stm 2 DIR` runs them all.
if(PAREVM_SANITIZE MATCHES thread)
  set(blockstm_sample 32)
elseif(PAREVM_SANITIZE)
  set(blockstm_sample 8)
else()
  set(blockstm_sample 2)
endif()
if(IS_DIRECTORY ${gst})
  file(GLOB gst_dirs LIST_DIRECTORIES true ${gst}/*)
  foreach(dir ${gst_dirs})
    if(IS_DIRECTORY ${dir})
      get_filename_component(d ${dir} NAME)
      add_test(NAME statetest-blockstm/${d}
               COMMAND parevm statetest --block-stm 2 --block-stm-sample ${blockstm_sample} ${dir})
      set_tests_properties(statetest-blockstm/${d} PROPERTIES LABELS parallel)
    endif()
  endforeach()
endif()
include(${CMAKE_SOURCE_DIR}/tests/txtests.cmake)

# Real mainnet blocks: sequential and Block-STM results must match each other
# and every header (gasUsed, logsBloom, receiptsRoot).
parevm_fixture_dir(mainnet mainnet)
if(IS_DIRECTORY ${mainnet})
  add_test(NAME replay/mainnet COMMAND parevm replay --mode both --threads 2 ${mainnet})
  set_tests_properties(replay/mainnet PROPERTIES LABELS parallel)
  add_test(NAME replay/block_hashes COMMAND ${CMAKE_SOURCE_DIR}/tests/replay_block_hashes.sh $<TARGET_FILE:parevm> ${mainnet})
endif()
# A Prague block folder whose pre-state lacks the request contracts.
add_test(NAME replay/partial_requests COMMAND ${CMAKE_SOURCE_DIR}/tests/replay_partial_requests.sh $<TARGET_FILE:parevm>)

# Malformed input of every fixture parser gives an error, never a crash.
add_test(NAME cli/bad_input COMMAND ${CMAKE_SOURCE_DIR}/tests/cli_bad_input.sh $<TARGET_FILE:parevm>)
include(${CMAKE_SOURCE_DIR}/tests/chaintests.cmake)
include(${CMAKE_SOURCE_DIR}/tests/prague.cmake)
include(${CMAKE_SOURCE_DIR}/tests/import.cmake)
include(${CMAKE_SOURCE_DIR}/tests/clients.cmake)
include(${CMAKE_SOURCE_DIR}/tests/trace.cmake)
