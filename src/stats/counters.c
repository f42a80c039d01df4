/* counters.c - index access to struct vmr_counters through VMR_COUNTERS. */
#include "vmreplay/stats.h"

enum { SUM, PEAK };

static const struct {
    const char *name;
    const char *help;
    int peak;
    size_t offset;
} counters[VMR_N_COUNTERS] = {
#define VMR_X_ROW(name, kind, help)                                                                \
    {#name, help, kind == PEAK, offsetof(struct vmr_counters, name)},
    VMR_COUNTERS(VMR_X_ROW)
#undef VMR_X_ROW
};

const char *vmr_counter_name(size_t i)
{
    return i < VMR_N_COUNTERS ? counters[i].name : NULL;
}

const char *vmr_counter_help(size_t i)
{
    return i < VMR_N_COUNTERS ? counters[i].help : NULL;
}

int vmr_counter_is_peak(size_t i)
{
    return i < VMR_N_COUNTERS && counters[i].peak;
}

uint64_t vmr_counter_get(const struct vmr_counters *c, size_t i)
{
    if (i >= VMR_N_COUNTERS)
        return 0;
    return *(const uint64_t *)((const char *)c + counters[i].offset);
}

void vmr_counters_merge(struct vmr_counters *dst, const struct vmr_counters *src)
{
    for (size_t i = 0; i < VMR_N_COUNTERS; i++) {
        uint64_t *d = (uint64_t *)((char *)dst + counters[i].offset);
        uint64_t s = vmr_counter_get(src, i);
        if (counters[i].peak)
            *d = s > *d ? s : *d;
        else
            *d += s;
    }
}
