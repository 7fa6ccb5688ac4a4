# The chain layer on the store: init + import (issue 10).
# Every BlockchainTests test through init + import into a fresh datadir,
# the state root checked at every block; then with root checks every 3
# blocks (the re-run path finds the first invalid block) on Block-STM. No
# EXISTS guard: a missing fixture folder fails the suite.
set(bct ${PAREVM_FIXTURES}/ethereum-tests/BlockchainTests)
add_test(NAME chaintest/BlockchainTests COMMAND parevm chaintest --threads 2 ${bct})
add_test(NAME chaintest/root-every-3 COMMAND parevm chaintest --threads 2 --root-every 3 ${bct})
# and with each root checked on the importing thread, on the unwritten state
# of the parent while the committer writes it (import's default)
add_test(NAME chaintest/root-first COMMAND parevm chaintest --threads 2 --root-first ${bct})
set_tests_properties(chaintest/BlockchainTests chaintest/root-every-3 chaintest/root-first PROPERTIES LABELS parallel)

# init/import on the command line: mainnet's genesis hash, bad input.
add_test(NAME import/init_cli COMMAND ${CMAKE_SOURCE_DIR}/tests/import/init_cli.sh $<TARGET_FILE:parevm> ${CMAKE_SOURCE_DIR})
# export: a store's blocks back as the imported file; gzip chain files.
add_test(NAME import/export_cli COMMAND ${CMAKE_SOURCE_DIR}/tests/import/export_cli.sh $<TARGET_FILE:parevm>)
add_test(NAME import/node_cli COMMAND ${CMAKE_SOURCE_DIR}/tests/import/node_cli.sh $<TARGET_FILE:parevm>)

# Crash safety: import killed with SIGKILL at 20 random moments, then
# finished; head and root must equal an uninterrupted import (more kills:
# tests/import/crash.sh build/parevm 200 300).
add_test(NAME import/crash COMMAND ${CMAKE_SOURCE_DIR}/tests/import/crash.sh $<TARGET_FILE:parevm> 20 120)
# Concurrent readers: parevm db queries during an import see whole blocks.
add_test(NAME import/readers COMMAND ${CMAKE_SOURCE_DIR}/tests/import/readers.sh $<TARGET_FILE:parevm> 240)
set_tests_properties(import/crash import/readers PROPERTIES LABELS parallel)
# The state root computed while each block executes (rounds on the final
# transactions), sequentially and on Block-STM: same head, every root checked.
add_test(NAME import/preroot COMMAND ${CMAKE_SOURCE_DIR}/tests/import/preroot.sh $<TARGET_FILE:parevm>)
set_tests_properties(import/preroot PROPERTIES LABELS parallel)

# Stateless checks (parevm stateless): every block of every BlockchainTests
# chain again from its execution witness alone (the node's
# debug_executionWitness over the store), sequentially and on Block-STM
# over the witness's state; and the command on a built chain, with the
# blocks and witnesses it must refuse.
add_test(NAME stateless/BlockchainTests COMMAND parevm chaintest --stateless ${bct})
add_test(NAME stateless/BlockchainTests-stm COMMAND parevm chaintest --threads 2 --stateless ${bct})
add_test(NAME stateless/cli COMMAND ${CMAKE_SOURCE_DIR}/tests/stateless_cli.sh $<TARGET_FILE:parevm>)
set_tests_properties(stateless/BlockchainTests-stm PROPERTIES LABELS parallel)
