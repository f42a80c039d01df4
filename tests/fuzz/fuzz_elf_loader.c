/*
 * fuzz_elf_loader.c - any bytes as an ELF file, and as a serialised program
 * image: load; if that works, serialise, parse back and compare, and check
 * the span; parse the bytes as a serialised image too. Errors are expected;
 * crashes, leaks, undefined behaviour and out-of-bounds reads are not.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmreplay/elf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vmr_image img, back;
    char err[512];
    if (vmr_image_load_mem(&img, "fuzz", data, size, err, sizeof err) == 0) {
        uint8_t *buf;
        size_t len;
        uint64_t lo, hi;
        vmr_image_span(&img, 4096, &lo, &hi);
        if (lo > hi)
            abort();
        if (vmr_image_serialize(&img, &buf, &len) == 0) {
            if (vmr_image_parse(&back, buf, len, err, sizeof err) != 0 ||
                back.n_segments != img.n_segments || back.n_needed != img.n_needed ||
                back.entry != img.entry ||
                memcmp(back.segments, img.segments, img.n_segments * sizeof *img.segments) != 0)
                abort();
            vmr_image_release(&back);
            free(buf);
        }
    }
    vmr_image_release(&img);
    vmr_image_parse(&back, data, size, err, sizeof err);
    vmr_image_release(&back);
    return 0;
}
