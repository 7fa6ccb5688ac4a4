/* libFuzzer target for console.log's decoder (src/node/node_console.c):
 * the first two bytes pick one of console.sol's signatures, whose selector
 * goes before the rest of the input, so that every argument layout's ABI
 * decoding (offsets and lengths from the input) and every format string
 * reach the formatter and the trace printer's argument formatting; the
 * same bytes are a ds-test event's data (src/node/node_console_ds.c). The
 * same bytes are then a frame's input and output for the trace printer
 * and the block report (src/node/node_traces.c): to the console's
 * address, a precompile and a contract, ending in a revert (its reason
 * decoded), a halt or success. Nothing may crash, leak or read out of
 * bounds; a message never holds more than a bounded multiple of the
 * input. */
#include <stdlib.h>
#include <string.h>
#include "node/node_internal.h"
#include "parevm/rpc_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static node_console *c;
    if (!c) c = node_console_new();
    if (size < 2) return 0;
    uint8_t sel[4];
    size_t n = node_console_selector(c, 0, sel);
    node_console_selector(c, ((size_t)data[0] << 8 | data[1]) % n, sel);
    uint8_t *in = malloc(size + 2);
    if (!in) abort();
    memcpy(in, sel, 4);
    memcpy(in + 4, data + 2, size - 2);
    buf_t out = {0};
    if (node_console_format(c, in, size + 2, &out)) {
        /* each byte of a format or value gives a bounded amount of text
         * (a number at most 80 digits per 32-byte word, plus %77e's zeros) */
        if (out.len > 200 * (size + 2) + 4096) abort();
    }
    buf_clear(&out);
    if (node_console_trace_args(c, in, size + 2, &out) > 0 && out.len > 200 * (size + 2) + 4096) abort();

    /* the bytes after the first two as a ds-test event's data */
    static bytes32 ds[NODE_DS_EVENTS];
    if (!ds[0].b[0] && !ds[0].b[1]) node_ds_topics(ds);
    buf_clear(&out);
    if (node_ds_event_format(ds, &ds[data[0] % NODE_DS_EVENTS], 1 + data[1] % 3, data + 2, size - 2, &out) &&
        out.len > 200 * size + 4096)
        abort();
    buf_clear(&out);

    /* one frame with a child of each kind, and the block report */
    static const char *const to[] = {"0x000000000000000000636f6e736f6c652e6c6f67",
                                     "0x0000000000000000000000000000000000000001",
                                     "0x0000000000000000000000000000000000000003",
                                     "0x4e59b44847b379578588920ca78fbf26c0b4956c",
                                     "0x00000000000000000000000000000000000000aa"};
    static const char *const status[] = {"Revert", "Stop", "OutOfGas", "Return"};
    json_t *bytes = rpc_json_data(in, size + 2), *top = json_object(), *calls = json_array();
    for (size_t i = 0; i < sizeof to / sizeof to[0]; i++) {
        json_t *f = json_pack("{s:s,s:s,s:O,s:O,s:s,s:s,s:s}", "type", i == 4 && (data[0] & 1) ? "CREATE" : "CALL",
                              "to", to[i], "input", bytes, "output", bytes, "gasUsed", "0x5", "_status",
                              status[(data[1] + i) % 4], "value", data[0] & 2 ? "0x1" : "0x0");
        json_array_append_new(calls, f);
    }
    json_t *log = json_pack("{s:[s],s:O,s:s}", "topics", "0x01", "data", bytes, "position", "0x2");
    json_object_set_new(top, "type", json_string("CALL"));
    json_object_set_new(top, "to", json_string(to[4]));
    json_object_set_new(top, "input", json_incref(bytes));
    json_object_set_new(top, "output", json_incref(bytes));
    json_object_set_new(top, "_status", json_string(status[data[0] % 4]));
    json_object_set_new(top, "gasUsed", json_string("0x10"));
    json_object_set_new(top, "calls", calls);
    json_object_set_new(top, "logs", json_pack("[o]", log));
    json_object_set_new(top, "_storage", json_pack("[[s,s,s]]", "0x1", "0xf4240", "0x0"));
    buf_t text = {0};
    node_traces_tree(c, FORK_OSAKA, top, &text);
    node_traces_tx_summary(top, "0x00", &text);
    bytes32 h = {{0}};
    node_traces_block_summary(data[0], &h, (uint64_t)data[1] << 40, &text);
    if (text.len > 100 * (size + 2) + 8192) abort();
    buf_free(&text);
    buf_free(&out);
    json_decref(top);
    json_decref(bytes);
    free(in);
    return 0;
}
