/*
 * rthv.board._icount: what a block of guest code holds.  Its instruction count (T32 lengths
 * decoded), whether it writes a generic-timer register, and its time units: each A32
 * instruction's class weight (the same decoding as classify_arm in timing.py, which the tests
 * hold this to), T32 code and unreadable code at weights[W_OTHER] each.  A block's entry in the
 * cache holds all three, computed once when the block is first seen.
 */
#include <string.h>

#include "_icount.h"

/* Count T32 instructions. */
uint32_t count_thumb(const uint8_t *code, uint32_t size)
{
    uint32_t count = 0, offset = 0;
    while (offset + 1 < size) {
        offset += thumb_length(code + offset);
        count++;
    }
    return count;
}

/* True if ``code`` holds an MCR/MCRR to a CP15 c14 register (generic timer): MCR with CRn = 14
 * or MCRR with CRm = 14 (ARM ARM A8.8.99/A8.8.100, encodings A1 and T1). */
static int writes_timer(const uint8_t *code, uint32_t size, int thumb)
{
    uint32_t offset = 0;
    while (offset + 3 < size) {
        uint32_t lo = (uint32_t)(code[offset] | (code[offset + 1] << 8));
        uint32_t hi = (uint32_t)(code[offset + 2] | (code[offset + 3] << 8));
        if (thumb) {
            if (thumb_length(code + offset) == 2) {
                offset += 2;
                continue;
            }
            if ((lo & 0xff10) == 0xee00 && (hi & 0x0f10) == 0x0f10 && (lo & 0xf) == 14)
                return 1; /* MCR p15, ..., c14, ... */
            if ((lo & 0xfff0) == 0xec40 && (hi & 0x0f00) == 0x0f00 && (hi & 0xf) == 14)
                return 1; /* MCRR p15, ..., c14 */
            offset += 4;
        } else {
            uint32_t word = lo | (hi << 16);
            if ((word >> 28) != 0xf && (word & 0x0f100f10) == 0x0e000f10 &&
                ((word >> 16) & 0xf) == 14)
                return 1;
            if ((word >> 28) != 0xf && (word & 0x0ff00f00) == 0x0c400f00 && (word & 0xf) == 14)
                return 1;
            offset += 4;
        }
    }
    return 0;
}

static uint32_t popcount16(uint32_t v)
{
    uint32_t n = 0;
    for (v &= 0xffff; v; v &= v - 1)
        n++;
    return n;
}

/* Units of one A32 instruction: its class weight (the same decoding as classify_arm in
 * timing.py, which the tests hold this to). */
uint64_t arm_units(const struct icount_state *s, uint32_t w, int uncached)
{
    uint32_t cond = w >> 28, op = (w >> 25) & 7, low = (w >> 4) & 0xf, n;
    const uint32_t *k = s->weights;
    uint64_t ld = uncached ? k[W_UNCACHED_LOAD] : 0, st = uncached ? k[W_UNCACHED_STORE] : 0;
    if (cond == 0xf) {
        if ((w & 0xffffff00u) == 0xf57ff000u && low >= 4 && low <= 6)
            return k[W_BARRIER];
        if (op == 4)
            return ((w & (1u << 20)) && !(w & (1u << 22))) ? k[W_EXCEPTION] : (k[W_STORE] + st);
        return k[W_OTHER];
    }
    if (op == 0) {
        if ((w & 0x0ff000f0u) == 0x01400070u || (w & 0x0ff000f0u) == 0x01600070u ||
            (w & 0x0fffffffu) == 0x0160006eu)
            return k[W_EXCEPTION];
        if (low == 9 && ((w >> 24) & 0xf) == 0)
            return k[W_MUL];
        if (low == 9 && ((w >> 23) & 0x1f) == 2)
            return (k[W_LOAD] + ld);
        if (low == 9 && ((w >> 23) & 0x1f) == 3)
            return (w & (1u << 20)) ? (k[W_LOAD] + ld) : (k[W_STORE] + st);
        if ((low & 9) == 9 && low != 9) {
            if (!(w & (1u << 20)) && ((low >> 1) & 3) == 2)
                return (k[W_LOAD] + ld);
            return (w & (1u << 20)) ? (k[W_LOAD] + ld) : (k[W_STORE] + st);
        }
        if (((w >> 23) & 0x1f) == 2 && !(w & (1u << 20)) && (low & 9) == 8)
            return k[W_MUL];
    }
    if (op <= 1 && !(op == 0 && ((w >> 23) & 3) == 2 && !(w & (1u << 20))))
        return ((w & (1u << 20)) && ((w >> 12) & 0xf) == 15) ? k[W_EXCEPTION] : k[W_OTHER];
    if (op == 3 && (w & 0x10))
        return ((w & 0x0fd000f0u) == 0x07100010u) ? k[W_DIV] : k[W_OTHER];
    if (op == 2 || op == 3)
        return (w & (1u << 20)) ? (k[W_LOAD] + ld) : (k[W_STORE] + st);
    if (op == 4) {
        n = popcount16(w);
        if (w & (1u << 20)) {
            if ((w & (1u << 22)) && (w & (1u << 15)))
                return k[W_EXCEPTION];
            return k[W_LDM] + (n > 1 ? (uint64_t)(n - 1) * k[W_PER_REGISTER] : 0) + n * ld;
        }
        return k[W_STM] + (n > 1 ? (uint64_t)(n - 1) * k[W_PER_REGISTER] : 0) + n * st;
    }
    if (op == 6) {
        if (((w >> 21) & 0x7f) == 0x62 && ((w >> 9) & 7) == 7)
            return k[W_SYSTEM];
        return (w & (1u << 20)) ? (k[W_LOAD] + ld) : (k[W_STORE] + st);
    }
    if (op == 7) {
        if (w & (1u << 24))
            return k[W_EXCEPTION];
        if ((w & 0x10) && ((w >> 9) & 7) == 7)
            return k[W_SYSTEM];
    }
    return k[W_OTHER];
}

/* Units of a run of A32 code under the state's weights (tests hold timing.py to this). */
uint64_t rthv_arm_units(const struct icount_state *s, const uint8_t *code, uint32_t size,
                        int uncached)
{
    uint64_t units = 0;
    uint32_t offset, word;
    for (offset = 0; offset + 3 < size; offset += 4) {
        memcpy(&word, code + offset, 4);
        units += arm_units(s, word, uncached);
    }
    return units;
}

/* Fill ``slot`` for a block not in the cache: its instruction count (bit 31 set for T32, bit
 * 30 if it writes a generic-timer register) and its units.  A block is only ever executed in
 * one instruction set, so the cache also spares reading CPSR.T.  Out of line (in this source):
 * the hit path in rthv_block_hook runs at every block and needs none of this stack frame. */
struct block_entry *fill_block_entry(struct icount_state *s, void *uc, struct block_entry *slot,
                                     uint64_t address, uint32_t size, int uncached)
{
    uint8_t code[MAX_BLOCK_BYTES];
    uint32_t cpsr = 0, icount;
    int readable;
    s->reg_read(uc, s->cpsr_reg, &cpsr);
    readable = size <= MAX_BLOCK_BYTES &&
               s->vmem_read(uc, address, UC_PROT_EXEC_, code, size) == 0;
    if (!readable)
        icount = (cpsr & CPSR_T) ? (size / 2) | THUMB_FLAG : size / 4; /* unreadable */
    else if (!(cpsr & CPSR_T))
        icount = (size / 4) | (writes_timer(code, size, 0) ? TIMER_WRITE_FLAG : 0);
    else
        icount = count_thumb(code, size) | THUMB_FLAG |
                 (writes_timer(code, size, 1) ? TIMER_WRITE_FLAG : 0);
    slot->address = address;
    slot->size = size;
    slot->icount = icount;
    slot->uncached = (uint32_t)uncached;
    slot->units = code_units(s, readable ? code : NULL, size, icount & ICOUNT_MASK,
                             (cpsr & CPSR_T) != 0, uncached);
    return slot;
}

/* Empty the cache (code in memory changed): each block is decoded again when next entered. */
void rthv_forget_blocks(struct icount_state *s)
{
    memset(s->cache, 0, sizeof(s->cache));
}
