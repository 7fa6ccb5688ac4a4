# Tracing (src/trace): the opcode logger's structLogs must agree step for
# step (pc, op, gas, depth, stack) with the EIP-3155 trace of the same
# execution, and each gasCost with the gas the next step has, over a set of
# GeneralStateTests folders (Cancun rules: one fork keeps it quick) and the
# project's own EIP-7702 state tests; the trace command and statetest's
# tracer options. A missing folder fails its
# test rather than shrinking the suite.
set(gst_trace ${PAREVM_FIXTURES}/ethereum-tests/GeneralStateTests)
foreach(d stCallCodes stRevertTest stCreate2 stSStoreTest stRefundTest stReturnDataTest
          stSystemOperationsTest stPreCompiledContracts stSelfBalance stLogTests stCreateTest
          stDelegatecallTestHomestead stEIP150Specific stInitCodeTest Shanghai stCodeSizeLimit
          stZeroCallsRevert stEIP3607)
  add_test(NAME trace/check/${d} COMMAND parevm statetest --fork Cancun --check-trace ${gst_trace}/${d})
endforeach()
# the stack-limit tests trace 1024-deep stacks for hundreds of thousands of
# steps: a few of them, and stMemoryTest without its stackLimit* cases
foreach(f underflowTest stackOverflowSWAP stacksanitySWAP stackOverflow)
  add_test(NAME trace/check/stStackTests/${f}
           COMMAND parevm statetest --fork Cancun --check-trace ${gst_trace}/stStackTests/${f}.json)
endforeach()
add_test(NAME trace/check/stMemoryTest
         COMMAND parevm statetest --fork Cancun --check-trace --run "^([^s]|s[^t])" ${gst_trace}/stMemoryTest)
add_test(NAME trace/check/project COMMAND parevm statetest --check-trace ${CMAKE_SOURCE_DIR}/tests/statetests)
add_test(NAME trace/cli COMMAND ${CMAKE_SOURCE_DIR}/tests/trace_cli.sh $<TARGET_FILE:parevm> ${CMAKE_SOURCE_DIR})
# parevm t8n (geth's evm t8n): its command line and errors, and every
# BlockchainTests chain replayed block by block through it as the
# execution-spec-tests' fillers drive a client, each result against the
# block's header (tests/tools/t8n_chain.mjs; needs node, never skipped)
add_test(NAME t8n/cli COMMAND ${CMAKE_SOURCE_DIR}/tests/t8n_cli.sh $<TARGET_FILE:parevm>)
# parevm run (geth's evm run): hand-assembled code, its context, gas and errors
add_test(NAME run/cli COMMAND ${CMAKE_SOURCE_DIR}/tests/run_cli.sh $<TARGET_FILE:parevm>)
find_program(PAREVM_T8N_NODEJS node)
if(PAREVM_T8N_NODEJS)
  add_test(NAME t8n/BlockchainTests
           COMMAND ${PAREVM_T8N_NODEJS} ${CMAKE_SOURCE_DIR}/tests/tools/t8n_chain.mjs $<TARGET_FILE:parevm>
                   ${PAREVM_FIXTURES}/ethereum-tests/BlockchainTests)
else()
  add_test(NAME t8n/BlockchainTests COMMAND ${CMAKE_COMMAND} -E echo "node (nodejs) not found: install it (scripts/install-deps.sh npm)")
  set_tests_properties(t8n/BlockchainTests PROPERTIES FAIL_REGULAR_EXPRESSION "not found")
endif()
set_tests_properties(t8n/BlockchainTests PROPERTIES TIMEOUT 600)
