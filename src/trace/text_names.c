/*
 * text_names.c - the text form's vocabulary (errno and advice names, flag
 * words) and its table of declared files (text.h).
 *
 * Numbers are Linux's (errno, MADV_*) and vmreplay's (mmap, msync flags),
 * written out here rather than taken from the host's headers: a trace means
 * the same on every machine.
 */
#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "vec.h"
#include "vmreplay/common.h"
#include "vmreplay/trace.h"

struct name_value {
    const char *name;
    uint32_t value;
};

static const struct name_value errnos[] = {
    {"EPERM", 1},      {"ENOENT", 2},   {"EINTR", 4},    {"EIO", 5},     {"E2BIG", 7},
    {"ENOEXEC", 8},    {"EBADF", 9},    {"EAGAIN", 11},  {"ENOMEM", 12}, {"EACCES", 13},
    {"EFAULT", 14},    {"EBUSY", 16},   {"EEXIST", 17},  {"ENODEV", 19}, {"EINVAL", 22},
    {"ENFILE", 23},    {"EMFILE", 24},  {"ETXTBSY", 26}, {"EFBIG", 27},  {"ENOSPC", 28},
    {"EOVERFLOW", 75}, {"ENOTSUP", 95},
};

static const struct name_value advices[] = {
    {"normal", 0},       {"random", 1},    {"sequential", 2},  {"willneed", 3},  {"dontneed", 4},
    {"free", 8},         {"remove", 9},    {"dontfork", 10},   {"dofork", 11},   {"mergeable", 12},
    {"unmergeable", 13}, {"hugepage", 14}, {"nohugepage", 15}, {"dontdump", 16}, {"dodump", 17},
    {"cold", 20},        {"pageout", 21},
};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

const struct text_flag text_mmap_flags[] = {
    {"private", VMR_MAP_PRIVATE},
    {"shared", VMR_MAP_SHARED},
    {"anon", VMR_MAP_ANON},
    {"fixed", VMR_MAP_FIXED},
    {"noreserve", VMR_MAP_NORESERVE},
    {"populate", VMR_MAP_POPULATE},
    {"growsdown", VMR_MAP_GROWSDOWN},
    {"stack", VMR_MAP_STACK},
    {"fixed_noreplace", VMR_MAP_FIXED_NOREPLACE},
};
const size_t text_n_mmap_flags = N_OF(text_mmap_flags);

const struct text_flag text_msync_flags[] = {
    {"async", VMR_MS_ASYNC},
    {"sync", VMR_MS_SYNC},
    {"invalidate", VMR_MS_INVALIDATE},
};
const size_t text_n_msync_flags = N_OF(text_msync_flags);

static int ascii_eq_nocase(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];
        if (x >= 'A' && x <= 'Z')
            x = (unsigned char)(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z')
            y = (unsigned char)(y - 'A' + 'a');
        if (x != y)
            return 0;
    }
    return 1;
}

/* Names are matched without regard to case ("enomem" is ENOMEM) so that
 * hand-written traces need not shout; the writer prints the listed case. */
static int lookup(const struct name_value *t, size_t n, const char *s, size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(t[i].name) == len && ascii_eq_nocase(t[i].name, s, len))
            return (int)t[i].value;
    return -1;
}

static const char *name_of(const struct name_value *t, size_t n, uint32_t v)
{
    for (size_t i = 0; i < n; i++)
        if (t[i].value == v)
            return t[i].name;
    return NULL;
}

const char *text_errno_name(uint32_t err)
{
    return name_of(errnos, N_OF(errnos), err);
}

int text_errno_value(const char *s, size_t n)
{
    return lookup(errnos, N_OF(errnos), s, n);
}

const char *text_advice_name(uint32_t advice)
{
    return name_of(advices, N_OF(advices), advice);
}

int text_advice_value(const char *s, size_t n)
{
    return lookup(advices, N_OF(advices), s, n);
}

/* ---- declared files --------------------------------------------------- */

static uint64_t path_hash(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a, then mixed by the map */
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

int text_files_init(struct text_files *t)
{
    memset(t, 0, sizeof *t);
    t->free_head = -1;
    t->next_implicit = UINT32_MAX;
    if (vmr_hashmap_init(&t->by_fid, 16) != 0 || vmr_hashmap_init(&t->by_hash, 16) != 0) {
        vmr_hashmap_release(&t->by_fid);
        return VMR_ENOMEM;
    }
    return 0;
}

void text_files_clear(struct text_files *t)
{
    for (size_t i = 0; i < t->n_slots; i++)
        free(t->slots[i].path);
    t->n_slots = 0;
    t->free_head = -1;
    t->next_implicit = UINT32_MAX;
    vmr_hashmap_clear(&t->by_fid);
    vmr_hashmap_clear(&t->by_hash);
}

void text_files_release(struct text_files *t)
{
    text_files_clear(t);
    free(t->slots);
    vmr_hashmap_release(&t->by_fid);
    vmr_hashmap_release(&t->by_hash);
    memset(t, 0, sizeof *t);
}

const struct text_file *text_files_by_fid(const struct text_files *t, uint32_t fid)
{
    const uint64_t *slot = vmr_hashmap_find(&t->by_fid, fid);
    return slot ? &t->slots[*slot] : NULL;
}

const struct text_file *text_files_by_path(const struct text_files *t, const char *path, size_t len)
{
    uint64_t h = path_hash(path, len);
    const uint64_t *head = vmr_hashmap_find(&t->by_hash, h);
    for (int32_t i = head ? (int32_t)*head : -1; i >= 0; i = t->slots[i].next) {
        const struct text_file *f = &t->slots[i];
        if (f->hash == h && strncmp(f->path, path, len) == 0 && f->path[len] == 0)
            return f;
    }
    return NULL;
}

static void unlink_slot(struct text_files *t, int32_t i)
{
    struct text_file *f = &t->slots[i];
    if (f->prev >= 0)
        t->slots[f->prev].next = f->next;
    else if (f->next >= 0)
        *vmr_hashmap_find(&t->by_hash, f->hash) = (uint64_t)f->next;
    else
        vmr_hashmap_remove(&t->by_hash, f->hash);
    if (f->next >= 0)
        t->slots[f->next].prev = f->prev;
    free(f->path);
    f->path = NULL;
    f->next = t->free_head;
    t->free_head = i;
}

void text_files_remove(struct text_files *t, uint32_t fid)
{
    const uint64_t *slot = vmr_hashmap_find(&t->by_fid, fid);
    if (!slot)
        return;
    unlink_slot(t, (int32_t)*slot);
    vmr_hashmap_remove(&t->by_fid, fid);
}

int text_files_declare(struct text_files *t, uint32_t fid, const char *path, size_t len,
                       uint64_t size, uint32_t flags)
{
    char *copy = malloc(len + 1);
    if (!copy)
        return VMR_ENOMEM;
    memcpy(copy, path, len);
    copy[len] = 0;
    int32_t i;
    if (t->free_head >= 0) {
        i = t->free_head;
        t->free_head = t->slots[i].next;
    } else {
        if (t->n_slots >= INT32_MAX ||
            vmr_grow((void **)&t->slots, &t->cap_slots, t->n_slots + 1, sizeof *t->slots) != 0) {
            free(copy);
            return VMR_ENOMEM;
        }
        i = (int32_t)t->n_slots++;
        t->slots[i].path = NULL;
    }
    uint64_t h = path_hash(path, len);
    /* Reserve both map entries before changing anything, so a failure leaves
     * the table as it was. */
    int ins_fid, ins_hash;
    uint64_t *by_fid = vmr_hashmap_upsert(&t->by_fid, fid, (uint64_t)i, &ins_fid);
    uint64_t *head = by_fid ? vmr_hashmap_upsert(&t->by_hash, h, (uint64_t)i, &ins_hash) : NULL;
    if (!head) {
        if (by_fid && ins_fid)
            vmr_hashmap_remove(&t->by_fid, fid);
        free(copy);
        t->slots[i].next = t->free_head;
        t->free_head = i;
        return VMR_ENOMEM;
    }
    int32_t old_head = ins_hash ? -1 : (int32_t)*head;
    *head = (uint64_t)i;
    struct text_file *f = &t->slots[i];
    *f = (struct text_file){copy, size, h, fid, flags, -1, old_head};
    if (old_head >= 0)
        t->slots[old_head].prev = i;
    if (!ins_fid) {
        /* re-declaration: the fid's previous entry goes */
        uint64_t *slot = vmr_hashmap_find(&t->by_fid, fid);
        int32_t old = (int32_t)*slot;
        *slot = (uint64_t)i;
        unlink_slot(t, old);
    }
    return 0;
}

uint32_t text_files_peek_implicit(const struct text_files *t)
{
    uint32_t id = t->next_implicit;
    while (id != 0 && vmr_hashmap_find(&t->by_fid, id))
        id--;
    return id;
}
