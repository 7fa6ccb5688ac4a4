/* Helpers shared by the files of src/rpc (not a public contract). */
#ifndef PAREVM_RPC_INTERNAL_H
#define PAREVM_RPC_INTERNAL_H

#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include "parevm/rpc.h"
#include "parevm/types.h"

/* Returns v; aborts when it is NULL (jansson's out-of-memory result). */
json_t *rpc_json_take(json_t *v);
/* Whether p[0..len) is well-formed UTF-8 (no overlongs, no surrogates). */
bool rpc_utf8_valid(const uint8_t *p, size_t len);
/* A JSON string of s with every byte that is not part of well-formed UTF-8
 * replaced by '?' (jansson refuses invalid UTF-8). */
json_t *rpc_json_string_lossy(const char *s);

/* ---- WebSocket sessions (rpc_ws.c) ---- */

/* What the server shares with its WebSocket sessions, and their count (a
 * stop waits for them). */
typedef struct {
    const rpc_methods *methods;
    size_t max_message, max_batch, thread_stack;
    unsigned max_sessions;
    atomic_bool stopping;
    pthread_mutex_t mu;        /* guards sessions; cv signals a session's end */
    pthread_cond_t cv;
    unsigned sessions;
} rpc_ws_hub;

#define RPC_WS_ACCEPT_LEN 28   /* base64 of a SHA-1 digest */

void rpc_ws_hub_init(rpc_ws_hub *h, const rpc_methods *m, size_t max_message, size_t max_batch, size_t thread_stack,
                     unsigned max_sessions);
/* Ends every session (a close frame 1001 each) and waits for their threads. */
void rpc_ws_hub_stop(rpc_ws_hub *h);
void rpc_ws_hub_destroy(rpc_ws_hub *h);
unsigned rpc_ws_sessions(rpc_ws_hub *h);
/* Whether a request asks to upgrade to WebSocket (Upgrade: websocket). */
bool rpc_ws_is_upgrade(struct MHD_Connection *c);
/* Checks the handshake of such a request: NULL and the Sec-WebSocket-Accept
 * value, or why it is refused and the HTTP status to refuse it with. */
const char *rpc_ws_check(rpc_ws_hub *h, struct MHD_Connection *c, char accept[RPC_WS_ACCEPT_LEN + 1],
                         unsigned *status);
/* Queues the 101 answer; the session starts on its own thread when
 * libmicrohttpd hands the socket over (the daemon needs MHD_ALLOW_UPGRADE). */
enum MHD_Result rpc_ws_upgrade(rpc_ws_hub *h, struct MHD_Connection *c, const char *accept);

#endif
