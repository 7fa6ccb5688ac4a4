/* The EVM interpreter: per-thread VM scratch, frame set-up and the dispatch
 * loop. The loop itself lives in interp_loop.inc and is compiled twice, with
 * and without EIP-3155 tracing, so that untraced execution pays nothing. */
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include "evm_internal.h"
#include "parevm/keccak.h"

static const void *jump_tables[2][FORK_COUNT][256];

static inline uint64_t load_be64(const uint8_t *p) {
    uint64_t v;
    memcpy(&v, p, 8);
    return __builtin_bswap64(v);
}
static pthread_once_t jump_once = PTHREAD_ONCE_INIT;

static evm_status run_plain(evm_frame *f, const void **labels_out);
static evm_status run_traced(evm_frame *f, const void **labels_out);

/* Builds per-fork dispatch tables: opcodes not yet defined in a fork jump to
 * the undefined-instruction handler, so the loop needs no fork checks. */
static void build_jump_tables(void) {
    const evm_tables *t = evm_get_tables();
    const void *labels[2][256];
    run_plain(NULL, labels[0]);
    run_traced(NULL, labels[1]);
    for (int v = 0; v < 2; v++)
        for (int fk = 0; fk < FORK_COUNT; fk++)
            for (int op = 0; op < 256; op++)
                jump_tables[v][fk][op] = t->gas[fk][op] < 0 ? labels[v][0x0c] : labels[v][op];
}

evm_vm *evm_vm_new(void) {
    pthread_once(&jump_once, build_jump_tables);
    evm_vm *vm = calloc(1, sizeof *vm);
    if (!vm) abort();
    /* one extra slot per stack so that sp == floor (empty) stays in bounds */
    vm->stack_area_bytes = (size_t)(EVM_MAX_DEPTH + 1) * (EVM_STACK_LIMIT + 1) * sizeof(u256);
    void *p = mmap(NULL, vm->stack_area_bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) abort();
    vm->stack_area = p;
    return vm;
}

void evm_vm_free(evm_vm *vm) {
    if (!vm) return;
    munmap(vm->stack_area, vm->stack_area_bytes);
    for (int i = 0; i <= EVM_MAX_DEPTH; i++) {
        free(vm->mem[i].data);
        buf_free(&vm->ret[i]);
        buf_free(&vm->precompile_out[i]);
        if (vm->init_code) {
            buf_free(&vm->init_code[i].bytes);
            buf_free(&vm->init_code[i].jumpdests);
        }
    }
    free(vm->init_code);
    evm_keccak_memo_free(vm);
    free(vm);
}

void evm_vm_set_tracer(evm_vm *vm, evm_tracer *tracer) { vm->tracer = tracer; }

bool evm_vm_memory_exhausted(evm_vm *vm) {
    bool e = vm->mem_exhausted;
    vm->mem_exhausted = false;
    return e;
}

/* Frees the frames' memory (after a transaction that used a lot of it). */
static void release_memory(evm_vm *vm) {
    for (int i = 0; i <= EVM_MAX_DEPTH; i++) {
        free(vm->mem[i].data);
        memset(&vm->mem[i], 0, sizeof vm->mem[i]);
    }
    vm->mem_committed = 0;
}

const evm_code *evm_vm_scratch_code(evm_vm *vm, int depth, const uint8_t *bytes, size_t len) {
    if (!vm->init_code) {
        vm->init_code = calloc(EVM_MAX_DEPTH + 1, sizeof *vm->init_code);
        if (!vm->init_code) abort();
    }
    struct scratch_code *sc = &vm->init_code[depth];
    buf_clear(&sc->bytes);
    buf_reserve(&sc->bytes, len + EVM_CODE_PADDING);
    if (len) memcpy(sc->bytes.data, bytes, len);
    memset(sc->bytes.data + len, 0, EVM_CODE_PADDING);
    size_t words = len / 64 + 1;
    buf_clear(&sc->jumpdests);
    buf_reserve(&sc->jumpdests, words * sizeof(uint64_t));
    uint64_t *bits = (uint64_t *)(void *)sc->jumpdests.data;
    evm_code_analyze_into(sc->bytes.data, len, bits);
    memset(&sc->code.hash, 0, sizeof sc->code.hash); /* init code has no code hash */
    sc->code.len = len;
    sc->code.bytes = sc->bytes.data;
    atomic_store_explicit(&sc->code.jumpdests, bits, memory_order_relaxed);
    return &sc->code;
}

bool evm_mem_grow(evm_frame *f, uint64_t end) {
    evm_memory *m = f->mem;
    uint64_t new_words = (end + 31) / 32, old_words = m->size / 32;
    int64_t cost = evm_memory_cost(new_words) - evm_memory_cost(old_words);
    if (f->gas < cost) return false;
    f->gas -= cost;
    size_t new_size = new_words * 32;
    if (new_size > m->cap) {
        evm_vm *vm = f->vm;
        size_t cap = m->cap ? m->cap : 4096, room = EVM_MEMORY_BUDGET - (vm->mem_committed - m->cap);
        while (cap < new_size) cap *= 2;
        if (cap > room) cap = new_size;
        /* past the budget, or refused by the allocator: the frame stops as
         * out of gas and the executor rejects the transaction (input must
         * never kill the process) */
        uint8_t *d = cap <= room ? realloc(m->data, cap) : NULL;
        if (!d) {
            vm->mem_exhausted = true;
            return false;
        }
        vm->mem_committed += cap - m->cap;
        m->data = d;
        m->cap = cap;
    }
    memset(m->data + m->size, 0, new_size - m->size);
    m->size = new_size;
    return true;
}

void evm_copy_padded(uint8_t *dst, const uint8_t *src, size_t src_len, const u256 *src_off, size_t len) {
    size_t n = 0;
    if (u256_fits_u64(src_off) && src_off->w[0] < src_len) {
        n = src_len - src_off->w[0];
        if (n > len) n = len;
        memcpy(dst, src + src_off->w[0], n);
    }
    memset(dst + n, 0, len - n);
}

const char *evm_status_name(evm_status s) {
    static const char *const names[] = {
        "success", "revert", "out of gas", "undefined instruction", "invalid instruction",
        "stack underflow", "stack overflow", "bad jump destination", "invalid memory access",
        "static mode violation", "precompile failure", "create collision",
        "contract validation failure", "initcode size exceeded", "call depth exceeded",
        "insufficient balance", "nonce overflow",
    };
    return (size_t)s < sizeof names / sizeof names[0] ? names[s] : "unknown";
}

evm_result evm_execute(evm_vm *vm, const evm_host *host, const evm_tx_context *tx,
                       const evm_message *msg, const evm_code *code) {
    int depth = msg->depth;
    evm_frame f = {
        .vm = vm, .host = host, .tx = tx, .msg = msg, .code = code, .fork = tx->fork,
        .gas = msg->gas, .refund = 0,
        .mem = &vm->mem[depth], .ret = &vm->ret[depth],
    };
    if (depth == 0 && vm->mem_committed > EVM_MEMORY_KEEP) release_memory(vm);
    f.floor = vm->stack_area + (size_t)depth * (EVM_STACK_LIMIT + 1);
    f.sp = f.floor;
    f.mem->size = 0;
    buf_clear(f.ret);

    evm_status st = vm->tracer ? run_traced(&f, NULL) : run_plain(&f, NULL);

    evm_result r = {.status = st};
    if (st == EVM_SUCCESS || st == EVM_REVERT) {
        r.gas_left = f.gas;
        r.output = f.out;
        r.output_size = f.out_len;
        if (st == EVM_SUCCESS) r.gas_refund = f.refund;
    }
    return r;
}

#define TRACED 0
#define RUN_FN run_plain
#include "interp_loop.inc"
#undef TRACED
#undef RUN_FN

#define TRACED 1
#define RUN_FN run_traced
#include "interp_loop.inc"
#undef TRACED
#undef RUN_FN
