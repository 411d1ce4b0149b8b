/*
 * compute: a CPU-bound, deterministic guest for speed measurements.
 *
 * COMPUTE_ROUNDS times (default 32, override with `make COMPUTE_ROUNDS=n`):
 *   - fill 64 Ki words with xorshift32 output (seed depends on the round),
 *   - sort them with an in-place quicksort (median of three, insertion sort below
 *     16 elements, recursion on the smaller part only),
 *   - check the order and CRC-32 (IEEE, reflected, table-driven) the sorted bytes.
 * Prints one line per round and a final line with the xor of all round CRCs.
 */
#include "bsp.h"

#ifndef COMPUTE_ROUNDS
#define COMPUTE_ROUNDS 32
#endif

#define N_WORDS (64u * 1024u)

static uint32_t data[N_WORDS];
static uint32_t crc_table[256];

static void crc32_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) {
            c = (c & 1u) ? (c >> 1) ^ 0xedb88320u : c >> 1;
        }
        crc_table[i] = c;
    }
}

static uint32_t crc32_words(const uint32_t *w, uint32_t n)
{
    uint32_t c = 0xffffffffu;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t v = w[i];
        /* little-endian byte order, as the bytes sit in memory */
        c = crc_table[(c ^ v) & 0xffu] ^ (c >> 8);
        c = crc_table[(c ^ (v >> 8)) & 0xffu] ^ (c >> 8);
        c = crc_table[(c ^ (v >> 16)) & 0xffu] ^ (c >> 8);
        c = crc_table[(c ^ (v >> 24)) & 0xffu] ^ (c >> 8);
    }
    return ~c;
}

static void fill(uint32_t seed)
{
    uint32_t x = seed;
    for (uint32_t i = 0; i < N_WORDS; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        data[i] = x;
    }
}

static void insertion_sort(uint32_t *a, int32_t lo, int32_t hi)
{
    for (int32_t i = lo + 1; i <= hi; i++) {
        uint32_t v = a[i];
        int32_t j = i - 1;
        while (j >= lo && a[j] > v) {
            a[j + 1] = a[j];
            j--;
        }
        a[j + 1] = v;
    }
}

static inline void swap(uint32_t *a, int32_t i, int32_t j)
{
    uint32_t t = a[i];
    a[i] = a[j];
    a[j] = t;
}

static void quicksort(uint32_t *a, int32_t lo, int32_t hi)
{
    while (hi - lo >= 16) {
        int32_t mid = lo + (hi - lo) / 2;
        if (a[mid] < a[lo]) {
            swap(a, mid, lo);
        }
        if (a[hi] < a[lo]) {
            swap(a, hi, lo);
        }
        if (a[hi] < a[mid]) {
            swap(a, hi, mid);
        }
        uint32_t pivot = a[mid];
        int32_t i = lo, j = hi;
        while (i <= j) {
            while (a[i] < pivot) {
                i++;
            }
            while (a[j] > pivot) {
                j--;
            }
            if (i <= j) {
                swap(a, i, j);
                i++;
                j--;
            }
        }
        if (j - lo < hi - i) {
            quicksort(a, lo, j);
            lo = i;
        } else {
            quicksort(a, i, hi);
            hi = j;
        }
    }
    insertion_sort(a, lo, hi);
}

static uint32_t count_inversions(const uint32_t *a, uint32_t n)
{
    uint32_t bad = 0;
    for (uint32_t i = 1; i < n; i++) {
        bad += a[i - 1] > a[i];
    }
    return bad;
}

int main(void)
{
    kprintf("compute start rounds=%u words=%u\n", (uint32_t)COMPUTE_ROUNDS, N_WORDS);
    crc32_init();
    uint32_t all = 0;
    for (uint32_t r = 0; r < COMPUTE_ROUNDS; r++) {
        fill(0x12345678u + r * 0x9e3779b9u);
        quicksort(data, 0, (int32_t)N_WORDS - 1);
        uint32_t bad = count_inversions(data, N_WORDS);
        uint32_t crc = crc32_words(data, N_WORDS);
        all ^= crc;
        kprintf("round %u min=0x%08x max=0x%08x crc=0x%08x%s\n", r, data[0],
                data[N_WORDS - 1], crc, bad ? " UNSORTED" : "");
    }
    kprintf("compute crc=0x%08x\n", all);
    kprintf("compute done\n");
    return 0;
}
