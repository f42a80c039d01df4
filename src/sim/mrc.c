/*
 * mrc.c - LRU miss-ratio curves in one pass (analysis.h), exact or sampled
 * with SHARDS.
 *
 * The LRU stack distance of a touch is 1 + the number of distinct pages
 * touched since the previous touch of the same page. Each tracked page has
 * one position in a Fenwick tree, that of its last touch, set to 1; the
 * distance is the count of set positions after it, plus one. Positions are
 * handed out in time order, and when they run out the live ones (at most M,
 * the distinct pages) are renumbered 0..M-1 in order, so the tree has
 * O(M) positions and each touch costs O(log M), amortised.
 *
 * A page leaves memory when its address space ends (exit, exec) or is
 * unmapped: its frame is freed. In the stack it leaves a hole at its place:
 * for memories large enough to hold it, the hole is a free frame, so it
 * still counts in distances, and the next miss that passes it fills it
 * instead of evicting: a new page consumes the topmost hole (the pages
 * below it keep their depth); a page touched from below the topmost hole
 * misses in the memories that hold the hole but not the page, so the hole
 * is consumed there, and hits in those holding both, where the hole stays:
 * the hole moves to the page's old place, which serves both. With that, a memory of c frames misses
 * iff the distance is > c or the page is new, which is exactly the fault count of `replay --policy
 * lru` with c frames when frames hold only private, unshared pages (no
 * fork, no page cache shared between processes): tests/unit/test_mrc.c.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "asid.h"
#include "hashmap.h"
#include "vec.h"
#include "vmreplay/analysis.h"

#define HASH_BITS 24
#define HASH_ONE  (1u << HASH_BITS)
#define BATCH     4096

enum { PAGE = 1, HOLE = 2 };

struct heap_entry {
    uint32_t hash, asid;
    uint64_t vpn;
};

struct mrc {
    struct asids as;
    struct vmr_hashmap *pages; /* per address space: vpn -> position */
    size_t n_maps, cap_maps;
    int32_t *tree;      /* Fenwick tree, 1-based, cap entries */
    uint32_t *pos_asid; /* owner of each position */
    uint64_t *pos_vpn;
    uint8_t *pos_live;      /* 0 free, PAGE, HOLE */
    size_t cap, next, live; /* live: PAGE and HOLE positions (set in the tree) */
    size_t *holes;          /* max-heap of HOLE positions */
    size_t n_holes, cap_holes;
    double *hist;           /* hist[d]: touches at (scaled) distance d */
    size_t cap_hist, max_d; /* max_d: the largest index counted */
    double cold, total;
    uint64_t n_touches, n_sampled, n_pages;
    /* sampling */
    int sampled;
    uint32_t threshold; /* tracked iff hash < threshold */
    uint64_t max_pages;
    struct heap_entry *heap; /* max-heap of tracked pages by hash (lazy) */
    size_t n_heap, cap_heap;
};

static uint32_t page_hash(uint64_t asid, uint64_t vpn)
{
    return (uint32_t)(vmr_hash64(vpn ^ vmr_hash64(asid + 0x9e3779b97f4a7c15ULL)) >>
                      (64 - HASH_BITS));
}

static void tree_add(struct mrc *m, size_t pos, int32_t v)
{
    for (size_t i = pos + 1; i <= m->cap; i += i & (~i + 1))
        m->tree[i - 1] += v;
}

/* Set positions in [0, pos]. */
static int64_t tree_prefix(const struct mrc *m, size_t pos)
{
    int64_t s = 0;
    for (size_t i = pos + 1; i > 0; i -= i & (~i + 1))
        s += m->tree[i - 1];
    return s;
}

static struct vmr_hashmap *map_of(struct mrc *m, uint64_t asid)
{
    while (m->n_maps <= asid) {
        if (vmr_grow((void **)&m->pages, &m->cap_maps, m->n_maps + 1, sizeof *m->pages) != 0 ||
            vmr_hashmap_init(&m->pages[m->n_maps], 64) != 0)
            return NULL;
        m->n_maps++;
    }
    return &m->pages[asid];
}

/* Renumbers the live positions 0..live-1 into a tree of a fresh size. */
static int compact(struct mrc *m)
{
    size_t cap = 2 * m->live + 1024;
    int32_t *tree = calloc(cap, sizeof *tree);
    uint32_t *pa = malloc(cap * sizeof *pa);
    uint64_t *pv = malloc(cap * sizeof *pv);
    uint8_t *pl = calloc(cap, 1);
    if (!tree || !pa || !pv || !pl) {
        free(tree);
        free(pa);
        free(pv);
        free(pl);
        return VMR_ENOMEM;
    }
    /* holes in ascending order reversed form a valid max-heap (sorted
     * descending) */
    size_t j = 0, hole = m->n_holes;
    for (size_t i = 0; i < m->next; i++) {
        if (!m->pos_live[i])
            continue;
        pa[j] = m->pos_asid[i];
        pv[j] = m->pos_vpn[i];
        pl[j] = m->pos_live[i];
        if (pl[j] == PAGE)
            *vmr_hashmap_find(&m->pages[pa[j]], pv[j]) = j;
        else
            m->holes[--hole] = j; /* ascending positions, filled from the end */
        j++;
    }
    for (size_t i = 1; i <= cap; i++) { /* linear Fenwick build */
        if (i <= j)
            tree[i - 1] += 1;
        size_t up = i + (i & (~i + 1));
        if (up <= cap)
            tree[up - 1] += tree[i - 1];
    }
    free(m->tree);
    free(m->pos_asid);
    free(m->pos_vpn);
    free(m->pos_live);
    m->tree = tree;
    m->pos_asid = pa;
    m->pos_vpn = pv;
    m->pos_live = pl;
    m->cap = cap;
    m->next = j;
    return 0;
}

/* The position stops counting (a page touched again, a hole filled, a page
 * dropped from the sample). */
static void forget(struct mrc *m, uint64_t pos)
{
    tree_add(m, pos, -1);
    m->pos_live[pos] = 0;
    m->live--;
}

static int hole_push(struct mrc *m, size_t pos)
{
    if (vmr_grow((void **)&m->holes, &m->cap_holes, m->n_holes + 1, sizeof *m->holes) != 0)
        return VMR_ENOMEM;
    size_t i = m->n_holes++;
    while (i > 0 && m->holes[(i - 1) / 2] < pos) {
        m->holes[i] = m->holes[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    m->holes[i] = pos;
    return 0;
}

static void hole_pop(struct mrc *m)
{
    size_t last = m->holes[--m->n_holes], i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= m->n_holes)
            break;
        if (c + 1 < m->n_holes && m->holes[c + 1] > m->holes[c])
            c++;
        if (m->holes[c] <= last)
            break;
        m->holes[i] = m->holes[c];
        i = c;
    }
    if (m->n_holes)
        m->holes[i] = last;
}

/* A page leaves memory: its position becomes a hole (a free frame). */
static int make_hole(struct mrc *m, uint64_t pos)
{
    m->pos_live[pos] = HOLE;
    return hole_push(m, pos);
}

/* A new page: a miss at every size, which fills the topmost hole. */
static void fill_hole(struct mrc *m)
{
    if (m->n_holes) {
        forget(m, m->holes[0]);
        hole_pop(m);
    }
}

static int count(struct mrc *m, double d)
{
    size_t i = (size_t)llround(d);
    if (i >= m->cap_hist &&
        vmr_grow_zero((void **)&m->hist, &m->cap_hist, i + 1, sizeof *m->hist) != 0)
        return VMR_ENOMEM;
    m->hist[i] += 1;
    if (i > m->max_d)
        m->max_d = i;
    return 0;
}

static double rate(const struct mrc *m)
{
    return m->sampled ? (double)m->threshold / HASH_ONE : 1.0;
}

static int heap_push(struct mrc *m, uint32_t hash, uint32_t asid, uint64_t vpn)
{
    if (vmr_grow((void **)&m->heap, &m->cap_heap, m->n_heap + 1, sizeof *m->heap) != 0)
        return VMR_ENOMEM;
    size_t i = m->n_heap++;
    while (i > 0 && m->heap[(i - 1) / 2].hash < hash) {
        m->heap[i] = m->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    m->heap[i] = (struct heap_entry){hash, asid, vpn};
    return 0;
}

static struct heap_entry heap_pop(struct mrc *m)
{
    struct heap_entry top = m->heap[0], last = m->heap[--m->n_heap];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= m->n_heap)
            break;
        if (c + 1 < m->n_heap && m->heap[c + 1].hash > m->heap[c].hash)
            c++;
        if (m->heap[c].hash <= last.hash)
            break;
        m->heap[i] = m->heap[c];
        i = c;
    }
    if (m->n_heap)
        m->heap[i] = last;
    return top;
}

/* Fixed size: drops the largest-hash pages until max_pages remain, lowering
 * the threshold and rescaling the counts so far to the new rate. */
static void shrink(struct mrc *m)
{
    while (m->live - m->n_holes > m->max_pages && m->n_heap) {
        struct heap_entry e = heap_pop(m);
        if (e.asid >= m->n_maps)
            continue;
        uint64_t *pos = vmr_hashmap_find(&m->pages[e.asid], e.vpn);
        if (!pos || e.hash >= m->threshold)
            continue; /* stale: the page left already */
        forget(m, *pos);
        vmr_hashmap_remove(&m->pages[e.asid], e.vpn);
        double scale = (double)e.hash / m->threshold;
        m->threshold = e.hash;
        for (size_t i = 0; i < m->cap_hist; i++)
            m->hist[i] *= scale;
        m->cold *= scale;
        m->total *= scale;
    }
}

static int touch(struct mrc *m, uint64_t asid, uint64_t vpn)
{
    m->n_touches++;
    uint32_t h = 0;
    if (m->sampled) {
        h = page_hash(asid, vpn);
        if (h >= m->threshold)
            return 0;
    }
    m->n_sampled++;
    m->total += 1;
    struct vmr_hashmap *pages = map_of(m, asid);
    if (!pages)
        return VMR_ENOMEM;
    if (m->next == m->cap && compact(m) != 0)
        return VMR_ENOMEM;
    int inserted;
    uint64_t *pos = vmr_hashmap_upsert(pages, vpn, m->next, &inserted);
    if (!pos)
        return VMR_ENOMEM;
    if (inserted) {
        fill_hole(m);
        m->cold += 1;
        if (m->max_pages && heap_push(m, h, (uint32_t)asid, vpn) != 0)
            return VMR_ENOMEM;
    } else {
        int64_t after = (int64_t)m->live - tree_prefix(m, *pos);
        if (count(m, (double)(after + 1) / rate(m)) != 0)
            return VMR_ENOMEM;
        if (m->n_holes && m->holes[0] > *pos) {
            /* a miss for the memories holding the hole but not the page
             * fills the hole; for those holding both it is a hit and the
             * hole stays: it takes the page's old place */
            forget(m, m->holes[0]);
            hole_pop(m);
            if (make_hole(m, *pos) != 0)
                return VMR_ENOMEM;
        } else {
            forget(m, *pos);
        }
        *pos = m->next;
    }
    size_t p = m->next++;
    m->pos_asid[p] = (uint32_t)asid;
    m->pos_vpn[p] = vpn;
    m->pos_live[p] = PAGE;
    tree_add(m, p, 1);
    m->live++;
    if (inserted && m->max_pages && m->live - m->n_holes > m->max_pages)
        shrink(m);
    return 0;
}

/* Every page of asid in [first, end) leaves memory. */
static int drop_range(struct mrc *m, uint64_t asid, uint64_t first, uint64_t end)
{
    if (asid >= m->n_maps)
        return 0;
    struct vmr_hashmap *pages = &m->pages[asid];
    if (end - first <= pages->n) {
        for (uint64_t vpn = first; vpn < end; vpn++) {
            uint64_t *pos = vmr_hashmap_find(pages, vpn);
            if (pos) {
                if (make_hole(m, *pos) != 0)
                    return VMR_ENOMEM;
                vmr_hashmap_remove(pages, vpn);
            }
        }
        return 0;
    }
    for (size_t i = 0; pages->keys && i <= pages->mask;) {
        if (pages->used[i] && pages->keys[i] >= first && pages->keys[i] < end) {
            if (make_hole(m, pages->vals[i]) != 0)
                return VMR_ENOMEM;
            vmr_hashmap_remove(pages, pages->keys[i]);
            continue; /* removal may move another key into slot i */
        }
        i++;
    }
    return 0;
}

static int record(struct mrc *m, const struct vmr_record *r, unsigned shift)
{
    uint64_t asid;
    if (vmr_rec_is_access(r->kind)) {
        if (asids_of(&m->as, r->pid, &asid) != 0)
            return VMR_ENOMEM;
        uint64_t last = (r->addr + r->size - 1) >> shift;
        for (uint64_t vpn = r->addr >> shift;; vpn++) {
            if (touch(m, asid, vpn) != 0)
                return VMR_ENOMEM;
            if (vpn == last)
                return 0;
        }
    }
    if (r->kind == VMR_REC_MUNMAP && !r->err && r->len) {
        if (asids_of(&m->as, r->pid, &asid) != 0)
            return VMR_ENOMEM;
        uint64_t end = r->addr + r->len < r->addr ? UINT64_MAX : r->addr + r->len;
        return drop_range(m, asid, r->addr >> shift, ((end - 1) >> shift) + 1);
    }
    if (asids_event(&m->as, r, &asid) != 0)
        return VMR_ENOMEM;
    return asid != ASID_NONE ? drop_range(m, asid, 0, UINT64_MAX) : 0;
}

static void mrc_free(struct mrc *m)
{
    for (size_t i = 0; i < m->n_maps; i++)
        vmr_hashmap_release(&m->pages[i]);
    free(m->pages);
    asids_release(&m->as);
    free(m->tree);
    free(m->pos_asid);
    free(m->pos_vpn);
    free(m->pos_live);
    free(m->hist);
    free(m->heap);
    free(m->holes);
}

int vmr_mrc_compute(const struct vmr_mrc_config *cfg, struct vmr_mrc *out, char *errbuf,
                    size_t errbuf_len)
{
    memset(out, 0, sizeof *out);
    if (cfg->rate < 0 || cfg->rate >= 1 || (cfg->rate > 0 && cfg->max_pages)) {
        vmr_errf(errbuf, errbuf_len,
                 "sampling: a rate in (0, 1) or a maximum page count, not both");
        return VMR_EINVAL;
    }
    struct vmr_trace_reader *r = NULL;
    int rc = vmr_trace_reader_open(&r, cfg->trace_path, VMR_FORM_AUTO, errbuf, errbuf_len);
    if (rc != 0)
        return rc;
    const struct vmr_trace_info *info = vmr_trace_reader_info(r);
    uint32_t page_size = cfg->page_size ? cfg->page_size : info->page_size ? info->page_size : 4096;
    unsigned shift = 0;
    while ((1u << shift) < page_size)
        shift++;
    struct mrc m;
    memset(&m, 0, sizeof m);
    m.sampled = cfg->rate > 0 || cfg->max_pages > 0;
    m.threshold = cfg->rate > 0 ? (uint32_t)(cfg->rate * HASH_ONE) : HASH_ONE;
    if (m.threshold == 0)
        m.threshold = 1;
    m.max_pages = cfg->max_pages;
    struct vmr_record *recs = malloc(BATCH * sizeof *recs);
    rc = recs ? asids_init(&m.as) : VMR_ENOMEM;
    if (rc == 0 && compact(&m) != 0)
        rc = VMR_ENOMEM;
    if (rc != 0)
        vmr_errf(errbuf, errbuf_len, "out of memory");
    while (rc == 0) {
        size_t n;
        if ((rc = vmr_trace_reader_next(r, recs, BATCH, &n)) != 0) {
            vmr_errf(errbuf, errbuf_len, "%s", vmr_trace_reader_error(r));
            break;
        }
        if (n == 0)
            break;
        for (size_t i = 0; i < n && rc == 0; i++)
            rc = record(&m, &recs[i], shift);
        if (rc != 0)
            vmr_errf(errbuf, errbuf_len, "out of memory after %llu page touches",
                     (unsigned long long)m.n_touches);
    }
    if (rc == 0) {
        /* Sampled counts -> touches of the whole trace. Dividing by the rate
         * rather than by the touches sampled is SHARDS-adj: the shortfall
         * or excess of sampled touches against n_touches * rate goes to
         * the hits, which removes most of the bias from hot pages that
         * happen to be in or out of the sample. */
        double scale = 1 / rate(&m);
        size_t n = m.max_d + 1;
        out->misses = malloc(n * sizeof *out->misses);
        if (!out->misses) {
            rc = VMR_ENOMEM;
            vmr_errf(errbuf, errbuf_len, "out of memory");
        } else {
            double above = m.cold * scale; /* misses[c] = cold + hist[d > c] */
            out->misses[n - 1] = above;
            for (size_t c = n - 1; c-- > 0;) {
                above += m.hist[c + 1] * scale;
                out->misses[c] = above;
            }
            out->n_sizes = n;
            out->cold = m.cold * scale;
            out->n_touches = m.n_touches;
            out->n_sampled = m.n_sampled;
            out->final_rate = rate(&m);
            out->n_pages = (uint64_t)llround(m.cold / rate(&m));
            out->page_size = page_size;
        }
    }
    mrc_free(&m);
    free(recs);
    vmr_trace_reader_destroy(r);
    if (rc != 0)
        vmr_mrc_release(out);
    return rc;
}

double vmr_mrc_misses(const struct vmr_mrc *m, uint64_t frames)
{
    return frames < m->n_sizes ? m->misses[frames] : m->cold;
}

void vmr_mrc_release(struct vmr_mrc *m)
{
    free(m->misses);
    memset(m, 0, sizeof *m);
}
