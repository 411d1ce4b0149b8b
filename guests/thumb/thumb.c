/*
 * thumb: a Thumb-2 compute guest (this file and thumb_asm.S are built with -mthumb;
 * the BSP and start-up are ARM, calls interwork through BLX).
 *
 *  1. sieve of Eratosthenes below 30000 -> prime table
 *  2. hash of the table (FNV-1a), UDIV/SDIV mixing, 64-bit accumulators (LDRD/STRD)
 *  3. a digit-driven state machine written as a dense switch (compiled to TBB/TBH)
 *  4. the hand-written TBB/TBH/LDRD/STRD/UDIV/SDIV helpers
 *  5. thumb_probe(), whose exact instruction count is documented in thumb_asm.S
 * Everything is deterministic; see README.md for the expected output.
 */
#include "bsp.h"

uint32_t thumb_probe(void);
uint32_t thumb_tbb_op(uint32_t sel, uint32_t x);
uint32_t thumb_tbh_op(uint32_t sel, uint32_t x);
uint32_t thumb_pairs(uint64_t *p, uint32_t n);
int32_t thumb_divs(int32_t a, int32_t b);

#define LIMIT       30000u
#define MAX_PRIMES  3300u

static uint8_t composite[LIMIT];
static uint32_t primes[MAX_PRIMES];
static uint64_t pairs[64];

struct acc64 {
    uint64_t sum;
    uint64_t mix;
};
static struct acc64 accs[4];

static uint32_t sieve(void)
{
    uint32_t n = 0;
    for (uint32_t i = 2; i < LIMIT; i++) {
        if (composite[i]) {
            continue;
        }
        if (n < MAX_PRIMES) {
            primes[n++] = i;
        }
        for (uint32_t j = i * i; j < LIMIT; j += i) {
            composite[j] = 1;
        }
    }
    return n;
}

static uint32_t hash_primes(uint32_t n)
{
    uint32_t h = 0x811c9dc5u;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t p = primes[i];
        h ^= p;
        h *= 16777619u;
        uint32_t q = h / p;                             /* udiv */
        int32_t s = (int32_t)h / -(int32_t)(p | 1u);    /* sdiv */
        struct acc64 *a = &accs[i & 3u];
        a->sum += (uint64_t)p * q;
        a->mix ^= ((uint64_t)(uint32_t)s << 32) | (h % p);
    }
    return h;
}

/* Dense switch over 10 states with distinct bodies: GCC emits TBB (or TBH). */
static uint32_t fsm_run(uint32_t n, uint32_t *accepts)
{
    uint32_t state = 0, acc = 0, count = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t p = primes[i];
        while (p != 0) {
            uint32_t d = p % 10u;
            p /= 10u;
            switch (state) {
            case 0:
                state = d & 7u;
                acc += d;
                break;
            case 1:
                state = d > 4 ? 2 : 5;
                acc ^= d << 3;
                break;
            case 2:
                state = (d + 3u) % 9u;
                acc = acc * 3u + d;
                break;
            case 3:
                if (d == 7u) {
                    count++;
                    state = 9;
                } else {
                    state = 4;
                }
                acc -= d;
                break;
            case 4:
                state = d ? 6 : 0;
                acc = (acc >> 1) | (acc << 31);
                break;
            case 5:
                state = (d & 1u) ? 7 : 8;
                acc += d * d;
                break;
            case 6:
                state = 3;
                acc ^= 0x5a5a5a5au;
                break;
            case 7:
                state = d < 3 ? 1 : 2;
                acc += 0x1000u;
                break;
            case 8:
                if (d == 3u) {
                    count++;
                }
                state = 0;
                acc = ~acc;
                break;
            case 9:
                state = (acc >> (d & 15u)) % 10u;
                acc += 17u;
                break;
            default:
                state = 0;
                break;
            }
        }
    }
    *accepts = count;
    return acc ^ state;
}

int main(void)
{
    uint32_t n = sieve();
    uint32_t sum = 0;
    for (uint32_t i = 0; i < n; i++) {
        sum += primes[i];
    }
    kprintf("thumb primes=%u last=%u sum=%u\n", n, primes[n - 1], sum);

    uint32_t h = hash_primes(n);
    uint32_t acc_lo = 0, acc_hi = 0;
    for (uint32_t i = 0; i < 4; i++) {
        uint64_t v = accs[i].sum ^ (accs[i].mix << i);
        acc_lo ^= (uint32_t)v;
        acc_hi += (uint32_t)(v >> 32);
    }
    kprintf("thumb hash=0x%08x acc=0x%08x%08x\n", h, acc_hi, acc_lo);

    uint32_t accepts;
    uint32_t f = fsm_run(n, &accepts);
    kprintf("thumb fsm=0x%08x accepts=%u\n", f, accepts);

    uint32_t tb = 0, th = 0;
    for (uint32_t i = 0; i < 64; i++) {
        tb = tb * 31u + thumb_tbb_op(i % 7u, primes[i] ^ tb);
        th = th * 37u + thumb_tbh_op(i % 8u, primes[i + 64] + th);
    }
    for (uint32_t i = 0; i < 64; i++) {
        pairs[i] = ((uint64_t)primes[i + 128] << 32) | primes[i + 192];
    }
    uint32_t pr = 0;
    for (uint32_t r = 0; r < 4; r++) {
        pr ^= thumb_pairs(pairs, 64);
    }
    pr ^= thumb_pairs(pairs, 0);
    int32_t dv = 0;
    for (uint32_t i = 0; i < 32; i++) {
        dv += thumb_divs((int32_t)(primes[i + 300] * 40503u), (int32_t)primes[i] - 50);
    }
    kprintf("thumb tbb=0x%08x tbh=0x%08x ldrd=0x%08x div=%d\n", tb, th, pr, dv);

    kprintf("thumb probe=0x%08x\n", thumb_probe());
    kprintf("thumb done\n");
    return 0;
}
