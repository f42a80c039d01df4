/*
 * asid.h - address spaces as the kernel forms them, tracked from the trace
 * alone (for the passes that precede or replace a replay: the OPT oracle,
 * miss-ratio curves). A thread shares its creator's address space; fork,
 * exec and a pid first seen (or seen again after it exited) start new ones.
 * Address spaces are numbered 0, 1, 2... in order of creation.
 */
#ifndef VMREPLAY_SIM_ASID_H
#define VMREPLAY_SIM_ASID_H

#include "hashmap.h"
#include "vmreplay/trace.h"

#define ASID_NONE UINT64_MAX

struct asids {
    struct vmr_hashmap pid_asid; /* live pid -> address space */
    uint32_t *owner;             /* per address space: pid whose exit ends it */
    size_t n, cap;
};

int asids_init(struct asids *a);
void asids_release(struct asids *a);

/* The address space pid uses now, creating one if it has none. 0 or
 * VMR_ENOMEM. */
int asids_of(struct asids *a, uint32_t pid, uint64_t *asid);

/* Applies a fork, thread, exec or exit record (others are ignored). Sets
 * *ended to the address space the record ended (exit of its owner, exec),
 * or ASID_NONE. 0 or VMR_ENOMEM. */
int asids_event(struct asids *a, const struct vmr_record *r, uint64_t *ended);

#endif
