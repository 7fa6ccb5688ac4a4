/* Helpers shared by the files of src/rpc (not a public contract). */
#ifndef PAREVM_RPC_INTERNAL_H
#define PAREVM_RPC_INTERNAL_H

#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include "parevm/buf.h"
#include "parevm/rpc.h"
#include "parevm/types.h"

/* Returns v; aborts when it is NULL (jansson's out-of-memory result). */
json_t *rpc_json_take(json_t *v);
/* Whether p[0..len) is well-formed UTF-8 (no overlongs, no surrogates). */
bool rpc_utf8_valid(const uint8_t *p, size_t len);
/* A JSON string of s with every byte that is not part of well-formed UTF-8
 * replaced by '?' (jansson refuses invalid UTF-8). */
json_t *rpc_json_string_lossy(const char *s);

/* ---- Sessions: WebSocket and IPC connections (rpc_session.c) ---- */

/* What a server shares with its long-lived sessions (a thread each), and
 * their count: a stop waits for them. */
typedef struct {
    const rpc_methods *methods;
    size_t max_message, max_batch, thread_stack;
    unsigned max_sessions;
    unsigned ping_ms;          /* WebSocket keepalive (rpc_ws.c); 0: none */
    atomic_size_t pool_used;   /* of pool_max: the bytes of large messages held now */
    size_t pool_max;
    atomic_bool stopping;
    pthread_mutex_t mu;        /* guards sessions; cv signals a session's end */
    pthread_cond_t cv;
    unsigned sessions;
} rpc_hub;

enum { RPC_SESSION_TICK_MS = 50 }; /* how often a session polls its subscriptions */

void rpc_hub_init(rpc_hub *h, const rpc_methods *m, size_t max_message, size_t max_batch, size_t thread_stack,
                  unsigned max_sessions);
/* Sets the stop flag (each session sees it within a tick, says goodbye
 * and ends) and waits for every session to end. */
void rpc_hub_stop(rpc_hub *h);
void rpc_hub_destroy(rpc_hub *h);
unsigned rpc_hub_sessions(rpc_hub *h);
bool rpc_hub_stopping(rpc_hub *h);

typedef enum { RPC_HUB_STARTED, RPC_HUB_FULL, RPC_HUB_STOPPING } rpc_hub_refusal;
/* Counts a session and runs session_main(arg) on a detached thread of the
 * hub's stack size; the session calls rpc_hub_leave as its last act. When
 * it is not started (the hub is full or stopping) arg is still the
 * caller's. */
rpc_hub_refusal rpc_hub_spawn(rpc_hub *h, void *(*session_main)(void *), void *arg);
void rpc_hub_leave(rpc_hub *h);

/* Milliseconds on the monotonic clock. */
double rpc_now_ms(void);
/* JSON's whitespace (RFC 8259): what may stand between requests, or make
 * up a body that holds none. */
static inline bool rpc_is_space(uint8_t c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
/* Writes all of data to a non-blocking socket; false when the peer has
 * gone or has not read for timeout_ms (a client that stops reading is
 * dropped). */
bool rpc_send_all(int fd, const void *data, size_t n, int timeout_ms);

/* Reads what a non-blocking socket has into in: until it has no more, or
 * more than limit bytes wait past start (a peer that writes faster than it
 * is answered is read no further ahead). False when the peer has gone. */
bool rpc_read_available(int fd, buf_t *in, size_t start, size_t limit);

/* A session's subscriptions. send writes one message (a notification) to
 * the session's peer and returns false when the peer has gone; it is
 * called only from rpc_subs_tick, on the session's thread. */
typedef bool (*rpc_session_send)(void *conn, const char *text, size_t len);
typedef struct rpc_subs rpc_subs;

/* The subscriptions of a session of server's methods (owned by the caller,
 * freed by rpc_subs_free, which also removes their filters). */
rpc_subs *rpc_subs_new(const rpc_methods *server, rpc_session_send send, void *conn);
/* The table a session answers from: the server's, plus eth_subscribe and
 * eth_unsubscribe bound to this session when the server has filters. */
const rpc_methods *rpc_subs_methods(const rpc_subs *s);
/* Pushes what each subscription gathered since the last tick; false when a
 * send failed. */
bool rpc_subs_tick(rpc_subs *s);
/* rpc_subs_tick when there are subscriptions and a tick has passed since
 * *last_tick (then updated); true otherwise. */
bool rpc_subs_tick_due(rpc_subs *s, double *last_tick);
void rpc_subs_free(rpc_subs *s);

/* ---- WebSocket (rpc_ws.c) ---- */

#define RPC_WS_ACCEPT_LEN 28   /* base64 of a SHA-1 digest */

/* Whether a request asks to upgrade to WebSocket (Upgrade: websocket). */
bool rpc_ws_is_upgrade(struct MHD_Connection *c);
/* Checks the handshake of such a request: NULL and the Sec-WebSocket-Accept
 * value, or why it is refused and the HTTP status to refuse it with. */
const char *rpc_ws_check(rpc_hub *h, struct MHD_Connection *c, char accept[RPC_WS_ACCEPT_LEN + 1],
                         unsigned *status);
/* Queues the 101 answer; the session starts on its own thread when
 * libmicrohttpd hands the socket over (the daemon needs MHD_ALLOW_UPGRADE). */
enum MHD_Result rpc_ws_upgrade(rpc_hub *h, struct MHD_Connection *c, const char *accept);

#endif
