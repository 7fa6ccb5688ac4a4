# Chain-rule fixtures: the DifficultyTests as one CTest test (fast: a few
# thousand difficulty computations).
add_test(NAME difficultytest/DifficultyTests
         COMMAND parevm difficultytest ${PAREVM_FIXTURES}/ethereum-tests/DifficultyTests)
