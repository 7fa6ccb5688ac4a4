# Prague/Osaka transaction and EVM rules (EIP-7702, EIP-7623, EIP-7939,
# EIP-7825, EIP-7594): the project's own state and transaction tests, whose
# expectations were cross-checked with ethereumjs (tests/statetests/README.md),
# and the execution-spec-tests fixtures of these EIPs. A missing folder fails
# its test rather than shrinking the suite.
add_test(NAME statetest/project COMMAND parevm statetest ${CMAKE_SOURCE_DIR}/tests/statetests)
add_test(NAME txtest/project COMMAND parevm txtest ${CMAKE_SOURCE_DIR}/tests/txtests)
# statetest --trace names the new opcode
add_test(NAME statetest/trace_clz
         COMMAND sh -c "out=$(\"$0\" statetest --trace --fork Osaka \"$1\" 2>&1) || exit 1; printf '%s\\n' \"$out\" | grep -q '\"opName\":\"CLZ\"'"
                 $<TARGET_FILE:parevm> ${CMAKE_SOURCE_DIR}/tests/statetests/clz_values.json)
set(eest_osaka ${PAREVM_FIXTURES}/eest/fusaka-devnet-5/state_tests/osaka)
foreach(d eip7939_count_leading_zeros eip7825_transaction_gas_limit_cap eip7594_peerdas
          eip7951_p256verify_precompiles eip7823_modexp_upper_bounds eip7883_modexp_gas_increase)
  add_test(NAME eest/osaka/${d} COMMAND parevm statetest ${eest_osaka}/${d})
endforeach()
