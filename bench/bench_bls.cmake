# BLS12-381 / KZG: the benchmark, and the generator of the constant tables in
# src/crypto/bls12_381_tables.c (run it after changing the line format).
add_executable(bench_crypto_bls ${CMAKE_SOURCE_DIR}/bench/bench_crypto_bls.c)
target_link_libraries(bench_crypto_bls PRIVATE parevm_core)
add_executable(gen_bls12_381_tables ${CMAKE_SOURCE_DIR}/bench/gen_bls12_381_tables.c)
target_link_libraries(gen_bls12_381_tables PRIVATE parevm_core)
