# Chain-rule fixtures: the DifficultyTests as one CTest test (fast: a few
# thousand difficulty computations).
add_test(NAME difficultytest/DifficultyTests
         COMMAND parevm difficultytest ${PAREVM_FIXTURES}/ethereum-tests/DifficultyTests)

# BlockchainTests: whole chains of blocks (header rules, ommers, the fork
# transitions, invalid blocks that must be rejected, the final state root),
# one CTest test per top-level folder.
foreach(d ValidBlocks InvalidBlocks TransitionTests)
  parevm_fixture_dir(dir ethereum-tests/BlockchainTests/${d})
  if(IS_DIRECTORY ${dir})
    add_test(NAME blocktest/${d} COMMAND parevm blocktest ${dir})
  endif()
endforeach()

# The same chains executed with Block-STM (sequential fallback off) at 1, 2,
# 4 and 8 threads, each block three times: every result must still match the
# headers and the final state.
parevm_fixture_dir(bct ethereum-tests/BlockchainTests)
if(IS_DIRECTORY ${bct})
  foreach(n 1 2 4 8)
    add_test(NAME blocktest/parallel-${n} COMMAND parevm blocktest --threads ${n} --repeat 3 ${bct})
    set_tests_properties(blocktest/parallel-${n} PROPERTIES LABELS parallel)
  endforeach()
endif()

# The project's own blockchain tests (tests/blocktests/README.md):
# sequentially, with Block-STM and through a store.
add_test(NAME blocktest/project COMMAND parevm blocktest ${CMAKE_SOURCE_DIR}/tests/blocktests)
add_test(NAME blocktest/project-parallel COMMAND parevm blocktest --threads 2 ${CMAKE_SOURCE_DIR}/tests/blocktests)
add_test(NAME chaintest/project COMMAND parevm chaintest --threads 2 ${CMAKE_SOURCE_DIR}/tests/blocktests)

# Blob parameters per fork (EIP-7594's per-transaction limit under Osaka's
# blob schedule): the execution-spec-tests' state tests. No EXISTS guard: a
# missing fixture folder fails the suite.
add_test(NAME statetest/eest-eip7594_peerdas
         COMMAND parevm statetest ${PAREVM_FIXTURES}/eest/fusaka-devnet-5/state_tests/osaka/eip7594_peerdas)

# execution-spec-tests' config.chainid and config.blobSchedule in a fixture
# (tests/blocktest_config.sh): blocktest and chaintest run the chain under them.
parevm_fixture_dir(bcexample ethereum-tests/BlockchainTests/ValidBlocks/bcExample)
if(IS_DIRECTORY ${bcexample})
  add_test(NAME blocktest/config COMMAND ${CMAKE_SOURCE_DIR}/tests/blocktest_config.sh $<TARGET_FILE:parevm>
                                         ${PAREVM_FIXTURES})
endif()
