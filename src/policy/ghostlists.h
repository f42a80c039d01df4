/*
 * ghostlists.h - the four lists ARC and CAR keep (Megiddo & Modha, FAST
 * 2003; Bansal & Modha, FAST 2004): T1 and T2 of resident frames, B1 and B2
 * of ghosts (keys of pages recently evicted), and the map from a ghost's key
 * to its node.
 *
 * Nodes 0 .. c-1 are the frames; nodes c .. c+n_ghost_nodes-1 are ghosts,
 * taken from a free stack; the lists' sentinels follow (base + list). The
 * ghost pool holds c + 2 nodes, enough for the papers' bound |B1|+|B2| <= c
 * plus the one a policy adds before it trims.
 * Invariants: a node is in at most one list and where[node] says which;
 * size[l] counts list l; a ghost node is in the map (which holds its key).
 */
#ifndef VMREPLAY_POLICY_GHOSTLISTS_H
#define VMREPLAY_POLICY_GHOSTLISTS_H

#include <stdlib.h>

#include "builtin.h"

enum { GL_T1, GL_T2, GL_B1, GL_B2, GL_NLISTS };

struct ghost_lists {
    uint8_t *where; /* node -> list */
    uint32_t c, n_ghost_nodes, base;
    uint32_t size[GL_NLISTS];
    uint32_t n_free_ghosts;
    uint32_t *free_ghosts;
    struct gmap map;
    struct frame_link *link;
    uint64_t *fkey;      /* frame -> its page's key (for prefetching the eviction's map slot) */
    struct parena arena; /* all of the arrays above and the map's */
};

/* Frees what gl_init allocated; accepts a zeroed struct. */
static inline void gl_release(struct ghost_lists *g)
{
    parena_release(&g->arena);
}

/* Empty lists for c frames. Returns 0 or VMR_ENOMEM (then gl_release). */
static inline int gl_init(struct ghost_lists *g, uint32_t c)
{
    g->c = c;
    g->n_ghost_nodes = c + 2;
    g->base = c + g->n_ghost_nodes;
    size_t nodes = (size_t)c + g->n_ghost_nodes;
    const struct parena_req more[] = {
        {(void **)&g->link, (nodes + GL_NLISTS) * sizeof *g->link},
        {(void **)&g->fkey, (size_t)c * sizeof *g->fkey},
        {(void **)&g->where, nodes},
        {(void **)&g->free_ghosts, g->n_ghost_nodes * sizeof *g->free_ghosts},
    };
    if (gmap_arena_alloc(&g->arena, &g->map, g->n_ghost_nodes, c, more,
                         sizeof more / sizeof more[0]) != 0)
        return VMR_ENOMEM;
    flist_init_nodes(g->link, (uint32_t)nodes);
    flist_init_sentinels(g->link, g->base, GL_NLISTS);
    for (uint32_t i = 0; i < g->n_ghost_nodes; i++)
        g->free_ghosts[i] = c + g->n_ghost_nodes - 1 - i;
    g->n_free_ghosts = g->n_ghost_nodes;
    return 0;
}

/* Appends node x at the MRU end of list l. */
static inline void gl_push(struct ghost_lists *g, uint32_t x, int l)
{
    g->where[x] = (uint8_t)l;
    flist_link_before(g->link, g->base + (uint32_t)l, x);
    g->size[l]++;
}

static inline void gl_pull(struct ghost_lists *g, uint32_t x)
{
    flist_unlink(g->link, x);
    g->size[g->where[x]]--;
}

/* The LRU node of list l, or the sentinel if l is empty. */
static inline uint32_t gl_lru(const struct ghost_lists *g, int l)
{
    return g->link[g->base + (uint32_t)l].next;
}

/* gl_pull of a node known to be in list l: where[x] is not read (a drop
 * of the oldest ghost would find it in no cache). */
static inline void gl_pull_from(struct ghost_lists *g, uint32_t x, int l)
{
    assert(g->where[x] == (uint8_t)l);
    flist_unlink(g->link, x);
    g->size[l]--;
}

/* Drops ghost x of list l. */
static inline void gl_drop_ghost_from(struct ghost_lists *g, uint32_t x, int l)
{
    gmap_del(&g->map, x);
    gl_pull_from(g, x, l);
    g->free_ghosts[g->n_free_ghosts++] = x;
}

static inline void gl_drop_ghost(struct ghost_lists *g, uint32_t x)
{
    gl_drop_ghost_from(g, x, g->where[x]);
}

/* Drops the LRU entry of ghost list l (of the other one if l is empty). */
static inline void gl_drop_lru_ghost(struct ghost_lists *g, int l)
{
    if (g->size[l] == 0)
        l = l == GL_B1 ? GL_B2 : GL_B1;
    gl_drop_ghost_from(g, gl_lru(g, l), l);
}

/* Makes `key` the MRU ghost of list l (B1 or B2); a free node must exist. */
static inline void gl_add_ghost(struct ghost_lists *g, uint64_t key, int l)
{
    uint32_t x = g->free_ghosts[--g->n_free_ghosts];
    gmap_put(&g->map, key, x);
    gl_push(g, x, l);
}

/* Resizes to c frames (every frame in T1/T2 below c), keeping the lists'
 * order and their most recent ghosts within the papers' bounds for c:
 * |T1|+|B1| <= c and |B1|+|B2| <= min(c, 2c - |T1| - |T2|). Ghost nodes are
 * renumbered. 0, or VMR_ENOMEM with g unchanged. */
static inline int gl_resize(struct ghost_lists *g, uint32_t c)
{
    struct ghost_lists n = {0};
    if (gl_init(&n, c) != 0) {
        gl_release(&n);
        return VMR_ENOMEM;
    }
    const uint32_t t1 = g->size[GL_T1], t = t1 + g->size[GL_T2];
    uint32_t max_b1 = c > t1 ? c - t1 : 0;
    uint32_t max_b = 2 * (uint64_t)c > t ? 2 * c - t : 0;
    max_b = max_b < c ? max_b : c;
    uint32_t keep[GL_NLISTS];
    keep[GL_B1] = g->size[GL_B1] < max_b1 ? g->size[GL_B1] : max_b1;
    keep[GL_B1] = keep[GL_B1] < max_b ? keep[GL_B1] : max_b;
    keep[GL_B2] = g->size[GL_B2] < max_b - keep[GL_B1] ? g->size[GL_B2] : max_b - keep[GL_B1];
    for (int l = 0; l < GL_NLISTS; l++) {
        const uint32_t sent = g->base + (uint32_t)l;
        uint32_t skip = l == GL_B1 || l == GL_B2 ? g->size[l] - keep[l] : 0;
        for (uint32_t x = g->link[sent].next; x != sent; x = g->link[x].next) {
            if (l == GL_T1 || l == GL_T2) {
                gl_push(&n, x, l);
                n.fkey[x] = g->fkey[x];
            } else if (skip > 0)
                skip--;
            else
                gl_add_ghost(&n, gmap_key(&g->map, x), l);
        }
    }
    gl_release(g);
    *g = n;
    return 0;
}

/* Keeps the misses of dropping list l's LRU ghost in flight ahead of the
 * drop (gmap_prefetch_queue); call once per miss. Changes nothing. */
GMAP_PREFETCH_FN gl_prefetch_drop(const struct ghost_lists *g, int l)
{
    gmap_prefetch_queue(&g->map, g->link, 0, gl_lru(g, l), g->c, g->base);
}

/* gl_prefetch_drop for the ghost list the next new page will likely trim
 * (ARC's and CAR's rule: B1 once |T1| + |B1| reaches c, else B2): one
 * list's fetches per miss instead of both. */
GMAP_PREFETCH_FN gl_prefetch_next_drop(const struct ghost_lists *g)
{
    gl_prefetch_drop(g, g->size[GL_T1] + g->size[GL_B1] >= g->c ? GL_B1 : GL_B2);
}

/* gmap_prefetch_put over the frames' keys, and v2's list byte, which its
 * eviction reads. */
GMAP_PREFETCH_FN gl_prefetch_put(const struct ghost_lists *g, uint32_t v1, uint32_t v2)
{
    gmap_prefetch_put(&g->map, g->fkey, g->c, v1, v2);
    if (v2 < g->c)
        __builtin_prefetch(&g->where[v2]);
}

#endif
