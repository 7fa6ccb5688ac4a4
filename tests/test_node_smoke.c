/* The real command: starts `parevm node --dev` on a free loopback port,
 * sends transactions over HTTP and reads them back, checks the server's
 * limits (413, batch size), and stops it with SIGTERM: it must exit 0 and
 * remove its temporary datadir. */
#define _GNU_SOURCE
#include "test.h"
#include <arpa/inet.h>
#include <jansson.h>
#include <libgen.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct {
    pid_t pid;
    FILE *out;
    uint16_t port;
    char datadir[256];
} proc;

/* The parevm binary next to this test's. */
static void parevm_path(char *out, size_t cap) {
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    self[n > 0 ? n : 0] = 0;
    snprintf(out, cap, "%s/parevm", dirname(self));
}

static bool start(proc *p, const char *extra) {
    memset(p, 0, sizeof *p);
    char bin[PATH_MAX + 16];
    parevm_path(bin, sizeof bin);
    int fds[2];
    if (pipe(fds)) return false;
    p->pid = fork();
    if (p->pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        execl(bin, bin, "node", "--dev", "--http.port", "0", "--quiet", extra, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    p->out = fdopen(fds[0], "r");
    char line[512];
    while (fgets(line, sizeof line, p->out)) {
        unsigned port;
        if (sscanf(line, "datadir %255s", p->datadir) == 1) continue;
        if (sscanf(line, "Listening on 127.0.0.1:%u", &port) == 1) {
            p->port = (uint16_t)port;
            return true;
        }
    }
    return false;
}

/* SIGTERM; returns the exit status (-1 when it did not exit normally). */
static int stop(proc *p) {
    kill(p->pid, SIGTERM);
    int st = 0;
    waitpid(p->pid, &st, 0);
    fclose(p->out);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* POSTs body; returns the HTTP status and the response body (malloc'd). */
static int post(uint16_t port, const char *body, size_t len, char **resp) {
    *resp = NULL;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa)) {
        if (fd >= 0) close(fd);
        return 0;
    }
    char head[256];
    int n = snprintf(head, sizeof head,
                     "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\n\r\n",
                     len);
    if (send(fd, head, (size_t)n, MSG_NOSIGNAL) == n) send(fd, body, len, MSG_NOSIGNAL);
    size_t cap = 1 << 16, got = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (got + 1 == cap) buf = realloc(buf, cap *= 2);
        ssize_t k = recv(fd, buf + got, cap - got - 1, 0);
        if (k <= 0) break;
        got += (size_t)k;
    }
    buf[got] = 0;
    close(fd);
    int status = 0;
    sscanf(buf, "HTTP/1.%*d %d", &status);
    char *b = strstr(buf, "\r\n\r\n");
    *resp = strdup(b ? b + 4 : "");
    free(buf);
    return status;
}

/* The "result" of one call (new reference), or NULL. */
static json_t *call(uint16_t port, const char *method, const char *params) {
    char body[2048];
    snprintf(body, sizeof body, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"%s\",\"params\":%s}", method, params);
    char *resp;
    int status = post(port, body, strlen(body), &resp);
    json_t *r = status == 200 && resp ? json_loads(resp, 0, NULL) : NULL;
    free(resp);
    json_t *res = r ? json_object_get(r, "result") : NULL;
    if (res) json_incref(res);
    else fprintf(stderr, "  %s %s failed\n", method, params);
    json_decref(r);
    return res;
}

TEST(node_smoke_dev_over_http) {
    proc p;
    CHECK(start(&p, NULL));
    if (!p.port) return;
    struct stat st;
    CHECK(p.datadir[0] && stat(p.datadir, &st) == 0);
    json_t *r = call(p.port, "eth_chainId", "[]");
    CHECK(r && !strcmp(json_string_value(r), "0x7a69"));
    json_decref(r);
    /* a transfer from dev account 0, mined before the call returns */
    json_t *h = call(p.port, "eth_sendTransaction",
                     "[{\"from\":\"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266\","
                     "\"to\":\"0x00000000000000000000000000000000000000a1\",\"value\":\"0x2a\"}]");
    CHECK(h != NULL);
    if (h) {
        char params[128];
        snprintf(params, sizeof params, "[\"%s\"]", json_string_value(h));
        json_t *rc = call(p.port, "eth_getTransactionReceipt", params);
        CHECK(rc && !strcmp(json_string_value(json_object_get(rc, "status")), "0x1") &&
              !strcmp(json_string_value(json_object_get(rc, "blockNumber")), "0x1"));
        json_decref(rc);
        json_t *tx = call(p.port, "eth_getTransactionByHash", params);
        CHECK(tx && !strcmp(json_string_value(json_object_get(tx, "value")), "0x2a"));
        json_decref(tx);
    }
    json_decref(h);
    r = call(p.port, "eth_getBalance", "[\"0x00000000000000000000000000000000000000a1\",\"latest\"]");
    CHECK(r && !strcmp(json_string_value(r), "0x2a"));
    json_decref(r);
    /* a batch, a body over the limit, a batch over the limit */
    char *resp;
    const char *batch = "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_blockNumber\"},"
                        "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"net_version\"}]";
    CHECK(post(p.port, batch, strlen(batch), &resp) == 200 && resp && strstr(resp, "\"0x1\"") && strstr(resp, "\"31337\""));
    free(resp);
    size_t big = 6 << 20;
    char *body = malloc(big);
    memset(body, ' ', big);
    CHECK(post(p.port, body, big, &resp) == 413);
    free(resp);
    free(body);
    CHECK(post(p.port, "{\"jsonrpc\":", 12, &resp) == 200 && resp && strstr(resp, "-32700"));
    free(resp);
    /* SIGTERM: a clean exit, the temporary datadir gone */
    CHECK(stop(&p) == 0);
    CHECK(stat(p.datadir, &st) != 0);
}

TEST(node_refuses_a_store_without_a_chain) {
    char bin[PATH_MAX + 16];
    parevm_path(bin, sizeof bin);
    char cmd[PATH_MAX + 128];
    /* no datadir and no --dev; an unknown option */
    snprintf(cmd, sizeof cmd, "%s node --http.port 0 >/dev/null 2>&1", bin);
    CHECK(WEXITSTATUS(system(cmd)) == 1);
    snprintf(cmd, sizeof cmd, "%s node --dev --nope >/dev/null 2>&1", bin);
    CHECK(WEXITSTATUS(system(cmd)) == 2);
    snprintf(cmd, sizeof cmd, "%s node --dev --http.port 99999 >/dev/null 2>&1", bin);
    CHECK(WEXITSTATUS(system(cmd)) == 2);
}
