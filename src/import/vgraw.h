/*
 * vgraw.h - the raw stream our Valgrind tool (src/record/vgtool/vmrtrace.c)
 * writes and the recorder (src/import/valgrind.c) reads. Private to those
 * two: it is not a trace format anyone else should produce.
 *
 * The tool writes one stream per process, DIR/PID.raw, opened O_APPEND so
 * that the image after an execve continues the same stream. A stream is a
 * sequence of records; each starts with a tag byte:
 *
 *   tag & 0x80 == 0: an access. bits 0-1 kind (0 read, 1 write, 2 fetch),
 *     bit 2 S: a varint size follows (else the previous size; 1 at start),
 *     bit 3 C: a varint count >= 2 follows (else 1),
 *     then always a zigzag varint address delta from the previous access
 *     of the stream (0 at start).
 *   tag & 0x80 != 0: an event, code = tag & 0x7f, then the fields listed
 *     below as varints (strings: varint length, then bytes). Every event
 *     starts with a varint time (CLOCK_MONOTONIC, ns) and the varint tid
 *     of the thread that made it.
 *
 * Accesses belong to the thread named by the last RAW_THREAD event.
 * A stream may end anywhere (the process was killed): a partial last
 * record is dropped.
 */
#ifndef VMREPLAY_IMPORT_VGRAW_H
#define VMREPLAY_IMPORT_VGRAW_H

#define VGRAW_VERSION 1

enum vgraw_event {
    /* a tool instance starts: version, pid, ppid, exe path, then the image
     * follows as RAW_SEG events and one RAW_IMAGE_END */
    RAW_START = 1,
    RAW_SEG = 2,       /* start, len, prot, kind (0 anon, 1 file, 2 stack), off, path */
    RAW_IMAGE_END = 3, /* brk: the initial program break */
    RAW_THREAD = 4,    /* accesses that follow are by this tid */
    /* system calls (after they returned, unless said otherwise):
     * res is the result, err the errno (0 on success) */
    RAW_MMAP =
        5, /* addr(result or hint), len, prot, linux flags, fd, off, err, file size+1 (0 unknown) */
    RAW_MUNMAP = 6,        /* addr, len, err */
    RAW_MPROTECT = 7,      /* addr, len, prot, err */
    RAW_BRK = 8,           /* requested, result */
    RAW_MADVISE = 9,       /* addr, len, advice, err */
    RAW_MSYNC = 10,        /* addr, len, linux flags, err */
    RAW_OPEN = 11,         /* fd (result), path; only successful opens */
    RAW_CLOSE = 12,        /* fd */
    RAW_DUP = 13,          /* oldfd, newfd (result) */
    RAW_FORK = 14,         /* child pid */
    RAW_CLONE_THREAD = 15, /* new thread id */
    RAW_EXEC = 16,         /* before execve: path. The new image's RAW_START follows if it worked */
    RAW_EXEC_FAIL = 17,    /* execve returned: err */
    RAW_EXIT =
        18, /* a thread (exit) or the process (exit_group, end): status, whole (1 = process) */
    RAW_MARK = 19,   /* open("/vmreplay-marker/NAME"): name */
    RAW_MREMAP = 20, /* old addr, old len, new addr (result), new len, err */
    RAW_TICK = 21,   /* any other system call returned: only its time matters */
};

#define VGRAW_MARKER_PREFIX "/vmreplay-marker/"

#endif
