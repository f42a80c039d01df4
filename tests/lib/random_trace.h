/*
 * random_trace.h - small random multi-process traces for OPT's tests:
 * processes that fork, exit and map anonymous memory again at the same
 * address, touching one file through a private and a shared mapping, a
 * private anonymous area and a shared anonymous one. Every access is
 * allowed and by a live process, so every touch uses a page.
 */
#ifndef VMR_TEST_RANDOM_TRACE_H
#define VMR_TEST_RANDOM_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include "vmreplay/sim.h"

/* Writes a text trace of about n_access accesses to a temporary file and
 * returns its path (valid until 16 more vmr_test_tmp calls). With cow == 0
 * private areas are only read, so no page is ever copied; otherwise they
 * are written too. */
const char *vmr_rt_write(uint64_t seed, size_t n_access, int cow);

/* Replays path with policy spec and `frames` pages of memory (unlimited
 * swap), plus options opts (key, value, ..., NULL; vmr_replay_config_set;
 * may be NULL); *loads = pages brought into memory (zero-fills, file
 * reads, swap-ins and copy-on-write copies). Returns 0 or the error
 * (printed). */
int vmr_rt_replay(const char *path, const char *spec, uint32_t frames, const char *const *opts,
                  uint64_t *loads);

#endif
