/* chain_block_rules: one block's execution rules from the chain
 * configuration. */
#include "parevm/chain_rules.h"

block_rules chain_block_rules(const chain_config *c, const block_header *h, bool merged) {
    fork_id fork = chain_fork_at(c, h->number, h->timestamp, merged);
    block_rules r = {
        .fork = fork,
        .chain_id = c->chain_id,
        .block_reward = c->clique ? U256_ZERO : chain_block_reward(fork),
        .deposit_contract = c->deposit_contract,
        .max_code_size = c->max_code_size,
        .no_tx_gas_cap = c->no_tx_gas_cap,
        .no_eip3607 = c->no_eip3607,
    };
    if (fork >= FORK_CANCUN) r.blob = chain_blob_params(c, h->timestamp);
    if (!c->dao_opposed && chain_is_at(c->dao, h->number)) {
        r.dao_fork = true;
        r.dao_accounts = chain_dao_accounts(&r.n_dao_accounts);
        r.dao_refund = CHAIN_DAO_REFUND_CONTRACT;
    }
    return r;
}
