/* libFuzzer target for EIP-712 typed data (eth_signTypedData_v4's hashing,
 * src/node/eip712.c): arbitrary bytes as the typed data's JSON text. Any
 * input either hashes or is refused with a message; nothing may crash,
 * leak or recurse without bound. The same input is also tried as the
 * types of a fixed message, so that type strings get explored too. */
#include <stdlib.h>
#include <string.h>
#include "node/eip712.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    json_t *v = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
    if (!v) return 0;
    uint8_t digest[32];
    char why[256];
    why[0] = 0;
    if (!eip712_digest(v, digest, why, sizeof why) && !why[0]) abort(); /* a refusal says why */
    if (json_is_object(v)) {
        json_t *typed = json_pack("{s:O,s:s,s:{s:s},s:{}}", "types", v, "primaryType", "Mail", "domain", "name", "x",
                                  "message");
        if (typed) {
            (void)eip712_digest(typed, digest, why, sizeof why);
            const char *name;
            json_t *t;
            json_object_foreach(v, name, t) {
                char *enc = eip712_encode_type(v, name, why, sizeof why);
                free(enc);
            }
            json_decref(typed);
        }
    }
    json_decref(v);
    return 0;
}
