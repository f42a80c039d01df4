/*
 * policy_harness.h - drives a replacement policy over a page-reference
 * string the way the simulated kernel does, without the kernel.
 *
 * Pages are plain uint64_t numbers (also used as the access key). The
 * harness owns n_frames frames and their frame_bits; free frames are used
 * first (lowest number first at the start, then the most recently freed);
 * on a miss it calls on_miss (VMR_POLICY_WANTS_MISS policies), then, with no
 * frame free, asks select_victim, evicts (on_evict), and loads the page
 * into that frame (on_insert). Every access sets REFERENCED (and DIRTY
 * for a write) before the policy's on_insert/on_hit, as the kernel's MMU
 * model does; on_hit is called only for VMR_POLICY_NEEDS_HITS policies.
 *
 * It checks the protocol as it goes and stops with VMR_EINVAL and a
 * message (vmr_ph_error) when the policy breaks it: a victim out of range,
 * free or pinned; VMR_ENOVICTIM while an unpinned frame is resident; other
 * error codes; and, in paranoid mode, any frame bit a policy changed other
 * than clearing REFERENCED of a frame it holds (free frames then carry
 * REFERENCED and DIRTY, as another instance's frames do in local scope).
 */
#ifndef VMREPLAY_TEST_POLICY_HARNESS_H
#define VMREPLAY_TEST_POLICY_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#include "vmreplay/policy.h"

struct vmr_ph_stats {
    uint64_t accesses;
    uint64_t hits;
    uint64_t faults; /* cold misses included */
    uint64_t evictions;
    uint64_t writebacks; /* evictions of dirty pages */
    uint64_t removes;
    uint64_t victim_hash; /* FNV-1a over the victims' frame numbers, in order */
};

struct vmr_ph;

/* Opens the policy `spec` (through vmr_policy_open) over n_frames frames.
 * Returns 0 or VMR_E* with the message in err. */
int vmr_ph_create(struct vmr_ph **out, const char *spec, uint32_t n_frames, uint64_t seed,
                  char *err, size_t err_len);
void vmr_ph_destroy(struct vmr_ph *h);

/* Checks every frame bit after every callback (O(frames) each). */
void vmr_ph_set_paranoid(struct vmr_ph *h, int on);

/* For VMR_POLICY_NO_ACCESS policies: the vmr_access handed to on_insert
 * and on_hit carries garbage (seeded), as the kernel may pass one with
 * nothing filled in; the victims must not change. No effect otherwise. */
void vmr_ph_set_scramble(struct vmr_ph *h, int on);

/* The next n victims the policy chooses are refused, as the kernel does
 * when swap is full: pinned until the fault is served, then unpinned. */
void vmr_ph_refuse(struct vmr_ph *h, uint32_t n);

/* One access. next_use: the time of the page's next access (UINT64_MAX if
 * none), passed to NEEDS_FUTURE policies; time is the number of accesses
 * before this one. Returns 1 for a fault, 0 for a hit, VMR_ENOVICTIM when a
 * frame was needed and every resident one is pinned (nothing changes), or
 * VMR_EINVAL when the policy broke the protocol. */
int vmr_ph_access(struct vmr_ph *h, uint64_t page, int write, uint64_t next_use);

/* Frees the page without replacement (on_remove). Returns 1 if it was
 * resident, 0 if not, VMR_EINVAL on a protocol error. */
int vmr_ph_remove(struct vmr_ph *h, uint64_t page);

/* Evicts the page without asking the policy (on_evict), as the kernel may
 * reclaim a page the policy did not choose; the frame becomes free. Returns
 * 1 if it was resident, 0 if not, VMR_EINVAL on a protocol error. */
int vmr_ph_reclaim(struct vmr_ph *h, uint64_t page);

/* Sets or clears VMR_FRAME_PINNED on the page's frame. Returns 0, or
 * VMR_ENOTFOUND if the page is not resident. */
int vmr_ph_pin(struct vmr_ph *h, uint64_t page, int pinned);

/* The frame holding page, or -1. */
int64_t vmr_ph_frame_of(const struct vmr_ph *h, uint64_t page);
uint32_t vmr_ph_n_resident(const struct vmr_ph *h);
const struct vmr_ph_stats *vmr_ph_stats(const struct vmr_ph *h);
const struct vmr_policy *vmr_ph_policy(const struct vmr_ph *h);
const char *vmr_ph_error(const struct vmr_ph *h);

/* next_use[i] = the smallest j > i with pages[j] == pages[i], UINT64_MAX if
 * none. *out is malloc'ed (the caller frees it). Returns 0 or VMR_ENOMEM. */
int vmr_ph_next_use(const uint64_t *pages, size_t n, uint64_t **out);

/* Runs the whole string (writes may be NULL: all reads) through a fresh
 * harness; next_use is computed for NEEDS_FUTURE policies. Returns 0 or
 * VMR_E* with the message in err. */
int vmr_ph_run(const char *spec, uint32_t n_frames, const uint64_t *pages, const uint8_t *writes,
               size_t n, uint64_t seed, struct vmr_ph_stats *out, char *err, size_t err_len);

/* Reference-string shapes for randomised tests. */
enum vmr_ph_shape {
    VMR_PH_UNIFORM, /* every page equally likely */
    VMR_PH_SKEWED,  /* a few pages get most touches (cube of a uniform) */
    VMR_PH_LOOP,    /* sequential sweeps over the pages, with some noise */
    VMR_PH_PHASES,  /* a working set that moves every few hundred touches */
    VMR_PH_N_SHAPES
};

/* Fills pages[0..n) with numbers in [0, n_pages) of the given shape, and
 * writes[0..n) (if not NULL) with about 30% writes; deterministic in seed. */
void vmr_ph_random_string(uint64_t seed, enum vmr_ph_shape shape, size_t n, uint32_t n_pages,
                          uint64_t *pages, uint8_t *writes);

/* Reads a LIRS-style trace (gzip of big-endian int32 block numbers) with
 * `gzip -dc` through popen. *pages is malloc'ed. Returns 0, VMR_ENOTFOUND
 * if the file is missing, VMR_EIO or VMR_EFORMAT otherwise. */
int vmr_ph_load_trc_gz(const char *path, uint64_t **pages, size_t *n);

#endif
