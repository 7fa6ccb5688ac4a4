/* A small HTTP/1.1 JSON-RPC client for `parevm bench rpc`: keep-alive
 * connections to a loopback port, single calls and batches (jansson), a
 * closed-loop load generator (one thread per connection, each sending the
 * same request and waiting for its answer), and starting and stopping the
 * nodes under test as child processes. Benchmark code: errors are printed
 * and returned, never aborts (except out of memory). */
#ifndef PAREVM_CLI_BENCH_HTTP_H
#define PAREVM_CLI_BENCH_HTTP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* One keep-alive connection; its buffer is reused across requests. */
typedef struct {
    int fd, port;
    char *buf;
    size_t cap;
} bench_conn;

/* Connects to 127.0.0.1:port; false (and fd -1) if it cannot. */
bool bench_conn_open(bench_conn *c, int port);
void bench_conn_close(bench_conn *c);

/* POSTs body and reads one whole response (Content-Length or chunked).
 * On success *resp points into c's buffer (valid until the next request)
 * and *status is the HTTP status. Reconnects once if the server had closed
 * the connection. */
bool bench_conn_post(bench_conn *c, const char *body, size_t len, int *status, const char **resp, size_t *resp_len);

/* A JSON-RPC call: steals params; returns the result (a new reference) or
 * NULL after printing the error (with what). */
json_t *bench_rpc(bench_conn *c, const char *what, const char *method, json_t *params);

/* A JSON-RPC batch (steals calls, an array of {method, params} objects
 * without ids): returns the results in order (a new array) or NULL after
 * printing the first error. */
json_t *bench_rpc_batch(bench_conn *c, const char *what, json_t *calls);

/* The closed-loop load: conns connections for seconds, each sending body
 * again as soon as the answer came. Every answer must be HTTP 200 holding
 * "result"; *errors counts those that were not. Returns requests/s (0 when
 * nothing could connect). */
double bench_load(int port, const char *body, int conns, double seconds, unsigned long *errors);

/* A child process listening on a loopback port. */
typedef struct {
    pid_t pid;
    int port;
    const char *name;
} bench_child;

/* A free loopback port (bound and released: a small race, fine here). */
int bench_free_port(void);

/* Starts argv (argv[0] a path) with stdout and stderr to log (appended;
 * NULL: /dev/null), and waits until its port answers eth_chainId (up to
 * timeout_s seconds). */
bool bench_child_start(bench_child *ch, const char *name, char *const argv[], int port, const char *log,
                       double timeout_s);
/* SIGTERM, then SIGKILL after a few seconds; reaps it. */
void bench_child_stop(bench_child *ch);

double bench_now(void);

#endif
