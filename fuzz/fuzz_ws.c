/* libFuzzer target for the JSON-RPC server's WebSocket sessions
 * (src/rpc/rpc_ws.c) over a real loopback connection: after a good
 * handshake, the input is either sent raw (first byte 0xff) or read as a
 * list of frames [control, length, payload...] that the harness encodes
 * (FIN, a reserved bit, masking, a non-minimal length and the opcode taken
 * from the control byte), so that both the frame parser and the messages
 * behind it are reached. The methods include subscription filters, so that
 * eth_subscribe and the pushes run. Nothing may crash or leak in the
 * server's session thread. */
#define _GNU_SOURCE /* memmem */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "parevm/buf.h"
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

/* One change each time: a hash, which newHeads turns into a block lookup. */
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

static uint16_t port;

static void start(void) {
    rpc_methods *m = rpc_methods_new();
    rpc_methods_add(m, "test_echo", m_echo, NULL);
    rpc_methods_add(m, "eth_newBlockFilter", m_filter, NULL);
    rpc_methods_add(m, "eth_newFilter", m_filter, NULL);
    rpc_methods_add(m, "eth_newPendingTransactionFilter", m_filter, NULL);
    rpc_methods_add(m, "eth_getFilterChanges", m_changes, NULL);
    rpc_methods_add(m, "eth_uninstallFilter", m_filter, NULL);
    rpc_methods_add(m, "eth_getBlockByHash", m_block, NULL);
    rpc_methods_add(m, "eth_getTransactionByHash", m_block, NULL);
    rpc_server_config cfg = {.max_ws_message = 4096, .max_ws_sessions = 512};
    char err[200];
    rpc_server *s = rpc_server_start(&cfg, m, err, sizeof err);
    if (!s) abort();
    port = rpc_server_port(s); /* the server lives as long as the fuzzer */
}

static int connect_ws(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct timeval tv = {.tv_sec = 5};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa)) abort();
    static const char hs[] = "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                             "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
    if (send(fd, hs, sizeof hs - 1, MSG_NOSIGNAL) != (ssize_t)(sizeof hs - 1)) abort();
    char c, head[4] = {0};
    size_t got = 0;
    while (recv(fd, &c, 1, 0) == 1) { /* up to the end of the 101's headers */
        memmove(head, head + 1, 3);
        head[3] = c;
        if (++got >= 4 && !memcmp(head, "\r\n\r\n", 4)) return fd;
    }
    close(fd); /* refused (session limit): nothing to test */
    return -1;
}

/* The frames the input describes. */
static void encode(const uint8_t *data, size_t size, buf_t *out) {
    for (size_t i = 0; i + 2 <= size;) {
        uint8_t ctl = data[i], len = data[i + 1];
        i += 2;
        size_t n = len < size - i ? len : size - i;
        uint8_t h[14];
        size_t hl = 2;
        h[0] = (uint8_t)((ctl & 0x80 ? 0x80 : 0) | ((ctl & 0x70) == 0x70 ? 0x40 : 0) | (ctl & 0x0f));
        if (ctl & 0x10 || n >= 126) {
            h[1] = 126, h[2] = (uint8_t)(n >> 8), h[3] = (uint8_t)n, hl = 4;
        } else {
            h[1] = (uint8_t)n;
        }
        bool masked = !((ctl & 0x60) == 0x60);
        if (masked) {
            h[1] |= 0x80;
            memcpy(h + hl, "\x12\x34\x56\x78", 4);
            hl += 4;
        }
        buf_append(out, h, hl);
        for (size_t k = 0; k < n; k++) {
            uint8_t b = (uint8_t)(data[i + k] ^ (masked ? "\x12\x34\x56\x78"[k & 3] : 0));
            buf_append(out, &b, 1);
        }
        i += n;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!port) start();
    int fd = connect_ws();
    if (fd < 0) return 0;
    buf_t out = {0};
    if (size && data[0] == 0xff) buf_append(&out, data + 1, size - 1);
    else encode(data, size, &out);
    size_t off = 0;
    while (off < out.len) {
        ssize_t k = send(fd, out.data + off, out.len - off, MSG_NOSIGNAL);
        if (k <= 0) break;
        off += (size_t)k;
    }
    /* a subscription gets a tick (50 ms) to push before the client leaves */
    if (memmem(data, size, "subscribe", 9)) usleep(60000);
    buf_free(&out);
    shutdown(fd, SHUT_WR);
    char sink[4096];
    while (recv(fd, sink, sizeof sink, 0) > 0) {
    }
    close(fd);
    return 0;
}
