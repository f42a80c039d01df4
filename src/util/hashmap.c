/*
 * hashmap.c - see hashmap.h. Invariant: every entry is reachable from its
 * home slot without crossing an unused slot (maintained by backward-shift
 * deletion).
 */
#include "hashmap.h"

#include <stdlib.h>
#include <string.h>

#include "vmreplay/common.h"

static int alloc_table(struct vmr_hashmap *m, size_t cap)
{
    m->keys = malloc(cap * sizeof *m->keys);
    m->vals = malloc(cap * sizeof *m->vals);
    m->used = calloc(cap, 1);
    if (!m->keys || !m->vals || !m->used) {
        free(m->keys);
        free(m->vals);
        free(m->used);
        m->keys = m->vals = NULL;
        m->used = NULL;
        return VMR_ENOMEM;
    }
    m->mask = cap - 1;
    m->n = 0;
    return 0;
}

int vmr_hashmap_init(struct vmr_hashmap *m, size_t expected)
{
    size_t cap = 16;
    while (cap / 8 * 5 < expected)
        cap *= 2;
    return alloc_table(m, cap);
}

void vmr_hashmap_release(struct vmr_hashmap *m)
{
    free(m->keys);
    free(m->vals);
    free(m->used);
    memset(m, 0, sizeof *m);
}

void vmr_hashmap_clear(struct vmr_hashmap *m)
{
    if (m->used)
        memset(m->used, 0, m->mask + 1);
    m->n = 0;
}

static void insert_new(struct vmr_hashmap *m, uint64_t key, uint64_t val)
{
    size_t i = (size_t)vmr_hash64(key) & m->mask;
    while (m->used[i])
        i = (i + 1) & m->mask;
    m->used[i] = 1;
    m->keys[i] = key;
    m->vals[i] = val;
    m->n++;
}

static int grow(struct vmr_hashmap *m)
{
    struct vmr_hashmap old = *m;
    size_t cap = old.keys ? (old.mask + 1) * 2 : 16;
    if (alloc_table(m, cap) != 0) {
        *m = old;
        return VMR_ENOMEM;
    }
    if (old.keys) {
        for (size_t i = 0; i <= old.mask; i++)
            if (old.used[i])
                insert_new(m, old.keys[i], old.vals[i]);
    }
    free(old.keys);
    free(old.vals);
    free(old.used);
    return 0;
}

uint64_t *vmr_hashmap_upsert(struct vmr_hashmap *m, uint64_t key, uint64_t init, int *inserted)
{
    if (!m->keys || (m->n + 1) * 8 > (m->mask + 1) * 5) {
        if (grow(m) != 0)
            return NULL;
    }
    size_t i = (size_t)vmr_hash64(key) & m->mask;
    while (m->used[i]) {
        if (m->keys[i] == key) {
            if (inserted)
                *inserted = 0;
            return &m->vals[i];
        }
        i = (i + 1) & m->mask;
    }
    m->used[i] = 1;
    m->keys[i] = key;
    m->vals[i] = init;
    m->n++;
    if (inserted)
        *inserted = 1;
    return &m->vals[i];
}

int vmr_hashmap_put(struct vmr_hashmap *m, uint64_t key, uint64_t val)
{
    uint64_t *v = vmr_hashmap_upsert(m, key, val, NULL);
    if (!v)
        return VMR_ENOMEM;
    *v = val;
    return 0;
}

int vmr_hashmap_remove(struct vmr_hashmap *m, uint64_t key)
{
    if (m->n == 0)
        return 0;
    size_t i = (size_t)vmr_hash64(key) & m->mask;
    while (m->used[i] && m->keys[i] != key)
        i = (i + 1) & m->mask;
    if (!m->used[i])
        return 0;
    /* Backward-shift: move later members of the probe run into the hole
     * when their home slot does not lie cyclically in (hole, j]. */
    size_t hole = i, j = i;
    for (;;) {
        j = (j + 1) & m->mask;
        if (!m->used[j])
            break;
        size_t home = (size_t)vmr_hash64(m->keys[j]) & m->mask;
        int in_range = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
        if (!in_range) {
            m->keys[hole] = m->keys[j];
            m->vals[hole] = m->vals[j];
            hole = j;
        }
    }
    m->used[hole] = 0;
    m->n--;
    return 1;
}
