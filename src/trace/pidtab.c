/*
 * pidtab.c - set-up and growth of the per-pid address table (pidtab.h).
 */
#include <stdlib.h>

#include "pidtab.h"
#include "vmreplay/common.h"

enum { PIDTAB_INITIAL_LOG2 = 6 };

int pidtab_init(struct pidtab *t)
{
    size_t cap = (size_t)1 << PIDTAB_INITIAL_LOG2;
    t->slots = calloc(cap, sizeof *t->slots);
    if (!t->slots)
        return VMR_ENOMEM;
    t->mask = (uint32_t)cap - 1;
    t->shift = 32 - PIDTAB_INITIAL_LOG2;
    t->gen = 1;
    t->n = 0;
    return 0;
}

void pidtab_release(struct pidtab *t)
{
    free(t->slots);
    t->slots = NULL;
}

struct pid_slot *pidtab_grow_add(struct pidtab *t, uint32_t pid)
{
    /* a frame holds far fewer than 2^31 records, let alone distinct pids */
    if (t->shift <= 1)
        return NULL;
    size_t old_cap = (size_t)t->mask + 1, cap = 2 * old_cap;
    struct pid_slot *old = t->slots, *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return NULL;
    t->slots = slots;
    t->mask = (uint32_t)cap - 1;
    t->shift--;
    uint32_t gen = t->gen;
    t->n = 0;
    /* fresh slots have generation 0: make the live ones the only current
     * ones, keeping the current generation number (never 0) */
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].gen == gen) {
            struct pid_slot *s = pidtab_get(t, old[i].pid);
            s->bases = old[i].bases;
        }
    free(old);
    return pidtab_get(t, pid);
}
