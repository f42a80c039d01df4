/*
 * vmreplay/common.h - types, error codes and version shared by every module.
 *
 * Error convention: a fallible function returns int, 0 on success or a
 * negative VMR_E* code. Objects that read input also keep a detail message
 * (file, byte offset or line, what was expected) that the caller can print.
 * A simulated outcome (segfault, OOM kill, failed mmap) is never an error:
 * the statistics count it.
 */
#ifndef VMREPLAY_COMMON_H
#define VMREPLAY_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifndef VMR_VERSION_STRING
#define VMR_VERSION_STRING "0.1.0"
#endif

/* X(NAME, value, message). Values are stable: they may appear in scripts. */
#define VMR_ERRORS(X)                                                                              \
    X(OK, 0, "success")                                                                            \
    X(NOMEM, -1, "out of memory")                                                                  \
    X(IO, -2, "input/output error")                                                                \
    X(FORMAT, -3, "malformed input")                                                               \
    X(TRUNCATED, -4, "truncated input")                                                            \
    X(VERSION, -5, "unsupported format version")                                                   \
    X(INVAL, -6, "invalid argument")                                                               \
    X(RANGE, -7, "value out of range")                                                             \
    X(NOTFOUND, -8, "not found")                                                                   \
    X(COMPRESS, -9, "compression error")                                                           \
    X(ABI, -10, "plug-in ABI mismatch")                                                            \
    X(NOVICTIM, -11, "no evictable frame")                                                         \
    X(UNSUPPORTED, -12, "not supported")

enum vmr_error {
#define VMR_X_ENUM(name, value, msg) VMR_E##name = (value),
    VMR_ERRORS(VMR_X_ENUM)
#undef VMR_X_ENUM
};

/* Static message for a VMR_E* code (positive or negative); never NULL. */
const char *vmr_strerror(int err);

/* Address types. Distinct names keep units visible in signatures. */
typedef uint64_t vmr_vaddr_t; /* virtual byte address */
typedef uint64_t vmr_vpn_t;   /* virtual page number = vaddr >> page_shift */
typedef uint32_t vmr_pfn_t;   /* physical frame number in the simulated RAM */
typedef uint32_t vmr_pid_t;   /* process or thread id as the trace names it */

#define VMR_PFN_NONE UINT32_MAX

static inline vmr_vpn_t vmr_vaddr_to_vpn(vmr_vaddr_t va, unsigned page_shift)
{
    return va >> page_shift;
}

static inline vmr_vaddr_t vmr_vpn_to_vaddr(vmr_vpn_t vpn, unsigned page_shift)
{
    return vpn << page_shift;
}

/* Access kinds, in the order the trace format encodes them (FORMAT.md). */
enum vmr_op {
    VMR_OP_READ = 0,
    VMR_OP_WRITE = 1,
    VMR_OP_FETCH = 2,
};

/* Memory protection bits (mmap, mprotect, areas). */
enum {
    VMR_PROT_READ = 1u << 0,
    VMR_PROT_WRITE = 1u << 1,
    VMR_PROT_EXEC = 1u << 2,
};

/* mmap flags as the trace stores them (our own values, not Linux's). */
enum {
    VMR_MAP_SHARED = 1u << 0,
    VMR_MAP_PRIVATE = 1u << 1,
    VMR_MAP_ANON = 1u << 2,
    VMR_MAP_FIXED = 1u << 3,
    VMR_MAP_NORESERVE = 1u << 4,
    VMR_MAP_POPULATE = 1u << 5,
    VMR_MAP_GROWSDOWN = 1u << 6,
    VMR_MAP_STACK = 1u << 7,
    VMR_MAP_FIXED_NOREPLACE = 1u << 8,
    VMR_MAP_KNOWN_FLAGS = (1u << 9) - 1,
};

#endif
