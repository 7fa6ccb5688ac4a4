# The generator of the BLS12-381 constant tables in
# src/crypto/bls12_381_tables.c (run it after changing the line format); the
# benchmark itself, bench_crypto_bls, comes from bench/bench.cmake's glob.
add_executable(gen_bls12_381_tables ${CMAKE_SOURCE_DIR}/bench/gen_bls12_381_tables.c)
target_link_libraries(gen_bls12_381_tables PRIVATE parevm_core)
