/* libFuzzer target for MODEXP: the input is the raw call data. Gas (all
 * three pricings) and output length are always compared with the
 * exact-arithmetic reference (any declared lengths); the result is computed
 * and compared only when the declared lengths stay small (the real caller
 * bounds them through gas), so a run stays fast. */
#include <stdlib.h>

#include "../tests/ref_modexp.h"
#include "parevm/precompile_math.h"

#define RUN_LIMIT 600 /* bytes per operand */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (modexp_gas(data, size, MODEXP_EIP198) != ref_gas(data, size, false) ||
        modexp_gas(data, size, MODEXP_EIP2565) != ref_gas(data, size, true) ||
        modexp_gas(data, size, MODEXP_EIP7883) != ref_gas_osaka(data, size))
        abort();
    mpz_t b, e, m;
    mpz_inits(b, e, m, NULL);
    ref_lengths(b, e, m, data, size);
    uint64_t out_len = modexp_output_len(data, size);
    if (out_len != ref_saturate(m))
        abort();
    bool small = mpz_cmp_ui(b, RUN_LIMIT) <= 0 && mpz_cmp_ui(e, RUN_LIMIT) <= 0 &&
                 mpz_cmp_ui(m, RUN_LIMIT) <= 0;
    if (small || out_len == 0) {
        uint8_t got[RUN_LIMIT + 1], want[RUN_LIMIT + 1];
        modexp_run(data, size, got, (size_t)out_len);
        if (out_len > 0 && (!ref_run(data, size, want, (size_t)out_len) ||
                            memcmp(got, want, (size_t)out_len) != 0))
            abort();
    }
    mpz_clears(b, e, m, NULL);
    return 0;
}
