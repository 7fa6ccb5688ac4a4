/* libFuzzer target for the JSON-RPC server's IPC sessions
 * (src/rpc/rpc_ipc.c) over a real Unix socket: the input is the byte
 * stream a client writes, in pieces whose sizes the first byte picks, so
 * that the request splitter sees requests cut at every place and packed
 * together. The methods include subscription filters, so that
 * eth_subscribe and the pushes run. Nothing may crash, hang or leak in the
 * server's session thread. */
#define _GNU_SOURCE /* memmem */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>
#include "parevm/rpc.h"

static bool m_echo(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    (void)ctx, (void)err;
    *result = json_deep_copy(params);
    return true;
}

static bool m_filter(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    (void)ctx, (void)params, (void)err;
    *result = json_string("0xf1");
    return true;
}

static bool m_changes(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    (void)ctx, (void)params, (void)err;
    *result = json_pack("[s]", "0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    return true;
}

static bool m_block(void *ctx, const json_t *params, json_t **result, rpc_error *err) {
    (void)ctx, (void)err;
    *result = json_pack("{s:O,s:[]}", "hash", json_array_get(params, 0), "transactions");
    return true;
}

static char path[108];

static void start(void) {
    rpc_methods *m = rpc_methods_new();
    rpc_methods_add(m, "test_echo", m_echo, NULL);
    rpc_methods_add(m, "eth_newBlockFilter", m_filter, NULL);
    rpc_methods_add(m, "eth_newFilter", m_filter, NULL);
    rpc_methods_add(m, "eth_newPendingTransactionFilter", m_filter, NULL);
    rpc_methods_add(m, "eth_getFilterChanges", m_changes, NULL);
    rpc_methods_add(m, "eth_uninstallFilter", m_filter, NULL);
    rpc_methods_add(m, "eth_getBlockByHash", m_block, NULL);
    snprintf(path, sizeof path, "/tmp/parevm-fuzz-ipc-%d.ipc", (int)getpid());
    rpc_ipc_config cfg = {.max_message = 4096, .max_sessions = 512};
    char err[200];
    if (!rpc_ipc_start(path, &cfg, m, err, sizeof err)) abort(); /* lives as long as the fuzzer */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!*path) start();
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    memcpy(a.sun_path, path, strlen(path) + 1);
    struct timeval tv = {.tv_sec = 5};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&a, sizeof a)) abort();
    size_t piece = size ? 1 + data[0] % 64 : 1, off = size ? 1 : 0;
    while (off < size) {
        size_t n = piece < size - off ? piece : size - off;
        ssize_t k = send(fd, data + off, n, MSG_NOSIGNAL);
        if (k <= 0) break;
        off += (size_t)k;
    }
    /* a subscription gets a tick (50 ms) to push before the client leaves */
    if (memmem(data, size, "subscribe", 9)) usleep(60000);
    shutdown(fd, SHUT_WR);
    char sink[4096];
    while (recv(fd, sink, sizeof sink, 0) > 0) {
    }
    close(fd);
    return 0;
}
