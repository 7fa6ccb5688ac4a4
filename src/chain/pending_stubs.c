#pragma GCC diagnostic ignored "-Wmisleading-indentation"
/* TEMPORARY: minimal chain rules and header codec until the chain branch
 * lands (mainnet fork schedule only; no header decoding). Removed then. */
#include <stdlib.h>
#include "parevm/block.h"
chain_config chain_config_mainnet(void) {
    chain_config c = {.chain_id = 1, .homestead = 1150000, .dao = 1920000, .tangerine_whistle = 2463000,
        .spurious_dragon = 2675000, .byzantium = 4370000, .constantinople = 7280000, .petersburg = 7280000,
        .istanbul = 9069000, .muir_glacier = 9200000, .berlin = 12244000, .london = 12965000,
        .arrow_glacier = 13773000, .gray_glacier = 15050000, .paris_block = 15537394,
        .shanghai_time = 1681338455, .cancun_time = 1710338135, .prague_time = CHAIN_NEVER};
    return c;
}
bool chain_config_by_name(const char *name, chain_config *out) { (void)name; (void)out; return false; }
fork_id chain_fork_at(const chain_config *c, uint64_t n, uint64_t t, bool merged) {
    if (merged) { if (t >= c->cancun_time) return FORK_CANCUN; if (t >= c->shanghai_time) return FORK_SHANGHAI; return FORK_PARIS; }
    if (n >= c->london) return FORK_LONDON; if (n >= c->berlin) return FORK_BERLIN; if (n >= c->istanbul) return FORK_ISTANBUL;
    if (n >= c->petersburg) return FORK_PETERSBURG; if (n >= c->byzantium) return FORK_BYZANTIUM;
    if (n >= c->spurious_dragon) return FORK_SPURIOUS_DRAGON; if (n >= c->tangerine_whistle) return FORK_TANGERINE_WHISTLE;
    if (n >= c->homestead) return FORK_HOMESTEAD; return FORK_FRONTIER;
}
u256 chain_difficulty(const chain_config *c, uint64_t number, uint64_t timestamp, const u256 *pd, uint64_t pt, bool po) { (void)c;(void)number;(void)timestamp;(void)pt;(void)po; return *pd; }
u256 chain_block_reward(fork_id f) { u256 e18 = u256_from_u64(1000000000000000000ULL); u256 k = u256_from_u64(f >= FORK_PARIS ? 0 : f >= FORK_CONSTANTINOPLE ? 2 : f >= FORK_BYZANTIUM ? 3 : 5); return u256_mul(&k, &e18); }
const address CHAIN_DAO_REFUND_CONTRACT;
const address *chain_dao_accounts(size_t *n) { *n = 0; return NULL; }
bool header_decode(const uint8_t *rlp, size_t len, block_header *out, char *err, size_t errlen) { (void)rlp;(void)len;(void)out;(void)err;(void)errlen; return false; }
void header_encode(const block_header *h, buf_t *out) { (void)h; (void)out; }
bool block_decode(const uint8_t *rlp, size_t len, block *out, char *err, size_t errlen) { (void)rlp;(void)len;(void)out;(void)err;(void)errlen; return false; }
void block_free(block *b) { for (size_t i = 0; i < b->n_txs; i++) tx_free(&b->txs[i]); free(b->txs); free(b->ommers); free(b->withdrawals); memset(b, 0, sizeof *b); }
const char *header_validate(const chain_config *cfg, const block_header *p, const block_header *h, bool m) { (void)cfg;(void)p;(void)h;(void)m; return NULL; }
