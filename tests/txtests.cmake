# TransactionTests fixtures: one CTest test running parevm txtest over the
# whole folder (fast: a few thousand decodes and recoveries).
add_test(NAME txtest/TransactionTests
         COMMAND parevm txtest ${PAREVM_FIXTURES}/ethereum-tests/TransactionTests)
