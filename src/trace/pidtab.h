/*
 * pidtab.h - the per-pid delta bases of the binary form's 1.1 access
 * encoding (FORMAT.md 2.3.1), shared by the encoder and the decoder.
 *
 * The state must read as "every pid's bases at address 0, size 1" at each
 * frame start. Clearing a table per frame would cost O(capacity) per frame, so
 * every slot carries the generation that wrote it and a frame start only
 * bumps the table's generation: a slot of an older generation counts as
 * empty. Open addressing with linear probing; within one generation slots
 * are only added, never removed, so a probe may stop at the first slot of
 * another generation.
 *
 * Invariants: capacity is a power of two; at most half the slots hold the
 * current generation (the table doubles before that); n counts them. The
 * table only grows with the number of distinct pids of one frame, which the
 * frame's size bounds.
 *
 * The hot loops keep the current pid's bases in locals and store them back
 * into its slot only when the pid changes.
 */
#ifndef VMREPLAY_TRACE_PIDTAB_H
#define VMREPLAY_TRACE_PIDTAB_H

#include <stdint.h>
#include <string.h>

#include "binary.h"

struct pid_slot {
    uint32_t pid;
    uint32_t gen;
    struct acc_bases bases;
};

struct pidtab {
    struct pid_slot *slots;
    uint32_t mask;
    uint32_t shift; /* 32 - log2(capacity): the hash takes the high bits */
    uint32_t gen;
    uint32_t n;
};

int pidtab_init(struct pidtab *t);
void pidtab_release(struct pidtab *t);

/* Doubles the table and returns pid's new slot (added with fresh bases); NULL if
 * out of memory. Out of line: it runs once per doubling. */
struct pid_slot *pidtab_grow_add(struct pidtab *t, uint32_t pid);

/* Every pid back to fresh bases, in O(1) (O(capacity) once every 2^32 calls). */
static inline void pidtab_reset(struct pidtab *t)
{
    t->n = 0;
    if (++t->gen == 0) {
        memset(t->slots, 0, ((size_t)t->mask + 1) * sizeof *t->slots);
        t->gen = 1;
    }
}

/* The slot of pid, added with fresh bases if this generation has none yet. NULL
 * only if out of memory. The pointer is valid until the next call. */
static inline struct pid_slot *pidtab_get(struct pidtab *t, uint32_t pid)
{
    uint32_t i = (uint32_t)(pid * 0x9e3779b1u) >> t->shift;
    for (;;) {
        struct pid_slot *s = &t->slots[i];
        if (s->gen != t->gen) {
            if (t->n >= (t->mask + 1) / 2)
                return pidtab_grow_add(t, pid);
            s->pid = pid;
            s->gen = t->gen;
            bases_init(&s->bases);
            t->n++;
            return s;
        }
        if (s->pid == pid)
            return s;
        i = (i + 1) & t->mask;
    }
}

#endif
