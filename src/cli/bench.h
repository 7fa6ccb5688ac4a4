/* Benchmarks of the bench command (cmd_bench.c dispatches). */
#ifndef PAREVM_CLI_BENCH_H
#define PAREVM_CLI_BENCH_H

int bench_gigagas(int argc, char **argv);
int bench_precompiles(int argc, char **argv);
int bench_import(int argc, char **argv);
/* parevm bench rpc (bench_rpc.c): parevm node and anvil side by side */
int bench_rpc_main(int argc, char **argv);
int bench_engine(int argc, char **argv);

#endif
