/*
 * vmreplay/policy.h - the page-replacement policy interface (plug-in ABI).
 *
 * A policy decides which resident frame to give up when the simulated kernel
 * needs a free one. It sees frames by number and a narrow view of each (the
 * bits below), never kernel structures. Built-in policies and user plug-ins
 * (shared objects loaded with `--policy ./mine.so`) implement the same ops
 * table; a plug-in exports
 *
 *     const struct vmr_policy_ops *vmr_policy_plugin(void);
 *
 * returning a table whose abi_version equals VMR_POLICY_ABI_VERSION.
 *
 * Protocol, for one frame: on_insert, then any number of on_hit (only for
 * policies with VMR_POLICY_NEEDS_HITS), then either on_evict (after the
 * policy chose it in select_victim, or the kernel reclaimed it) or on_remove
 * (the page was freed: munmap, exit, truncation). The frame number may then
 * be inserted again. The kernel never calls select_victim while a free frame
 * exists. It may call select_victim again before any on_evict (the chosen
 * page could not leave memory now: the kernel pins it and asks again), so
 * choosing must not forget the frame; only on_evict/on_remove do.
 *
 * Bits and callbacks: when on_insert or on_hit is called, frame_bits[frame]
 * already has REFERENCED for that access, and the kernel does not set it
 * again for the same access (DIRTY may be set later in the same fault, as
 * for a write after a swap-in). A policy that wants a new page to start
 * unreferenced (CLOCK) clears REFERENCED in on_insert.
 *
 * Two kinds of policy:
 *   - hardware-realistic: no VMR_POLICY_NEEDS_HITS. The kernel only sets
 *     VMR_FRAME_REFERENCED (and DIRTY on writes) in frame_bits on every
 *     access, as an MMU sets the accessed/dirty bits; the policy reads and
 *     clears REFERENCED itself (CLOCK, NRU, the Linux-like lists);
 *   - oracle: VMR_POLICY_NEEDS_HITS. Also told of every hit (LRU, LFU, ARC,
 *     LIRS, OPT), which real hardware cannot do.
 *
 * A miss (optional, VMR_POLICY_WANTS_MISS): before the kernel looks for a
 * frame for a page that is not resident, it calls on_miss with that access
 * (the same vmr_access, key included, that on_insert then gets). A policy
 * whose choice of victim depends on the incoming page (ARC: its ghost hit
 * adapts the target before REPLACE) uses it; it must still work when the
 * call does not come (a kernel or harness that predates the flag), by
 * doing that work late, in on_insert.
 *
 * Time: vmr_access.time is the virtual clock (page touches so far).
 * Hardware-realistic policies that need a clock (NRU's periodic reset,
 * Aging's ticks, WSClock's window) read it from the accesses they are given
 * (on_insert, on_miss), since hits are not reported to them.
 *
 * Hot path rules for implementers: allocate everything in create (sized by
 * n_frames; ghost lists bounded by a multiple of n_frames); no allocation in
 * the callbacks.
 *
 * Versions: VMR_POLICY_ABI_VERSION 1. Extensions that older plug-ins cannot
 * notice are gated by flags, and the ops they add sit at the end of the
 * table and are read only when their flag is set, so a table compiled
 * against an older version-1 header (which cannot set those flags) is still
 * read correctly: VMR_POLICY_WANTS_MISS adds on_miss; VMR_POLICY_HIT_NO_KEY
 * lets the kernel skip looking up the key of every hit; VMR_POLICY_PEEK adds
 * peek_victim; VMR_POLICY_REPLACE adds on_replace (VMR_POLICY_FAR_GUESS
 * tells how far its guess lies); VMR_POLICY_RESIZE adds resize;
 * VMR_POLICY_NO_ACCESS lets the kernel skip filling in vmr_access;
 * VMR_POLICY_NEXT_VICTIM names the next victim in cfg->next_victim (a
 * config field after the older ones), so the kernel can skip select_victim
 * (VMR_POLICY_NEXT_UNREF: when that frame is also unreferenced).
 */
#ifndef VMREPLAY_POLICY_H
#define VMREPLAY_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "vmreplay/common.h"

/* Bumped on any incompatible change of the structs or callbacks below. */
#define VMR_POLICY_ABI_VERSION 1u

/* Name of the function a plug-in exports. */
#define VMR_POLICY_PLUGIN_SYMBOL "vmr_policy_plugin"

/* frame_bits[frame]: set by the kernel. A policy may clear REFERENCED of the
 * frames it holds (inserted and not yet evicted or removed); it must not
 * change the other bits, nor any bit of other frames: in local scope
 * (--scope local) each process has its own instance of the policy, all
 * sharing one frame_bits array unless the policy has resize (then each
 * instance has its own array and frame numbers). */
enum {
    VMR_FRAME_REFERENCED = 1u << 0, /* accessed since the policy last cleared it */
    VMR_FRAME_DIRTY = 1u << 1,      /* modified: evicting it costs a write */
    VMR_FRAME_PINNED = 1u << 2,     /* must not be chosen as victim now */
};

/* ops flags */
enum {
    VMR_POLICY_NEEDS_HITS = 1u << 0,   /* call on_hit on every access to a resident page */
    VMR_POLICY_NEEDS_FUTURE = 1u << 1, /* fill vmr_access.next_use (oracle pre-pass) */
    VMR_POLICY_WANTS_MISS = 1u << 2,   /* call on_miss before finding a frame for a miss */
    VMR_POLICY_HIT_NO_KEY = 1u << 3,   /* on_hit does not read vmr_access.key: the kernel
                                          may pass VMR_KEY_UNKNOWN (saves a cache miss
                                          per hit on large memories) */
    VMR_POLICY_PEEK = 1u << 4,         /* peek_victim is set */
    VMR_POLICY_REPLACE = 1u << 5,      /* on_replace is set (with PEEK) */
    VMR_POLICY_RESIZE = 1u << 6,       /* resize is set */
    VMR_POLICY_FAR_GUESS = 1u << 7,    /* with REPLACE: on_replace's guess lies about 8
                                          evictions ahead (hits may bring it nearer
                                          for a while) */
    VMR_POLICY_NO_ACCESS = 1u << 8,    /* on_insert, on_hit and on_replace never read their
                                          vmr_access: the kernel may pass one with nothing
                                          filled in (saves building it on every fault and
                                          hit) */
    VMR_POLICY_NEXT_VICTIM = 1u << 9,  /* keeps *cfg->next_victim (see there): the kernel
                                          then calls select_victim only when that frame
                                          is pinned or none is named */
    VMR_POLICY_NEXT_UNREF = 1u << 10,  /* with NEXT_VICTIM: the named frame is the choice
                                          only while REFERENCED is clear too (a clock
                                          hand's frame); the kernel checks that bit */
};

/* vmr_access.key in on_hit for VMR_POLICY_HIT_NO_KEY policies. */
#define VMR_KEY_UNKNOWN UINT64_MAX

/* What a policy is told of one access (a page touch). */
struct vmr_access {
    uint64_t time;     /* virtual clock: page touches before this one */
    uint64_t next_use; /* NEEDS_FUTURE: time of the next touch of the same page,
                          UINT64_MAX if none; otherwise UINT64_MAX */
    uint64_t key;      /* logical page identity, stable across eviction and
                          swap; equal keys are the same page (for ghost lists) */
    uint32_t pid;      /* process that touched it */
    uint32_t count;    /* accesses collapsed into this touch, >= 1 */
    uint8_t op;        /* enum vmr_op */
};

/* A parameter a policy accepts as key=value. The registry rejects keys a
 * policy does not list, so `params` must name every key create accepts. */
struct vmr_policy_param {
    const char *name;
    const char *default_value;
    const char *help;
};

struct vmr_policy_kv {
    const char *key;
    const char *value;
};

struct vmr_policy_config {
    uint32_t n_frames;
    uint8_t *frame_bits; /* n_frames bytes of VMR_FRAME_* bits, owned by the kernel */
    uint64_t seed;       /* for randomised policies */
    size_t n_params;     /* key=value pairs from --policy NAME:k=v,... */
    const struct vmr_policy_kv *params;
    char *errbuf; /* create writes why it failed here (unknown key, bad value);
                     valid during create only */
    size_t errbuf_len;
    /* VMR_POLICY_NEXT_VICTIM: from create on and after every callback, the
     * policy stores here the frame select_victim would choose now, provided
     * that frame is not pinned (VMR_PFN_NONE if it names none). With
     * VMR_POLICY_NEXT_UNREF, provided it is not REFERENCED either: for a
     * choice that depends on REFERENCED bits the kernel sets without a
     * callback (CLOCK's hand stops at the first unreferenced frame);
     * without it, the choice must depend on nothing but the callbacks. May
     * be NULL (a caller that does not read it): the policy then keeps it
     * elsewhere. Outlives the state, like frame_bits. */
    vmr_pfn_t *next_victim;
};

/* A policy-specific counter (ghost hits, adaptations...). */
struct vmr_policy_counter {
    const char *name;
    uint64_t value;
};

struct vmr_policy_ops {
    uint32_t abi_version;                  /* VMR_POLICY_ABI_VERSION */
    uint32_t flags;                        /* VMR_POLICY_* */
    const char *name;                      /* lower-case, as given to --policy */
    const char *summary;                   /* one line, with the paper it follows */
    const struct vmr_policy_param *params; /* array ended by a NULL name; NULL = none */

    /* Allocates the state for cfg->n_frames frames. Returns 0 or VMR_E*
     * (VMR_EINVAL for a bad parameter, with a message in cfg->errbuf). The
     * config and the arrays it points to outlive the state. */
    int (*create)(const struct vmr_policy_config *cfg, void **state);
    void (*destroy)(void *state); /* accepts NULL */

    /* A page was loaded into `frame` (which was free). */
    void (*on_insert)(void *state, vmr_pfn_t frame, const struct vmr_access *a);
    /* An access to the resident page in `frame`. NULL unless NEEDS_HITS. */
    void (*on_hit)(void *state, vmr_pfn_t frame, const struct vmr_access *a);
    /* Chooses a resident, unpinned frame to evict, without evicting it.
     * Returns 0, or VMR_ENOVICTIM if every resident frame is pinned. */
    int (*select_victim)(void *state, vmr_pfn_t *frame);
    /* The page with `key` left `frame` by replacement (may keep a ghost). */
    void (*on_evict)(void *state, vmr_pfn_t frame, uint64_t key);
    /* The page in `frame` was freed outright (no ghost). */
    void (*on_remove)(void *state, vmr_pfn_t frame);

    /* Optional: writes up to max counters, returns how many exist. */
    size_t (*report)(void *state, struct vmr_policy_counter *out, size_t max);

    /* Read only with VMR_POLICY_WANTS_MISS: the page of access `a` is not
     * resident; select_victim (if no frame is free) and on_insert follow. */
    void (*on_miss)(void *state, const struct vmr_access *a);

    /* Read only with VMR_POLICY_PEEK: a cheap guess, changing nothing, of
     * the frame select_victim would choose now (VMR_PFN_NONE: no guess).
     * After each eviction the kernel prefetches the metadata of the guessed
     * frame, so the next eviction finds it in cache; a wrong guess costs
     * only that prefetch, never a different outcome. */
    vmr_pfn_t (*peek_victim)(const void *state);

    /* Read only with VMR_POLICY_REPLACE (which needs VMR_POLICY_PEEK): the
     * page with old_key left `frame` by replacement and the page of access
     * `a` was loaded into it. Must do exactly what on_evict(frame, old_key)
     * then on_insert(frame, a) would. Returns a cheap guess, like
     * peek_victim's, of a frame to be chosen some evictions from now (at
     * least two; VMR_PFN_NONE: no guess): the kernel fetches its metadata
     * now and its page-table entry at the next eviction, or, with
     * VMR_POLICY_FAR_GUESS (a guess about 8 ahead), four evictions later,
     * which hides more memory latency. The
     * kernel may call it instead of on_evict, on_insert and peek_victim
     * (one call per fault in the common case instead of three) or not. */
    vmr_pfn_t (*on_replace)(void *state, vmr_pfn_t frame, uint64_t old_key,
                            const struct vmr_access *a);

    /* Read only with VMR_POLICY_RESIZE: the instance now has n_frames
     * frames (more or fewer) and reads their bits from frame_bits (a new
     * array of n_frames bytes whose first min(old, new) entries the caller
     * copied). Frames keep their numbers, and every frame the instance
     * holds is below n_frames. Everything the policy remembers is kept (the
     * order of its lists, its ghosts up to the new bound, its counters);
     * parameters the policy derives from its size (ARC's c, LIRS's LIR set,
     * 2Q's Kin/Kout...) follow the new size as create would set them. May
     * reallocate *state (never during a callback: the kernel calls it
     * between them). Returns 0, or VMR_ENOMEM with the instance unchanged
     * and still usable at its old size and old frame_bits. Local scope
     * (--scope local) uses it to size each process's instance by its
     * quota; without it every instance has the machine's frame count. */
    int (*resize)(void **state, uint32_t n_frames, uint8_t *frame_bits);
};

/* The type of the function a plug-in exports, and its declaration (so a
 * plug-in compiles cleanly with -Wmissing-prototypes; vmreplay itself never
 * defines it). */
typedef const struct vmr_policy_ops *(*vmr_policy_plugin_fn)(void);
const struct vmr_policy_ops *vmr_policy_plugin(void);

/* ---- registry (built-in policies and plug-in loading) ------------------ */

/* Built-in policies, in display order; *n set to their number. */
const struct vmr_policy_ops *const *vmr_policy_builtins(size_t *n);

#define VMR_POLICY_MAX_PARAMS 16

/* An instantiated policy: ops + state, and the storage its config points
 * to (which must outlive the state). Treat as opaque apart from ops/state. */
struct vmr_policy {
    const struct vmr_policy_ops *ops;
    void *state;
    void *dl_handle; /* plug-in, if loaded */
    struct vmr_policy_config cfg;
    struct vmr_policy_kv kv[VMR_POLICY_MAX_PARAMS];
    vmr_pfn_t next_victim; /* cfg.next_victim points here: the struct must not move */
    char spec[256];        /* as given, for reports */
    char buf[256];         /* parsed copy of the parameters kv points into */
};

/*
 * Parses "NAME[:key=value,...]" or "PATH.so[:key=value,...]" (a path is
 * anything with a '/' before its first '='; its parameters start at the
 * first ':' after the last such '/'), finds or loads the policy, checks the plug-in ABI version,
 * and creates it for `n_frames` frames. Names are matched ignoring case. On failure writes a
 * message to errbuf and returns VMR_E*; *out is untouched. Errors: VMR_ENOTFOUND (no such built-in;
 * plug-in cannot be loaded or lacks VMR_POLICY_PLUGIN_SYMBOL), VMR_EABI (plug-in ABI version
 * differs), VMR_EINVAL (malformed spec, unknown or bad parameter, n_frames == 0, incomplete plug-in
 * ops table), VMR_ENOMEM.
 */
int vmr_policy_open(struct vmr_policy *out, const char *spec, uint32_t n_frames,
                    uint8_t *frame_bits, uint64_t seed, char *errbuf, size_t errbuf_len);

/* Destroys the state and unloads the plug-in. Accepts a zeroed struct. */
void vmr_policy_close(struct vmr_policy *p);

/* Looks a built-in up by name; NULL if none. */
const struct vmr_policy_ops *vmr_policy_find(const char *name);

#endif
