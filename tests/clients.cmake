# Real Ethereum clients from npm against `parevm node --dev` (issue 11):
# viem, ethers and Foundry's cast drive the node unmodified; bad input over
# HTTP; the differential against anvil (anvil_diff); blob sidecars made by
# kzg-wasm through the pool's KZG checks (blobs); the dev state file against
# anvil's (state_file); a dev chain on a --datadir killed at random moments,
# its history replayed after each restart (dev_restart); the differential
# against anvil on a chain before the Merge (anvil_diff_london); the dev
# chain's blocks imported by another store, Frontier to Osaka
# (dev_chain_valid); anvil's command-line names on both nodes
# (anvil_flags); viem, ethers and cast over the IPC socket (ipc);
# console.log's messages against anvil's (console_log); forge script
# --broadcast, forge test --fork-url and anvil --fork-url on the node (forge);
# anvil's block report and --print-traces against parevm's (print_traces). The
# scripts (tests/clients/*.mjs) start and stop their own nodes on free
# loopback ports. They need node and
# the tools scripts/install-npm-tools.sh puts into .npm-tools/ (`make test`
# installs them); without either they FAIL, they are never skipped.
find_program(PAREVM_NODEJS node)
set(npm_tools ${CMAKE_SOURCE_DIR}/.npm-tools)
foreach(t viem ethers cast bad_input anvil_diff blobs ws ipc console_log state_file dev_restart anvil_diff_london dev_chain_valid anvil_flags forge
          print_traces)
  if(PAREVM_NODEJS)
    add_test(NAME clients/${t}
             COMMAND ${PAREVM_NODEJS} ${CMAKE_SOURCE_DIR}/tests/clients/${t}.mjs
                     --parevm $<TARGET_FILE:parevm> --tools ${npm_tools})
  else()
    add_test(NAME clients/${t} COMMAND ${CMAKE_COMMAND} -E echo "node (nodejs) not found: install it (scripts/install-deps.sh npm)")
    set_tests_properties(clients/${t} PROPERTIES FAIL_REGULAR_EXPRESSION "not found")
  endif()
  set_tests_properties(clients/${t} PROPERTIES TIMEOUT 600 LABELS clients)
endforeach()
# The differential against anvil again with both on earlier rules
# (--dev.hardfork, anvil's --hardfork): no set-code transactions before
# Prague, blob sidecars with one proof per blob before Osaka.
foreach(f cancun prague)
  if(PAREVM_NODEJS)
    add_test(NAME clients/anvil_diff_${f}
             COMMAND ${PAREVM_NODEJS} ${CMAKE_SOURCE_DIR}/tests/clients/anvil_diff.mjs
                     --parevm $<TARGET_FILE:parevm> --tools ${npm_tools} --hardfork ${f})
  else()
    add_test(NAME clients/anvil_diff_${f} COMMAND ${CMAKE_COMMAND} -E echo "node (nodejs) not found: install it (scripts/install-deps.sh npm)")
    set_tests_properties(clients/anvil_diff_${f} PROPERTIES FAIL_REGULAR_EXPRESSION "not found")
  endif()
  set_tests_properties(clients/anvil_diff_${f} PROPERTIES TIMEOUT 600 LABELS clients)
endforeach()

# Randomized EVM differentials with fixed seeds (tests/tools/evm_fuzz): random
# programs as state tests whose expectations EthereumJS computes, for every
# fork from Frontier to Osaka (ejs), with runs of field arithmetic on one
# modulus (ejs_arith), and with their EIP-3155 traces and
# structLogs compared step by step with EthereumJS's (ejs_trace); the fixtures' state tests with their
# code, pre-state and transaction mutated, also as blocks run sequentially
# and with Block-STM (ejs_mutate); chains of random blocks that EthereumJS
# builds, Frontier to BPO2 and the transitions, run by blocktest, Block-STM,
# chaintest and (from the Merge, as Engine API payloads) enginetest
# (ejs_blocks); every precompile on inputs built to reach its arithmetic
# (points in and out of the subgroups, signatures, MODEXP lengths), Byzantium
# to Osaka (precompiles); and traced step by step against revm in anvil from
# London on (anvil_<fork>). Other seeds: run the scripts by hand.
set(evm_fuzz ${CMAKE_SOURCE_DIR}/tests/tools/evm_fuzz)
if(PAREVM_NODEJS)
  add_test(NAME differential/ejs
           COMMAND ${PAREVM_NODEJS} ${evm_fuzz}/ejs.mjs $<TARGET_FILE:parevm> --ejs ${npm_tools}
                   --cases 750 --ops 60 --seed 1)
  add_test(NAME differential/ejs_trace
           COMMAND ${PAREVM_NODEJS} ${evm_fuzz}/ejs.mjs $<TARGET_FILE:parevm> --ejs ${npm_tools}
                   --cases 150 --ops 60 --seed 2 --trace)
  # programs with runs of MULMOD/ADDMOD/MOD/DIV on one modulus (field
  # primes among them): MULMOD's Barrett path for a repeated modulus
  add_test(NAME differential/ejs_arith
           COMMAND ${PAREVM_NODEJS} ${evm_fuzz}/ejs.mjs $<TARGET_FILE:parevm> --ejs ${npm_tools}
                   --cases 300 --ops 30 --seed 3 --arith)
  add_test(NAME differential/ejs_mutate
           COMMAND ${PAREVM_NODEJS} ${evm_fuzz}/ejs_mutate.mjs $<TARGET_FILE:parevm> --ejs ${npm_tools}
                   --cases 400 --seed 1 --stm-threads 2 --tests ${PAREVM_FIXTURES}/ethereum-tests/GeneralStateTests
                   --tests ${PAREVM_FIXTURES}/eest)
  add_test(NAME differential/ejs_blocks
           COMMAND ${PAREVM_NODEJS} ${evm_fuzz}/ejs_blocks.mjs $<TARGET_FILE:parevm> --ejs ${npm_tools}
                   --cases 174 --ops 40 --seed 1)
  add_test(NAME differential/precompiles
           COMMAND ${PAREVM_NODEJS} ${evm_fuzz}/precompiles.mjs $<TARGET_FILE:parevm> --ejs ${npm_tools}
                   --cases 180 --inputs 8 --seed 1)
  # transactions of every type, Frontier to Osaka, changed field by field and
  # byte by byte: t9n's verdict, sender, hash and intrinsic gas against
  # EthereumJS's and the fields' shapes by the EIPs
  add_test(NAME differential/ejs_tx
           COMMAND ${PAREVM_NODEJS} ${evm_fuzz}/ejs_tx.mjs $<TARGET_FILE:parevm> --ejs ${npm_tools}
                   --cases 3000 --seed 1)
  # The BlockchainTests from the Merge on as Engine API payloads (side
  # branches through forkchoice reorgs), run by enginetest
  add_test(NAME engine/BlockchainTests
           COMMAND ${PAREVM_NODEJS} ${CMAKE_SOURCE_DIR}/tests/tools/blocktests_engine.mjs $<TARGET_FILE:parevm>
                   --ejs ${npm_tools} ${PAREVM_FIXTURES}/ethereum-tests/BlockchainTests)
  set_tests_properties(engine/BlockchainTests PROPERTIES TIMEOUT 600 LABELS clients)
  # again with the state root worked out in rounds while each block
  # executes, chained on the previous block while its write goes on
  add_test(NAME engine/BlockchainTests-preroot
           COMMAND ${PAREVM_NODEJS} ${CMAKE_SOURCE_DIR}/tests/tools/blocktests_engine.mjs $<TARGET_FILE:parevm>
                   --ejs ${npm_tools} --preroot on ${PAREVM_FIXTURES}/ethereum-tests/BlockchainTests)
  set_tests_properties(engine/BlockchainTests-preroot PROPERTIES TIMEOUT 600 LABELS clients)
  foreach(fork london cancun prague osaka)
    add_test(NAME differential/anvil_${fork}
             COMMAND ${PAREVM_NODEJS} ${evm_fuzz}/anvil.mjs $<TARGET_FILE:parevm> --fork ${fork}
                     --cases 30 --seed 2 --anvil ${npm_tools}/node_modules/.bin/anvil)
  endforeach()
else()
  foreach(t BlockchainTests BlockchainTests-preroot)
    add_test(NAME engine/${t} COMMAND ${CMAKE_COMMAND} -E echo "node (nodejs) not found: install it (scripts/install-deps.sh npm)")
    set_tests_properties(engine/${t} PROPERTIES FAIL_REGULAR_EXPRESSION "not found")
  endforeach()
  foreach(t ejs ejs_trace ejs_arith ejs_mutate ejs_blocks precompiles ejs_tx)
    add_test(NAME differential/${t} COMMAND ${CMAKE_COMMAND} -E echo "node (nodejs) not found: install it (scripts/install-deps.sh npm)")
    set_tests_properties(differential/${t} PROPERTIES FAIL_REGULAR_EXPRESSION "not found")
  endforeach()
endif()
get_property(all_tests DIRECTORY PROPERTY TESTS)
foreach(t ${all_tests})
  if(t MATCHES "^differential/")
    set_tests_properties(${t} PROPERTIES TIMEOUT 600 LABELS clients)
  endif()
endforeach()
