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
