/*
 * page_words.h - page words (include/vmreplay/trace.h) computed the plain
 * way, from records, for the tests of the reader that makes them and of
 * the kernel that takes them.
 */
#ifndef VMREPLAY_TEST_PAGE_WORDS_H
#define VMREPLAY_TEST_PAGE_WORDS_H

#include "vmreplay/trace.h"

/* The pid of the access record before, across calls; start with known 0. */
struct ref_words {
    int known;
    uint32_t pid;
};

static inline void ref_page_words(struct ref_words *st, const struct vmr_record *recs, size_t n,
                                  unsigned shift, uint64_t *words)
{
    for (size_t i = 0; i < n; i++) {
        const struct vmr_record *x = &recs[i];
        if (!vmr_rec_is_access(x->kind)) {
            words[i] = VMR_PAGE_WORD_EVENT;
        } else if (!st->known || x->pid != st->pid) {
            words[i] = VMR_PAGE_WORD_NEWPID;
            st->known = 1;
            st->pid = x->pid;
        } else if (x->count != 1 || x->addr / (UINT64_C(1) << shift) !=
                                        (x->addr + x->size - 1) / (UINT64_C(1) << shift)) {
            words[i] = VMR_PAGE_WORD_OTHER;
        } else {
            words[i] = x->addr / (UINT64_C(1) << shift) * 4 + x->kind;
        }
    }
}

#endif
