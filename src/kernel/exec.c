/*
 * exec.c - execve of an ELF program (SEMANTICS.md section 4).
 *
 * proc.c's do_exec tears the old address space down (4.1); this file reads
 * the ELF files first (exec_prepare: a missing or malformed file is an input
 * error naming it, before anything changed) and then maps the new program
 * into the fresh mm (exec_map), as Linux's load_elf_binary does on x86-64
 * with address-space randomisation off (randomize_va_space = 0):
 *
 *   - the stack: [stack] is the 128 KiB Linux expands a new stack to plus
 *     one page for the arguments, ending at STACK_TOP 0x7ffffffff000; the
 *     kernel writes argv, envp and the auxiliary vector into its top page,
 *     so that page is faulted in (one zero-fill fault) before the program
 *     runs. The stack does not grow below the area (no VM_GROWSDOWN yet).
 *   - the program's PT_LOAD segments: an ET_EXEC at its link addresses; an
 *     ET_DYN with an interpreter at ELF_ET_DYN_BASE (2/3 of TASK_SIZE,
 *     0x555555554aaa) aligned down to its largest segment alignment, that
 *     is 0x555555554000 for the usual 4 KiB alignment; an ET_DYN without
 *     one (static PIE, ld.so run directly) where mmap would put it.
 *     Each segment's file bytes are a private file mapping at the page
 *     offset of p_offset with the segment's protection; the rest of its
 *     memory (bss, p_memsz > p_filesz) is private anonymous demand-zero
 *     memory; the partial last file page of a writable segment is zeroed
 *     past p_filesz by a kernel write, which faults it in and copies it
 *     (Linux's padzero: one fault, a file read if not cached, a COW copy).
 *     The gaps Linux unmaps between segments stay unmapped.
 *   - brk starts at the page-aligned end of the program's highest segment,
 *     with no [heap] area until the program moves it.
 *   - the PT_INTERP interpreter (ld.so), the same way, top-down below the
 *     mmap base TASK_SIZE - 128 MiB = 0x7ffff7fff000 (the minimum gap Linux
 *     leaves for the stack).
 *   - with cfg.load_needed, the DT_NEEDED libraries, breadth first, as ld.so
 *     maps them: each below the previous one, the whole span reserved so
 *     that gaps between segments are PROT_NONE file mappings, bss and the
 *     zeroed partial page as above. A library already loaded (same soname,
 *     same name, or same file) is not mapped again.
 *
 * vvar/vdso are not mapped, so library addresses sit 6 pages higher than in
 * a real process. With a simulated page size other than 4 KiB the same rules
 * apply with that page size; a segment whose vaddr and offset disagree
 * modulo the page size is mapped from the file page holding its first byte's
 * page start (an approximation: Linux would refuse to map it).
 *
 * ELF objects are named by their canonical path inside the sysroot (the
 * name /proc/PID/maps shows), so every process mapping one file shares its
 * page-cache pages.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "vec.h"
#include "vmreplay/elf.h"

#define TASK_SIZE       0x7ffffffff000ULL
#define STACK_TOP       TASK_SIZE
#define ELF_ET_DYN_BASE (TASK_SIZE / 3 * 2)
#define MMAP_BASE       (TASK_SIZE - (128ULL << 20))
#define STACK_EXPAND    (128ULL << 10)
#define MAX_IMAGES      1024

struct loaded {
    struct vmr_image img;
    char *canon;     /* canonical path inside the sysroot */
    char *requested; /* the DT_NEEDED name it was loaded for, or NULL */
};

struct exec_plan {
    struct loaded *items; /* [0] program, then the interpreter if any, then libraries */
    size_t n, cap;
    int has_interp;
};

void exec_plan_free(struct exec_plan *plan)
{
    if (!plan)
        return;
    for (size_t i = 0; i < plan->n; i++) {
        vmr_image_release(&plan->items[i].img);
        free(plan->items[i].canon);
        free(plan->items[i].requested);
    }
    free(plan->items);
    free(plan);
}

static const char *sysroot_of(const struct vmr_kernel *k)
{
    return k->cfg.sysroot && k->cfg.sysroot[0] ? k->cfg.sysroot : "/";
}

/* Reads `path` into a new plan item; on error sets the kernel error with
 * `what` ("exec /bin/x", "interpreter of /bin/x") in front. */
static int plan_load(struct vmr_kernel *k, struct exec_plan *plan, const char *path,
                     const char *what, const struct vmr_image *like)
{
    char msg[768], abs[4200];
    if (vmr_grow((void **)&plan->items, &plan->cap, plan->n + 1, sizeof *plan->items) != 0)
        return VMR_ENOMEM;
    struct loaded *it = &plan->items[plan->n++];
    memset(it, 0, sizeof *it);
    /* a relative path (a hand-written trace's "a.out") is taken from "/" */
    snprintf(abs, sizeof abs, "%s%s", path[0] == '/' ? "" : "/", path);
    int rc = vmr_sysroot_resolve(sysroot_of(k), abs, &it->canon, NULL, msg, sizeof msg);
    if (rc == 0)
        rc = vmr_image_load(&it->img, sysroot_of(k), it->canon, msg, sizeof msg);
    if (rc == 0 && !like &&
        (it->img.elf_class != 64 || it->img.machine != VMR_ELF_MACHINE_X86_64)) {
        snprintf(msg, sizeof msg,
                 "%s: ELF class %u machine %u: only x86-64 (64-bit, machine %d) programs can be "
                 "loaded",
                 it->canon, it->img.elf_class, it->img.machine, VMR_ELF_MACHINE_X86_64);
        rc = VMR_EUNSUPPORTED;
    }
    if (rc == 0 && like &&
        (it->img.elf_class != like->elf_class || it->img.machine != like->machine)) {
        snprintf(msg, sizeof msg, "%s: ELF class %u machine %u differs from the program's",
                 it->canon, it->img.elf_class, it->img.machine);
        rc = VMR_EFORMAT;
    }
    if (rc != 0)
        kernel_set_error(k, "%s (sysroot %s): %s", what, sysroot_of(k), msg);
    return rc;
}

static int already_loaded(const struct exec_plan *plan, const char *name, const char *canon)
{
    for (size_t i = 0; i < plan->n; i++) {
        const struct loaded *it = &plan->items[i];
        if ((name && it->img.soname && strcmp(it->img.soname, name) == 0) ||
            (name && it->requested && strcmp(it->requested, name) == 0) ||
            (canon && strcmp(it->canon, canon) == 0))
            return 1;
    }
    return 0;
}

static int load_needed(struct vmr_kernel *k, struct exec_plan *plan, const char *prog)
{
    struct vmr_lib_resolver *r = NULL;
    char msg[1500], what[600];
    int rc = vmr_lib_resolver_create(&r, sysroot_of(k), msg, sizeof msg);
    if (rc != 0) {
        kernel_set_error(k, "exec %s: %s", prog, msg);
        return rc;
    }
    /* breadth first, as ld.so builds its search list */
    for (size_t i = 0; i < plan->n && rc == 0; i++) {
        for (size_t j = 0; j < plan->items[i].img.n_needed && rc == 0; j++) {
            const char *name = plan->items[i].img.needed[j];
            if (already_loaded(plan, name, NULL))
                continue;
            char *found = NULL, *canon = NULL;
            rc = vmr_lib_resolve(r, name, &plan->items[i].img, &plan->items[0].img, &found, msg,
                                 sizeof msg);
            if (rc == 0)
                rc = vmr_sysroot_resolve(sysroot_of(k), found, &canon, NULL, msg, sizeof msg);
            if (rc != 0) {
                kernel_set_error(k, "exec %s (sysroot %s): %s", prog, sysroot_of(k), msg);
            } else if (!already_loaded(plan, NULL, canon)) {
                if (plan->n >= MAX_IMAGES) {
                    kernel_set_error(k, "exec %s: more than %d libraries", prog, MAX_IMAGES);
                    rc = VMR_ERANGE;
                } else {
                    snprintf(what, sizeof what, "exec %s: library %s", prog, name);
                    rc = plan_load(k, plan, found, what, &plan->items[0].img);
                    if (rc == 0 && !(plan->items[plan->n - 1].requested = vmr_strdup(name)))
                        rc = VMR_ENOMEM;
                }
            }
            free(found);
            free(canon);
        }
    }
    vmr_lib_resolver_destroy(r);
    return rc;
}

int exec_prepare(struct vmr_kernel *k, uint32_t obj, struct exec_plan **out)
{
    const char *prog = k->objs[obj].path;
    char what[600];
    *out = NULL;
    struct exec_plan *plan = calloc(1, sizeof *plan);
    if (!plan)
        return VMR_ENOMEM;
    snprintf(what, sizeof what, "exec %s", prog);
    int rc = plan_load(k, plan, prog, what, NULL);
    if (rc == 0 && plan->items[0].img.interp) {
        snprintf(what, sizeof what, "exec %s: interpreter", prog);
        rc = plan_load(k, plan, plan->items[0].img.interp, what, &plan->items[0].img);
        plan->has_interp = rc == 0;
    }
    if (rc == 0 && k->cfg.load_needed)
        rc = load_needed(k, plan, prog);
    if (rc != 0) {
        exec_plan_free(plan);
        return rc;
    }
    *out = plan;
    return 0;
}

/* ---- mapping ------------------------------------------------------------ */

struct mapper {
    struct vmr_kernel *k;
    struct proc *p;
    uint64_t page; /* bytes */
    uint64_t mmap_top;
};

static uint64_t page_down(const struct mapper *m, uint64_t a)
{
    return a & ~(m->page - 1);
}

static uint64_t page_up(const struct mapper *m, uint64_t a)
{
    return (a + m->page - 1) & ~(m->page - 1);
}

/* The object of an ELF file, shared with `file` records of the same path;
 * an unknown size becomes the file's. */
static uint32_t elf_object(struct vmr_kernel *k, const struct loaded *it)
{
    uint64_t h = path_hash(it->canon);
    uint64_t *o = vmr_hashmap_find(&k->path_to_obj, h);
    if (o && strcmp(k->objs[*o].path, it->canon) == 0) {
        if (k->objs[*o].size == VMR_FILE_SIZE_UNKNOWN)
            k->objs[*o].size = it->img.file_size;
        return (uint32_t)*o;
    }
    uint32_t obj = obj_new(k, it->canon, it->img.file_size, 0);
    if (obj != NIL && vmr_hashmap_put(&k->path_to_obj, h, obj) != 0)
        return NIL;
    return obj;
}

/* Maps [start, end) bytes (page aligned, start < end) replacing what is
 * there, as MAP_FIXED does. */
static int map_area(struct mapper *m, uint64_t start, uint64_t end, uint32_t obj, uint64_t pgoff,
                    unsigned prot, unsigned kind)
{
    struct vmr_kernel *k = m->k;
    if (m->p->state != PROC_ALIVE)
        return 0; /* killed by an OOM during exec: nothing left to map into */
    struct vma v = {.start = start >> k->page_shift,
                    .end = end >> k->page_shift,
                    .pgoff = pgoff,
                    .obj = obj,
                    .prot = (uint8_t)prot,
                    .kind = (uint8_t)kind};
    vma_set_account(k, &v, 0); /* charged even beyond the limit (exec cannot fail here) */
    int rc = mm_unmap(k, m->p, m->p->mm, v.start, v.end);
    return rc ? rc : mm_add_vma(k, m->p->mm, &v);
}

/* A write by the kernel (argument copy, padzero), counted for the process
 * like any fault. */
static void kernel_write(struct mapper *m, uint64_t addr)
{
    if (m->p->state == PROC_ALIVE)
        fault_handle(m->k, m->p, addr >> m->k->page_shift, NULL, VMR_OP_WRITE, 1);
}

/* Highest page-aligned address below `top` where `size` bytes fit between
 * the areas, aligned to `align`; 0 if none. */
static uint64_t top_down(const struct mapper *m, uint64_t top, uint64_t size, uint64_t align)
{
    const struct mm *mm = m->p->mm;
    const unsigned shift = m->k->page_shift;
    while (top >= size) {
        uint64_t a = (top - size) & ~(align - 1);
        uint64_t clash = UINT64_MAX;
        for (size_t i = 0; i < mm->n_vmas; i++) {
            uint64_t s = mm->vmas[i].start << shift, e = mm->vmas[i].end << shift;
            if (s < a + size && e > a)
                clash = s < clash ? s : clash;
        }
        if (clash == UINT64_MAX)
            return a;
        top = clash;
    }
    return 0;
}

/* Maps one image at `bias`. `holes`: map the gaps between segments
 * PROT_NONE as ld.so does (the kernel leaves them unmapped). */
static int map_image(struct mapper *m, const struct loaded *it, uint64_t bias, int holes)
{
    struct vmr_kernel *k = m->k;
    const struct vmr_image *img = &it->img;
    uint64_t lo, hi;
    vmr_image_span(img, m->page, &lo, &hi);
    if (bias + lo < bias || bias + hi < bias || bias + hi > TASK_SIZE) {
        kernel_set_error(k, "exec: %s: segments [%#llx, %#llx) lie outside the user address space",
                         it->canon, (unsigned long long)(bias + lo),
                         (unsigned long long)(bias + hi));
        return VMR_EFORMAT;
    }
    uint32_t obj = elf_object(k, it);
    if (obj == NIL) {
        kernel_set_error(k, "too many files");
        return VMR_ENOMEM;
    }
    uint64_t first_pgoff = 0, first_start = 0, prev_end = 0;
    for (size_t i = 0; i < img->n_segments; i++) {
        const struct vmr_segment *s = &img->segments[i];
        uint64_t start = bias + s->vaddr, pstart = page_down(m, start);
        uint64_t file_end = start + s->filesz, mem_end = start + s->memsz;
        uint64_t delta = start - pstart;
        uint64_t pgoff = (s->offset >= delta ? s->offset - delta : 0) >> k->page_shift;
        if (i == 0) {
            first_pgoff = pgoff;
            first_start = pstart;
        } else if (holes && pstart > prev_end) {
            int rc =
                map_area(m, prev_end, pstart, obj,
                         first_pgoff + ((prev_end - first_start) >> k->page_shift), 0, VMA_FILE);
            if (rc != 0)
                return rc;
        }
        uint64_t anon_from = pstart;
        if (s->filesz > 0) {
            anon_from = page_up(m, file_end);
            int rc = map_area(m, pstart, anon_from, obj, pgoff, s->prot, VMA_FILE);
            if (rc != 0)
                return rc;
        }
        if (page_up(m, mem_end) > anon_from) {
            int rc = map_area(m, anon_from, page_up(m, mem_end), NIL, 0, s->prot, VMA_ANON);
            if (rc != 0)
                return rc;
        }
        prev_end = page_up(m, mem_end) > prev_end ? page_up(m, mem_end) : prev_end;
    }
    /* zero the partial last file page of writable segments with bss */
    for (size_t i = 0; i < img->n_segments; i++) {
        const struct vmr_segment *s = &img->segments[i];
        uint64_t file_end = bias + s->vaddr + s->filesz;
        if (s->memsz > s->filesz && s->filesz > 0 && (s->prot & VMR_PROT_WRITE) &&
            (file_end & (m->page - 1)) != 0)
            kernel_write(m, file_end);
    }
    return 0;
}

/* Where a position-independent image goes below the mmap base, and the
 * base moves below it. */
static int place_top_down(struct mapper *m, const struct loaded *it, uint64_t *bias)
{
    uint64_t lo, hi;
    vmr_image_span(&it->img, m->page, &lo, &hi);
    if (m->p->state != PROC_ALIVE) {
        *bias = 0;
        return 0;
    }
    uint64_t a = top_down(m, m->mmap_top, hi - lo, m->page);
    if (a == 0) {
        kernel_set_error(m->k, "exec: no room below %#llx for %s (%#llx bytes)",
                         (unsigned long long)m->mmap_top, it->canon, (unsigned long long)(hi - lo));
        return VMR_ERANGE;
    }
    *bias = a - lo;
    m->mmap_top = a;
    return 0;
}

/* The bias of the program itself (see the file comment). */
static int program_bias(struct mapper *m, const struct exec_plan *plan, uint64_t *bias)
{
    const struct vmr_image *img = &plan->items[0].img;
    if (img->type == VMR_ELF_EXEC) {
        *bias = 0;
        return 0;
    }
    if (!plan->has_interp)
        return place_top_down(m, &plan->items[0], bias);
    uint64_t align = m->page;
    for (size_t i = 0; i < img->n_segments; i++) {
        uint64_t a = img->segments[i].align;
        if (a > align && (a & (a - 1)) == 0)
            align = a;
    }
    uint64_t base = ELF_ET_DYN_BASE & ~(align - 1);
    *bias = page_down(m, base - img->segments[0].vaddr);
    return 0;
}

int exec_map(struct vmr_kernel *k, struct proc *p, struct exec_plan *plan)
{
    struct mapper m = {.k = k, .p = p, .page = 1ULL << k->page_shift};
    m.mmap_top = page_down(&m, MMAP_BASE);
    int rc = 0;
    /* the stack exists before the program is read; its top page takes the
     * arguments */
    uint64_t stack_top = page_down(&m, STACK_TOP);
    uint64_t stack_bytes = page_up(&m, STACK_EXPAND + m.page);
    rc = map_area(&m, stack_top - stack_bytes, stack_top, NIL, 0, VMR_PROT_READ | VMR_PROT_WRITE,
                  VMA_STACK);
    if (rc == 0)
        kernel_write(&m, stack_top - m.page);
    uint64_t bias = 0;
    if (rc == 0)
        rc = program_bias(&m, plan, &bias);
    if (rc == 0)
        rc = map_image(&m, &plan->items[0], bias, 0);
    if (rc == 0 && p->state == PROC_ALIVE) {
        struct mm *mm = p->mm;
        const struct vmr_image *img = &plan->items[0].img;
        const struct vmr_segment *last = &img->segments[img->n_segments - 1];
        mm->entry = bias + img->entry;
        mm->start_pc = mm->entry;
        mm->heap_start = mm->brk = page_up(&m, bias + last->vaddr + last->memsz);
    }
    for (size_t i = 1; rc == 0 && i < plan->n && p->state == PROC_ALIVE; i++) {
        int is_interp = plan->has_interp && i == 1;
        if (plan->items[i].img.type == VMR_ELF_EXEC)
            bias = 0; /* an ET_EXEC interpreter or library: at its link address */
        else
            rc = place_top_down(&m, &plan->items[i], &bias);
        if (rc == 0)
            rc = map_image(&m, &plan->items[i], bias, !is_interp);
        if (rc == 0 && is_interp && p->state == PROC_ALIVE)
            p->mm->start_pc = bias + plan->items[i].img.entry;
    }
    exec_plan_free(plan);
    return rc;
}
