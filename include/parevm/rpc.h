/* JSON-RPC 2.0 over HTTP, WebSocket and IPC: error objects, the method table, request dispatch
 * (single requests, batches, notifications) and the HTTP server
 * (libmicrohttpd with a thread pool) with body and batch limits, optional
 * CORS, optional HS256 JWT authentication (the Engine API) and a stop that
 * drains the requests in flight; the IPC server on a Unix socket.
 *
 * Handlers run on the server's pool threads, several at once. The server
 * keeps no globals: a handler sees only the context registered with it, the
 * params of its request and where to put the result or the error. */
#ifndef PAREVM_RPC_H
#define PAREVM_RPC_H

#include <jansson.h>
#include "types.h"

/* ---- Errors ----------------------------------------------------------------- */

/* Codes of JSON-RPC 2.0, EIP-1474 / execution-apis and the Engine API. */
enum {
    RPC_PARSE_ERROR = -32700,
    RPC_INVALID_REQUEST = -32600,
    RPC_METHOD_NOT_FOUND = -32601,
    RPC_INVALID_PARAMS = -32602,
    RPC_INTERNAL_ERROR = -32603,
    RPC_SERVER_ERROR = -32000,          /* "nonce too low", "header not found"... */
    RPC_RESOURCE_NOT_FOUND = -32001,
    RPC_RESOURCE_UNAVAILABLE = -32002,
    RPC_TRANSACTION_REJECTED = -32003,
    RPC_RESPONSE_TOO_LARGE = -32003,    /* geth's BatchResponseMaxSize */
    RPC_METHOD_NOT_SUPPORTED = -32004,
    RPC_LIMIT_EXCEEDED = -32005,
    RPC_VERSION_NOT_SUPPORTED = -32006,
    RPC_EXECUTION_REVERTED = 3,         /* with the revert data in "data" */
    RPC_TX_SYNC_TIMEOUT = 4,            /* EIP-7966: not mined in time; the hash in "data" */
    RPC_ENGINE_UNKNOWN_PAYLOAD = -38001,
    RPC_ENGINE_INVALID_FORKCHOICE = -38002,
    RPC_ENGINE_INVALID_ATTRIBUTES = -38003,
    RPC_ENGINE_TOO_LARGE_REQUEST = -38004,
    RPC_ENGINE_UNSUPPORTED_FORK = -38005,
};

/* An error object. message is NUL-terminated text (truncated to fit; made
 * valid UTF-8 when it is sent). data, when set, is owned by the error: the
 * dispatcher releases it; a handler that fills an error it does not return
 * calls rpc_error_clear. */
typedef struct {
    int code;
    char message[256];
    json_t *data;
} rpc_error;

/* Sets code and a printf-formatted message; returns false so that a handler
 * can `return rpc_error_set(err, ...)`. */
bool rpc_error_set(rpc_error *e, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* -32602 "invalid argument N: why" (geth's wording); returns false. */
bool rpc_error_invalid_param(rpc_error *e, size_t index, const char *why);
/* The error of a reverted call, as geth gives it: code 3, "execution
 * reverted" followed by ": reason" when data is an ABI Error(string) or a
 * Panic(uint256), and the data as hex (empty revert data too: "0x", as
 * geth answers since its #31456, March 2025). Returns false. */
bool rpc_error_revert(rpc_error *e, const uint8_t *data, size_t len);
/* Releases data (if any) and resets the error. */
void rpc_error_clear(rpc_error *e);

/* ---- Method table -------------------------------------------------------------- */

/* A method. params is always a JSON array (empty when the request had none).
 * On success the handler stores a new reference in *result (NULL stands for
 * JSON null) and returns true; on failure it fills err and returns false.
 * Must be safe to run on several threads at once. */
typedef bool (*rpc_handler)(void *ctx, const json_t *params, json_t **result, rpc_error *err);

typedef struct rpc_methods rpc_methods;

rpc_methods *rpc_methods_new(void);
void rpc_methods_free(rpc_methods *m);
/* Registers name -> (fn, ctx); name is copied. Returns false if the name is
 * taken. Register everything before a server uses the table: lookups take
 * no lock. */
bool rpc_methods_add(rpc_methods *m, const char *name, rpc_handler fn, void *ctx);
size_t rpc_methods_count(const rpc_methods *m);
/* A new table with m's entries (the same handlers and contexts), to which
 * more can be added (a WebSocket session's own methods). */
rpc_methods *rpc_methods_copy(const rpc_methods *m);
/* Whether name is registered in m. */
bool rpc_methods_has(const rpc_methods *m, const char *name);
/* The length of a method name's namespace: what comes before its first '_'
 * ("eth" of "eth_call"; the whole name without one). */
size_t rpc_method_namespace_len(const char *method);
/* The name of the i-th method in name order (i < rpc_methods_count); owned
 * by the table. */
const char *rpc_methods_name(const rpc_methods *m, size_t i);
/* Removes every method for which keep(name, arg) is false (before a server
 * uses the table). Returns how many are left. */
size_t rpc_methods_retain(rpc_methods *m, bool (*keep)(const char *name, void *arg), void *arg);
/* Called for each request rpc_process serves (not rpc_call's), on the
 * request's thread: before its handler runs with failed NULL, and again
 * after it when it failed, with its error; params is the request's (an
 * array). Unknown methods and malformed requests are not reported. Set
 * before a server uses the table; copies (rpc_methods_copy) keep it. fn
 * NULL: none. */
typedef void (*rpc_observer)(void *arg, const char *method, const json_t *params, const rpc_error *failed);
void rpc_methods_set_observer(rpc_methods *m, rpc_observer fn, void *arg);
/* Runs one method in-process (params NULL: none): as a request would, with
 * the result in *result (a new reference, NULL for JSON null) or err
 * filled (-32601 for an unknown name). */
bool rpc_call(const rpc_methods *m, const char *method, const json_t *params, json_t **result, rpc_error *err);

/* ---- Dispatch ------------------------------------------------------------------ */

#define RPC_DEFAULT_MAX_BATCH 1000
/* geth's limits: the bytes of results and errors in one batch's answer
 * (BatchResponseMaxSize), the length of a method name (maxMethodNameLength) */
#define RPC_MAX_BATCH_RESPONSE 25000000
#define RPC_MAX_METHOD_NAME 2048

/* Processes one HTTP body: a request object or a batch (array) of them.
 * Returns the response text (malloc'd, caller frees; *out_len is its length)
 * or NULL when no response is due (only notifications). Never fails on
 * input: malformed JSON is -32700, an empty batch or a request of the wrong
 * shape -32600, a batch of more than max_batch requests (0: the default) one
 * -32600 "batch too large" error in an array. Runs the handlers on the
 * calling thread, in order. */
char *rpc_process(const rpc_methods *m, const char *body, size_t len, size_t max_batch, size_t *out_len);

/* ---- HTTP server ------------------------------------------------------------------ */

typedef struct {
    const char *addr;          /* IPv4 or IPv6 literal; NULL: "127.0.0.1" */
    uint16_t port;             /* 0: any free port (see rpc_server_port) */
    unsigned threads;          /* pool threads; 0: 4 */
    size_t max_body;           /* request body limit in bytes (413 past it); 0: 5 MiB */
    size_t max_batch;          /* requests per batch; 0: RPC_DEFAULT_MAX_BATCH */
    unsigned max_connections;  /* 0: 512 */
    unsigned idle_timeout_s;   /* idle connections are closed after; 0: 60 */
    size_t thread_stack;       /* stack of the pool threads in bytes; 0: the system's
                                  (handlers that run the EVM want a deep one) */
    /* CORS: NULL or "" sends no CORS headers; "*" allows every origin;
     * otherwise a comma-separated list of origins (as --http.corsdomain). */
    const char *cors;
    /* Non-NULL: a 32-byte secret; every request must carry a valid HS256 JWT
     * (Authorization: Bearer, iat within 60 s) or gets 401 before its body is
     * read (the Engine API, see jwt.h). Copied by rpc_server_start. */
    const uint8_t *jwt_secret;
    unsigned max_ws_sessions;  /* WebSocket sessions at once (a thread each); 0: 128 */
    size_t max_ws_message;     /* a WebSocket message's limit in bytes; 0: 32 MiB (geth's
                                  wsDefaultReadLimit) */
    unsigned ws_ping_ms;       /* an idle WebSocket session is pinged after, and closed
                                  when the pong is that late; 0: 30 s (geth's) */
} rpc_server_config;

typedef struct rpc_server rpc_server;

/* Starts listening and serving: POST with a JSON body (Content-Type, when
 * given, must be JSON: 415 otherwise), OPTIONS for CORS preflight, a GET
 * with "Upgrade: websocket" as a WebSocket session (RFC 6455: one JSON-RPC
 * message per text or binary message, answered in order, on a thread of
 * its own, with eth_subscribe / eth_unsubscribe for newHeads, logs and
 * newPendingTransactions fed by the methods' polling filters
 * eth_newBlockFilter, eth_newFilter, eth_newPendingTransactionFilter and
 * eth_getFilterChanges), other methods 405. methods must outlive the server. Returns NULL and a message
 * in err when the address is bad or the port cannot be bound. */
rpc_server *rpc_server_start(const rpc_server_config *cfg, const rpc_methods *methods, char *err,
                             size_t errlen);
/* The port the server listens on (the chosen one when cfg->port was 0). */
uint16_t rpc_server_port(const rpc_server *s);
/* Requests being read or processed now (for tests and metrics). */
unsigned rpc_server_in_flight(const rpc_server *s);
/* Graceful stop: answers every new request (new connections included) with
 * 503, waits up to drain_ms for the requests in flight to be answered, then
 * closes the listen socket and every connection and frees the server. Call
 * from any thread but a handler's (e.g. the node's SIGINT/SIGTERM path). */
void rpc_server_stop(rpc_server *s, unsigned drain_ms);

/* ---- IPC server ------------------------------------------------------------------- */

typedef struct {
    size_t max_message;        /* a request's size limit in bytes; 0: 5 MiB */
    size_t max_batch;          /* requests per batch; 0: RPC_DEFAULT_MAX_BATCH */
    unsigned max_sessions;     /* connections at once (a thread each); 0: 128 */
    size_t thread_stack;       /* as rpc_server_config's */
} rpc_ipc_config;

typedef struct rpc_ipc rpc_ipc;

/* Listens on a Unix domain socket at path (geth's --ipcpath): JSON-RPC
 * requests and batches back to back on the stream, each answer one line
 * (compact JSON and a newline), answered in order per connection, with
 * eth_subscribe / eth_unsubscribe as on WebSocket. The socket file gets
 * mode 0600; a stale one at path is replaced; a live socket or another
 * kind of file there is refused. Returns NULL and a message in err when
 * the path is too long or cannot be bound. methods must outlive the
 * server. */
rpc_ipc *rpc_ipc_start(const char *path, const rpc_ipc_config *cfg, const rpc_methods *methods, char *err,
                       size_t errlen);
/* Connections open now (for tests). */
unsigned rpc_ipc_sessions(rpc_ipc *s);
/* Stops accepting, removes the socket file (when it is still this
 * server's), lets each connection finish the request it is answering,
 * closes them and frees the server. NULL is a no-op. */
void rpc_ipc_stop(rpc_ipc *s);

#endif
