/* TEMPORARY: placeholders for precompile math that is being written on other
 * branches (bn254, bls). Removed when those land. They fail every call. */
#include "parevm/precompile_math.h"

uint64_t modexp_gas(const uint8_t *in, size_t len, bool berlin) { (void)in; (void)len; (void)berlin; return UINT64_MAX; }
uint64_t modexp_output_len(const uint8_t *in, size_t len) { (void)in; (void)len; return 0; }
void modexp_run(const uint8_t *in, size_t len, uint8_t *out, size_t out_len) { (void)in; (void)len; memset(out, 0, out_len); }
bool bn254_add(const uint8_t in[128], uint8_t out[64]) { (void)in; (void)out; return false; }
bool bn254_mul(const uint8_t in[96], uint8_t out[64]) { (void)in; (void)out; return false; }
bool bn254_pairing_check(const uint8_t *in, size_t len, bool *ok) { (void)in; (void)len; (void)ok; return false; }
bool blake2f_rounds(const uint8_t *in, size_t len, uint32_t *rounds) { (void)in; (void)len; (void)rounds; return false; }
bool blake2f(const uint8_t *in, size_t len, uint8_t out[64]) { (void)in; (void)len; (void)out; return false; }
bool kzg_point_evaluation(const uint8_t in[192]) { (void)in; return false; }
