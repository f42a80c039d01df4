/*
 * testlib.h - the few helpers the unit tests share: CHECK macros that report
 * file:line and fail the program, and temporary paths.
 */
#ifndef VMREPLAY_TESTLIB_H
#define VMREPLAY_TESTLIB_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern int vmr_test_failures;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);               \
            vmr_test_failures++;                                                                   \
        }                                                                                          \
    } while (0)

#define CHECK_EQ_U64(a, b)                                                                         \
    do {                                                                                           \
        uint64_t va_ = (uint64_t)(a), vb_ = (uint64_t)(b);                                         \
        if (va_ != vb_) {                                                                          \
            fprintf(stderr, "%s:%d: CHECK failed: %s == %s (%" PRIu64 " != %" PRIu64 ")\n",        \
                    __FILE__, __LINE__, #a, #b, va_, vb_);                                         \
            vmr_test_failures++;                                                                   \
        }                                                                                          \
    } while (0)

#define CHECK_STR(a, b)                                                                            \
    do {                                                                                           \
        const char *sa_ = (a), *sb_ = (b);                                                         \
        if (!sa_ || !sb_ || strcmp(sa_, sb_) != 0) {                                               \
            fprintf(stderr, "%s:%d: CHECK failed: %s == %s (\"%s\" != \"%s\")\n", __FILE__,        \
                    __LINE__, #a, #b, sa_ ? sa_ : "(null)", sb_ ? sb_ : "(null)");                 \
            vmr_test_failures++;                                                                   \
        }                                                                                          \
    } while (0)

/* Returns the exit status for main: 0 if no CHECK failed. */
int vmr_test_done(void);

/* A fresh path "<tmpdir>/vmr-test-<pid>-<n>-<suffix>"; static storage per
 * call slot, valid until 16 more calls. */
const char *vmr_test_tmp(const char *suffix);

/* Writes `text` to a fresh temporary file and returns its path. */
const char *vmr_test_write_tmp(const char *suffix, const char *text);

#endif
