# Micro-benchmarks (bench/bench_*.c), one executable each; not CTest tests.
# Run e.g. ./build/bench_crypto [seconds-per-case].
file(GLOB bench_src CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/bench/bench_*.c)
foreach(src ${bench_src})
  get_filename_component(name ${src} NAME_WE)
  add_executable(${name} ${src})
  target_link_libraries(${name} PRIVATE parevm_core)
endforeach()
