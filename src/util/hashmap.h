/*
 * hashmap.h - open-addressing map from uint64_t keys to uint64_t values.
 *
 * Linear probing in a power-of-two table kept at most 5/8 full; deletion
 * shifts later entries back (no tombstones), so lookups stay short after
 * many removals. Any key is allowed: occupancy is tracked in a separate
 * byte array rather than by reserving a key value. The table grows by
 * doubling, so inserts are amortised O(1) with no per-insert allocation.
 */
#ifndef VMREPLAY_UTIL_HASHMAP_H
#define VMREPLAY_UTIL_HASHMAP_H

#include <stddef.h>
#include <stdint.h>

struct vmr_hashmap {
    uint64_t *keys;
    uint64_t *vals;
    uint8_t *used;
    size_t mask; /* capacity - 1; capacity 0 when mask == 0 and keys == NULL */
    size_t n;
};

/* Prepares an empty map able to hold `expected` entries before growing. */
int vmr_hashmap_init(struct vmr_hashmap *m, size_t expected);
void vmr_hashmap_release(struct vmr_hashmap *m);
/* Removes every entry, keeping the storage. */
void vmr_hashmap_clear(struct vmr_hashmap *m);

static inline uint64_t vmr_hash64(uint64_t x)
{
    /* splitmix64 finaliser: full avalanche, cheap */
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

/* Returns a pointer to the value for key, or NULL. Valid until the next
 * insertion or removal. */
static inline uint64_t *vmr_hashmap_find(const struct vmr_hashmap *m, uint64_t key)
{
    if (m->n == 0)
        return NULL;
    size_t i = (size_t)vmr_hash64(key) & m->mask;
    while (m->used[i]) {
        if (m->keys[i] == key)
            return &m->vals[i];
        i = (i + 1) & m->mask;
    }
    return NULL;
}

/* Inserts or overwrites. Returns 0 or VMR_ENOMEM. */
int vmr_hashmap_put(struct vmr_hashmap *m, uint64_t key, uint64_t val);

/* Returns the value slot for key, inserting `init` first if absent
 * (*inserted says which). NULL only on allocation failure. */
uint64_t *vmr_hashmap_upsert(struct vmr_hashmap *m, uint64_t key, uint64_t init, int *inserted);

/* Removes key; returns 1 if it was present. */
int vmr_hashmap_remove(struct vmr_hashmap *m, uint64_t key);

/* Iteration: for (size_t i = 0; i <= m->mask && m->keys; i++) if (m->used[i]) ... */

#endif
