/* TEMPORARY: placeholders for precompile math that is being written on other
 * branches (bn254, bls). Removed when those land. They fail every call. */
#include "parevm/precompile_math.h"

bool kzg_point_evaluation(const uint8_t in[192]) { (void)in; return false; }
