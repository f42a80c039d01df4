/*
 * write.c - vmr_synth_write: the generator into a trace writer. Apart from
 * synth.c so that programs using only the generator do not link the trace
 * writers.
 */
#include "vmreplay/synth.h"

/* 256 records (14 KiB) amortise the call overhead; a bigger batch buys
 * nothing measurable and would only grow the stack. */
#define WRITE_BATCH 256

int vmr_synth_write(struct vmr_synth *s, struct vmr_trace_writer *w)
{
    struct vmr_record buf[WRITE_BATCH];
    for (;;) {
        size_t n;
        vmr_synth_next(s, buf, WRITE_BATCH, &n);
        if (n == 0)
            return 0;
        int rc = vmr_trace_writer_put_batch(w, buf, n);
        if (rc != 0)
            return rc;
    }
}
