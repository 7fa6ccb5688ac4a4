/* libFuzzer target for BLAKE2F: any input length; for well-formed inputs
 * the result is compared with the plain RFC 7693 reference. Round counts
 * are folded below 2^16 so that a run stays fast (the caller pays one gas
 * per round). */
#include <stdlib.h>
#include <string.h>

#include "../tests/ref_blake2f.h"
#include "parevm/precompile_math.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    uint8_t in[213], got[64], want[64];
    uint32_t rounds;
    if (size != 213) {
        if (blake2f_rounds(data, size, &rounds) || blake2f(data, size, got))
            abort();
        return 0;
    }
    memcpy(in, data, 213);
    in[0] = 0, in[1] = 0; /* rounds < 2^16 */
    bool valid = in[212] <= 1;
    if (!blake2f_rounds(in, 213, &rounds) || rounds != ((uint32_t)in[2] << 8 | in[3]))
        abort();
    if (blake2f(in, 213, got) != valid)
        abort();
    if (valid) {
        ref_blake2f(in, want);
        if (memcmp(got, want, 64) != 0)
            abort();
    }
    return 0;
}
