/*
 * lru.c - exact LRU replacement: evict the page unused for the longest time.
 *
 * Definition: the textbook LRU algorithm (Silberschatz, Galvin & Gagne,
 * "Operating System Concepts", 10th ed., section 10.4.4); as a stack
 * algorithm, its faults never increase with more frames (Mattson, Gecsei,
 * Slutz & Traiger, "Evaluation techniques for storage hierarchies", IBM
 * Systems Journal 9(2), 1970). Same as libCacheSim's LRU. Exact recency
 * needs every hit, which an MMU does not report: an oracle policy.
 *
 * Owns one recency ring of the resident frames: FIFO's ring (tlist_* in
 * fifo.c), with a hit moving the frame to the newest place.
 * Invariants: a frame is in the ring iff it is resident; the hand = least
 * recently used (inserted or hit), just behind it = most. The victim is
 * the least recently used unpinned frame; pinned frames keep their place.
 */
#include "builtin.h"

static int lru_create(const struct vmr_policy_config *cfg, void **state)
{
    return tlist_create(&vmr_policy_lru, cfg, state);
}

/* The frame hit becomes the newest, just behind the hand: the hand's own
 * frame by moving the hand on (then the next victim changes), any other by
 * relinking it there, unless it is there already. */
static void lru_on_hit(void *state, vmr_pfn_t frame, const struct vmr_access *a)
{
    (void)a;
    struct tail_list *s = state;
    struct frame_link *l = s->link;
    const uint32_t h = s->ring.hand;
    const uint32_t p = l[frame].prev, nx = l[frame].next;
    if (__builtin_expect(frame == s->ahead, 0))
        s->ahead = FRAME_UNLINKED; /* on_replace's guess leaves: walk to it again */
    if (frame == h) {
        s->ring.hand = nx;
        victim_name_set(&s->named, nx);
        return;
    }
    if (nx == h)
        return; /* the newest already (a loop hitting one page) */
    /* unlink and link behind the hand in one go (hits are most accesses
     * at large memories); the newest is not p, since frame was not */
    flist_relink(l, frame, p, nx, l[h].prev, h);
}

const struct vmr_policy_ops vmr_policy_lru = {
    .abi_version = VMR_POLICY_ABI_VERSION,
    .flags = VMR_POLICY_NEEDS_HITS | VMR_POLICY_HIT_NO_KEY | VMR_POLICY_PEEK | VMR_POLICY_REPLACE |
             VMR_POLICY_FAR_GUESS | VMR_POLICY_RESIZE | VMR_POLICY_NO_ACCESS |
             VMR_POLICY_NEXT_VICTIM,
    .name = "lru",
    .summary = "least recently used: evicts the page untouched longest (exact LRU; Mattson et "
               "al. 1970)",
    .params = NULL,
    .create = lru_create,
    .destroy = tlist_destroy,
    .on_insert = tlist_on_insert,
    .on_hit = lru_on_hit,
    .select_victim = tlist_select_victim,
    .on_evict = tlist_on_evict,
    .on_remove = tlist_on_remove,
    .report = NULL,
    .peek_victim = tlist_peek_victim,
    .on_replace = tlist_on_replace,
    .resize = tlist_resize,
};
