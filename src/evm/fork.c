/* Fork names as the ethereum/tests fixtures and common clients spell them. */
#include "parevm/fork.h"
#include <strings.h>

static const char *const names[FORK_COUNT] = {
    "Frontier", "Homestead", "EIP150", "EIP158", "Byzantium", "Constantinople",
    "ConstantinopleFix", "Istanbul", "Berlin", "London", "Merge", "Shanghai",
    "Cancun", "Prague", "Osaka",
};

static const struct { const char *alias; fork_id fork; } aliases[] = {
    {"TangerineWhistle", FORK_TANGERINE_WHISTLE}, {"SpuriousDragon", FORK_SPURIOUS_DRAGON},
    {"Petersburg", FORK_PETERSBURG}, {"Paris", FORK_PARIS},
    {"MuirGlacier", FORK_ISTANBUL}, {"ArrowGlacier", FORK_LONDON},
    {"GrayGlacier", FORK_LONDON},
    /* blob-parameter-only forks (EIP-7892) */
    {"BPO1", FORK_OSAKA}, {"BPO2", FORK_OSAKA}, {"BPO3", FORK_OSAKA},
    {"BPO4", FORK_OSAKA}, {"BPO5", FORK_OSAKA},
};

const char *fork_name(fork_id f) { return f < FORK_COUNT ? names[f] : "Unknown"; }

bool fork_from_name(const char *name, fork_id *out) {
    for (int i = 0; i < FORK_COUNT; i++)
        if (!strcasecmp(name, names[i])) {
            *out = (fork_id)i;
            return true;
        }
    for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
        if (!strcasecmp(name, aliases[i].alias)) {
            *out = aliases[i].fork;
            return true;
        }
    return false;
}
