/*
 * serialize.c - struct vmr_image to bytes and back (the layout is specified
 * in include/vmreplay/elf.h), so that a recorder can embed the segment table
 * of every program it saw and a trace replays on a machine without the
 * files. Parsing distrusts every count and length, and re-applies the
 * checks a file load makes.
 */
#include <stdlib.h>
#include <string.h>

#include "vec.h"
#include "vmreplay/elf.h"

#define STR_ABSENT   UINT32_MAX
#define MAX_STR      4096
#define MAX_SEGMENTS 4096
#define MAX_NEEDED   4096

struct out {
    uint8_t *buf;
    size_t len, cap;
    int failed;
};

static void put(struct out *o, const void *p, size_t n)
{
    if (o->failed)
        return;
    if (vmr_grow((void **)&o->buf, &o->cap, o->len + n, 1) != 0) {
        o->failed = 1;
        return;
    }
    memcpy(o->buf + o->len, p, n);
    o->len += n;
}

static void put_le(struct out *o, uint64_t v, unsigned bytes)
{
    uint8_t b[8];
    for (unsigned i = 0; i < bytes; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    put(o, b, bytes);
}

static void put_str(struct out *o, const char *s)
{
    if (!s) {
        put_le(o, STR_ABSENT, 4);
        return;
    }
    size_t n = strlen(s);
    put_le(o, n, 4);
    put(o, s, n);
}

int vmr_image_serialize(const struct vmr_image *img, uint8_t **out, size_t *len)
{
    struct out o = {0};
    put(&o, "VMRI", 4);
    put_le(&o, VMR_IMAGE_MAJOR, 2);
    put_le(&o, VMR_IMAGE_MINOR, 2);
    put_le(&o, img->elf_class, 1);
    put_le(&o, img->type, 1);
    put_le(&o, img->machine, 2);
    put_le(&o, img->entry, 8);
    put_le(&o, img->file_size, 8);
    put_le(&o, img->n_segments, 4);
    for (size_t i = 0; i < img->n_segments; i++) {
        const struct vmr_segment *s = &img->segments[i];
        put_le(&o, s->vaddr, 8);
        put_le(&o, s->memsz, 8);
        put_le(&o, s->filesz, 8);
        put_le(&o, s->offset, 8);
        put_le(&o, s->align, 8);
        put_le(&o, s->prot, 4);
    }
    put_str(&o, img->path);
    put_str(&o, img->interp);
    put_str(&o, img->soname);
    put_str(&o, img->rpath);
    put_str(&o, img->runpath);
    put_le(&o, img->n_needed, 4);
    for (size_t i = 0; i < img->n_needed; i++)
        put_str(&o, img->needed[i]);
    if (o.failed) {
        free(o.buf);
        *out = NULL;
        *len = 0;
        return VMR_ENOMEM;
    }
    *out = o.buf;
    *len = o.len;
    return 0;
}

struct in {
    const uint8_t *p;
    size_t len, at;
    char *errbuf;
    size_t errlen;
    int rc;
};

static uint64_t get_le(struct in *in, unsigned bytes, const char *what)
{
    if (in->rc)
        return 0;
    if (in->len - in->at < bytes) {
        vmr_errf(in->errbuf, in->errlen, "program image: truncated at byte %zu (%s)", in->at, what);
        in->rc = VMR_ETRUNCATED;
        return 0;
    }
    uint64_t v = 0;
    for (unsigned i = 0; i < bytes; i++)
        v |= (uint64_t)in->p[in->at + i] << (8 * i);
    in->at += bytes;
    return v;
}

static char *get_str(struct in *in, const char *what)
{
    size_t at = in->at;
    uint64_t n = get_le(in, 4, what);
    if (in->rc || n == STR_ABSENT)
        return NULL;
    if (n > MAX_STR || n > in->len - in->at) {
        vmr_errf(in->errbuf, in->errlen, "program image: byte %zu: %s of %llu bytes %s", at, what,
                 (unsigned long long)n, n > MAX_STR ? "is too long" : "runs past the end");
        in->rc = n > MAX_STR ? VMR_EFORMAT : VMR_ETRUNCATED;
        return NULL;
    }
    if (memchr(in->p + in->at, 0, (size_t)n)) {
        vmr_errf(in->errbuf, in->errlen, "program image: byte %zu: %s contains a NUL", at, what);
        in->rc = VMR_EFORMAT;
        return NULL;
    }
    char *s = malloc((size_t)n + 1);
    if (!s) {
        in->rc = VMR_ENOMEM;
        return NULL;
    }
    memcpy(s, in->p + in->at, (size_t)n);
    s[n] = 0;
    in->at += (size_t)n;
    return s;
}

/* The checks vmr_image_load makes on the headers it keeps. */
static int check_image(const struct vmr_image *img, char *errbuf, size_t errlen)
{
    if (img->elf_class != 32 && img->elf_class != 64) {
        vmr_errf(errbuf, errlen, "program image: ELF class %u", img->elf_class);
        return VMR_EFORMAT;
    }
    if (img->type != VMR_ELF_EXEC && img->type != VMR_ELF_DYN) {
        vmr_errf(errbuf, errlen, "program image: ELF type %u", img->type);
        return VMR_EFORMAT;
    }
    for (size_t i = 0; i < img->n_segments; i++) {
        const struct vmr_segment *s = &img->segments[i];
        const struct vmr_segment *prev = i ? &img->segments[i - 1] : NULL;
        int bad = s->filesz > s->memsz || s->offset > img->file_size ||
                  s->filesz > img->file_size - s->offset || s->vaddr + s->memsz < s->vaddr ||
                  s->vaddr + s->memsz > (1ULL << 63) ||
                  (s->align > 1 &&
                   ((s->align & (s->align - 1)) != 0 || (s->vaddr - s->offset) % s->align != 0)) ||
                  (prev && s->vaddr < prev->vaddr + prev->memsz) ||
                  (s->prot & ~(uint32_t)(VMR_PROT_READ | VMR_PROT_WRITE | VMR_PROT_EXEC));
        if (bad) {
            vmr_errf(errbuf, errlen, "program image: segment %zu is inconsistent", i);
            return VMR_EFORMAT;
        }
    }
    return 0;
}

int vmr_image_parse(struct vmr_image *img, const void *buf, size_t len, char *errbuf,
                    size_t errbuf_len)
{
    memset(img, 0, sizeof *img);
    struct in in = {.p = buf, .len = len, .errbuf = errbuf, .errlen = errbuf_len};
    if (len < 4 || memcmp(buf, "VMRI", 4) != 0) {
        vmr_errf(errbuf, errbuf_len, "program image: bad magic (expected VMRI)");
        return VMR_EFORMAT;
    }
    in.at = 4;
    unsigned major = (unsigned)get_le(&in, 2, "major version");
    unsigned minor = (unsigned)get_le(&in, 2, "minor version");
    if (in.rc == 0 && major != VMR_IMAGE_MAJOR) {
        vmr_errf(errbuf, errbuf_len, "program image: version %u.%u, this reader knows %d.x", major,
                 minor, VMR_IMAGE_MAJOR);
        return VMR_EVERSION;
    }
    img->elf_class = (uint8_t)get_le(&in, 1, "class");
    img->type = (uint8_t)get_le(&in, 1, "type");
    img->machine = (uint16_t)get_le(&in, 2, "machine");
    img->entry = get_le(&in, 8, "entry");
    img->file_size = get_le(&in, 8, "file size");
    uint64_t n = get_le(&in, 4, "segment count");
    if (in.rc == 0 && (n == 0 || n > MAX_SEGMENTS || n * 44 > len - in.at)) {
        vmr_errf(errbuf, errbuf_len, "program image: byte %zu: segment count %llu %s", in.at - 4,
                 (unsigned long long)n,
                 n == 0 || n > MAX_SEGMENTS ? "out of range" : "runs past the end");
        in.rc = n == 0 || n > MAX_SEGMENTS ? VMR_EFORMAT : VMR_ETRUNCATED;
    }
    if (in.rc == 0 && !(img->segments = calloc((size_t)n, sizeof *img->segments)))
        in.rc = VMR_ENOMEM;
    for (size_t i = 0; in.rc == 0 && i < n; i++) {
        struct vmr_segment *s = &img->segments[img->n_segments++];
        s->vaddr = get_le(&in, 8, "segment vaddr");
        s->memsz = get_le(&in, 8, "segment memsz");
        s->filesz = get_le(&in, 8, "segment filesz");
        s->offset = get_le(&in, 8, "segment offset");
        s->align = get_le(&in, 8, "segment align");
        s->prot = (uint32_t)get_le(&in, 4, "segment prot");
    }
    img->path = get_str(&in, "path");
    img->interp = get_str(&in, "interpreter");
    img->soname = get_str(&in, "soname");
    img->rpath = get_str(&in, "rpath");
    img->runpath = get_str(&in, "runpath");
    if (in.rc == 0 && !img->path)
        img->path = vmr_strdup("");
    n = get_le(&in, 4, "needed count");
    if (in.rc == 0 && (n > MAX_NEEDED || n * 4 > len - in.at)) {
        vmr_errf(errbuf, errbuf_len, "program image: byte %zu: needed count %llu %s", in.at - 4,
                 (unsigned long long)n, n > MAX_NEEDED ? "out of range" : "runs past the end");
        in.rc = n > MAX_NEEDED ? VMR_EFORMAT : VMR_ETRUNCATED;
    }
    if (in.rc == 0 && n && !(img->needed = calloc((size_t)n, sizeof *img->needed)))
        in.rc = VMR_ENOMEM;
    for (size_t i = 0; in.rc == 0 && i < n; i++) {
        char *s = get_str(&in, "needed name");
        if (in.rc == 0 && !s) {
            vmr_errf(errbuf, errbuf_len, "program image: needed name %zu is absent", i);
            in.rc = VMR_EFORMAT;
        }
        if (s)
            img->needed[img->n_needed++] = s;
    }
    if (in.rc == 0 && in.at != len && minor <= VMR_IMAGE_MINOR) {
        vmr_errf(errbuf, errbuf_len, "program image: %zu bytes after the end", len - in.at);
        in.rc = VMR_EFORMAT;
    }
    if (in.rc == 0)
        in.rc = check_image(img, errbuf, errbuf_len);
    if (in.rc == VMR_ENOMEM)
        vmr_errf(errbuf, errbuf_len, "program image: out of memory");
    return in.rc;
}
