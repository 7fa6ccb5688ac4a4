/* The parevm subcommands. Each takes argc/argv starting at its own name and
 * returns the process exit status. Add a command: declare it here and add a
 * row to the table in main.c. */
#ifndef PAREVM_CLI_COMMANDS_H
#define PAREVM_CLI_COMMANDS_H

#define PAREVM_COMMANDS(X)                                                        \
    X(statetest, "run GeneralStateTests files or folders")                        \
    X(t8n, "geth's evm t8n: apply transactions to a pre-state in one block")   \
    X(run, "geth's evm run: run EVM code as one call (or creation)")            \
    X(t9n, "geth's evm t9n: check transactions against a fork's rules")        \
    X(b11r, "geth's evm b11r: assemble a block from a header and a body")     \
    X(txtest, "run TransactionTests files or folders")                            \
    X(blocktest, "run BlockchainTests files or folders")                          \
    X(replay, "replay mainnet block fixtures and measure Mgas/s")                  \
    X(stateless, "check a block with nothing but its execution witness")        \
    X(difficultytest, "run DifficultyTests files or folders")                     \
    X(trace, "geth-format traces of calls or transactions in JSON request files") \
    X(bench, "benchmarks: evm, gigagas, mainnet, precompiles, rpc, import, engine") \
    X(init, "write a genesis file's block 0 into a new store")                    \
    X(import, "import RLP chain files into a store, verifying every block")     \
    X(export, "write a store's canonical blocks as an RLP chain file")            \
    X(chaintest, "run BlockchainTests through init + import into fresh stores")   \
    X(enginetest, "run blockchain_test_engine fixtures through a node's Engine API") \
    X(db, "query a store: head, account, storage, block, root; unwind")          \
    X(node, "serve JSON-RPC over a store, or a dev chain (--dev)")

#define DECLARE_COMMAND(name, help) int cmd_##name(int argc, char **argv);
PAREVM_COMMANDS(DECLARE_COMMAND)
#undef DECLARE_COMMAND

#endif
