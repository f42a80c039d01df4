/*
 * syscall.c - applies the records that change one address space: mmap,
 * munmap, mprotect, brk, madvise, msync (SEMANTICS.md section 5).
 *
 * A call the recorded kernel failed (err != 0) changes nothing; a failed
 * mmap or brk is counted in mmap_failures. Arguments this kernel would
 * refuse (zero length, neither or both of shared/private) are counted the
 * same way, and so are mmap, brk and mprotect calls whose commit charge
 * the overcommit mode refuses (ENOMEM, SEMANTICS.md 1.6). A record naming
 * an undeclared file is an input error.
 *
 * madvise: DONTNEED, FREE and REMOVE drop the pages; RANDOM, SEQUENTIAL and
 * NORMAL are kept on the areas (split as needed, inherited by fork) and
 * change no count, since file read-ahead is not modelled; WILLNEED reads the
 * file pages of the range into the page cache (file_reads, no fault).
 */
#include "internal.h"

enum {
    MADV_NORMAL = 0,
    MADV_RANDOM = 1,
    MADV_SEQUENTIAL = 2,
    MADV_WILLNEED = 3,
    MADV_DONTNEED = 4,
    MADV_FREE = 8,
    MADV_REMOVE = 9
};

/* The page range [*start, *end) covering bytes [addr, addr + len). */
static int page_range(const struct vmr_kernel *k, uint64_t addr, uint64_t len, uint64_t *start,
                      uint64_t *end)
{
    if (len == 0 || addr + len < addr)
        return -1;
    uint64_t last = addr + len - 1;
    *start = addr >> k->page_shift;
    *end = (last >> k->page_shift) + 1;
    return 0;
}

static int do_mmap(struct vmr_kernel *k, struct proc *p, const struct vmr_record *rec)
{
    struct vmr_counters *c = &p->leader->c;
    uint64_t s, e;
    int shared = (rec->flags & VMR_MAP_SHARED) != 0;
    int private = (rec->flags & VMR_MAP_PRIVATE) != 0;
    if (rec->err || page_range(k, rec->addr, rec->len, &s, &e) != 0 || shared == private ||
        (rec->arg != VMR_FID_NONE && (rec->flags & VMR_MAP_ANON))) {
        c->mmap_failures++;
        return 0;
    }
    struct vma v = {.start = s,
                    .end = e,
                    .obj = NIL,
                    .prot = rec->prot & (VMR_PROT_READ | VMR_PROT_WRITE | VMR_PROT_EXEC),
                    .shared = (uint8_t)shared,
                    .kind = VMA_ANON};
    int noreserve = (rec->flags & VMR_MAP_NORESERVE) != 0;
    vma_set_account(k, &v, noreserve);
    uint64_t shmem_charge = 0;
    if (shared && rec->arg == VMR_FID_NONE &&
        (!noreserve || k->cfg.overcommit == VMR_OVERCOMMIT_STRICT))
        shmem_charge = e - s; /* shared anonymous memory: its object is charged */
    /* what the mapping replaces is uncharged first, as in Linux's
     * mmap_region */
    uint64_t charge = (v.flags & VF_ACCOUNT ? e - s : 0) + shmem_charge;
    uint64_t replaced = mm_charged_pages(p->mm, s, e);
    if (charge > replaced && !commit_allowed(k, charge - replaced)) {
        c->mmap_failures++;
        return 0;
    }
    if (rec->arg != VMR_FID_NONE) {
        v.obj = obj_for_fid(k, rec->arg);
        if (v.obj == NIL) {
            kernel_set_error(k, "mmap names file id %u, which no file record declared",
                             (unsigned)rec->arg);
            return VMR_EFORMAT;
        }
        v.kind = VMA_FILE;
        v.pgoff = rec->off >> k->page_shift;
    } else if (shared) {
        v.obj = obj_new_shmem(k);
        if (v.obj == NIL)
            return VMR_ENOMEM;
    } else if (rec->flags & (VMR_MAP_GROWSDOWN | VMR_MAP_STACK)) {
        v.kind = VMA_STACK;
    }
    int rc = mm_unmap(k, p, p->mm, s, e);
    if (rc == 0 && shmem_charge) {
        k->objs[v.obj].commit = shmem_charge; /* until the object dies */
        commit_charge(k, NULL, shmem_charge);
    }
    if (rc == 0)
        rc = mm_add_vma(k, p->mm, &v);
    return rc;
}

static int do_brk(struct vmr_kernel *k, struct proc *p, const struct vmr_record *rec)
{
    struct mm *mm = p->mm;
    /* the first brk the trace shows (normally glibc's brk(0) query) tells
     * where the heap starts */
    if (mm->heap_start == 0) {
        mm->heap_start = rec->off;
        mm->brk = rec->off;
    }
    if (rec->addr != 0 && rec->off != rec->addr)
        p->leader->c.mmap_failures++;
    if (rec->off < mm->heap_start)
        return 0;
    int rc = mm_brk(k, p, mm, rec->off);
    if (rc == 1) {
        p->leader->c.mmap_failures++; /* ENOMEM: the commit limit */
        rc = 0;
    }
    return rc;
}

int sys_mm_record(struct vmr_kernel *k, struct proc *p, const struct vmr_record *rec)
{
    uint64_t s, e;
    switch (rec->kind) {
    case VMR_REC_MMAP:
        return do_mmap(k, p, rec);
    case VMR_REC_BRK:
        return do_brk(k, p, rec);
    default:
        break;
    }
    if (rec->err || page_range(k, rec->addr, rec->len, &s, &e) != 0)
        return 0;
    switch (rec->kind) {
    case VMR_REC_MUNMAP:
        return mm_unmap(k, p, p->mm, s, e);
    case VMR_REC_MPROTECT: {
        int rc = mm_protect(k, p->mm, s, e,
                            rec->prot & (VMR_PROT_READ | VMR_PROT_WRITE | VMR_PROT_EXEC));
        if (rc == 1) {
            p->leader->c.mmap_failures++; /* ENOMEM: the commit limit */
            rc = 0;
        }
        return rc;
    }
    case VMR_REC_MADVISE:
        switch (rec->flags) {
        case MADV_DONTNEED:
        case MADV_FREE:
        case MADV_REMOVE:
            mm_drop_range(k, p, p->mm, s, e);
            return 0;
        case MADV_NORMAL:
            return mm_advise(k, p->mm, s, e, ADV_NORMAL);
        case MADV_RANDOM:
            return mm_advise(k, p->mm, s, e, ADV_RANDOM);
        case MADV_SEQUENTIAL:
            return mm_advise(k, p->mm, s, e, ADV_SEQUENTIAL);
        case MADV_WILLNEED:
            mm_willneed(k, p, p->mm, s, e);
            return 0;
        default:
            return 0;
        }
    case VMR_REC_MSYNC:
        mm_sync_range(k, p, p->mm, s, e);
        return 0;
    default:
        return 0;
    }
}
