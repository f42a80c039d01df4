/*
 * maps.c - address spaces printed as Linux's /proc/PID/maps, for
 * `replay --dump-maps` and for tests.
 *
 * Each area is one line as fs/proc/task_mmu.c prints it: start-end,
 * permissions (r/w/x, then p private or s shared), file offset, device and
 * inode (always 00:00 0 here: the simulator has no devices), then the path
 * or [heap]/[stack] padded to column 74. Each process starts with a comment
 * line giving its pid, program, entry point, first instruction and break.
 */
#include <inttypes.h>
#include <stdio.h>

#include "vmreplay/sim.h"

static int print_area(void *ctx, const struct vmr_proc_layout *pl, const struct vmr_area *a)
{
    FILE *fp = ctx;
    if (!a) {
        fprintf(fp,
                "# pid %" PRIu32 " %s: %zu areas, entry 0x%" PRIx64 ", start 0x%" PRIx64
                ", brk 0x%" PRIx64 "-0x%" PRIx64 "\n",
                pl->pid, pl->comm ? pl->comm : "(no exec)", pl->n_areas, pl->entry, pl->start,
                pl->brk_start, pl->brk);
        return ferror(fp) ? VMR_EIO : 0;
    }
    const char *name = a->name ? a->name : a->path;
    int n =
        fprintf(fp, "%08" PRIx64 "-%08" PRIx64 " %c%c%c%c %08" PRIx64 " 00:00 0 ", a->start, a->end,
                a->prot & VMR_PROT_READ ? 'r' : '-', a->prot & VMR_PROT_WRITE ? 'w' : '-',
                a->prot & VMR_PROT_EXEC ? 'x' : '-', a->shared ? 's' : 'p', a->offset);
    if (name)
        fprintf(fp, "%*s%s", n < 73 ? 73 - n : 0, "", name);
    fputc('\n', fp);
    return ferror(fp) ? VMR_EIO : 0;
}

int vmr_maps_write(FILE *fp, const struct vmr_kernel *k, vmr_pid_t pid)
{
    return vmr_kernel_areas(k, pid, print_area, fp);
}
