/*
 * vmrtrace.c - a Valgrind tool that records memory accesses and memory
 * system calls for `vmreplay record`.
 *
 * This file links Valgrind's libraries and is therefore built as a separate
 * program, vmrtrace-amd64-linux, licensed GPL-2.0-or-later like Valgrind;
 * vmreplay runs it through `valgrind --tool=vmrtrace` and never links it.
 *
 * What it does, and why it is fast where lackey is slow:
 *   - instrumentation calls one small helper per load, store or modify
 *     (a load and a store of the same address in one instruction, as in
 *     `add [mem], reg`, are one write: the page faults as a write), and
 *     with --vmr-fetches=yes one per run of instructions on one code page;
 *   - the helper collapses consecutive accesses of one kind to one page
 *     into one record with a repeat count (address and size of the first);
 *   - records are varint-encoded into a 1 MiB buffer written with one
 *     write(2) when full, after each system call it records, before fork
 *     and exec, and at exit. The raw format is in src/import/vgraw.h;
 *     the recorder turns it into the trace format.
 *   - system calls come from the pre/post syscall hooks, with their results.
 *     Valgrind's own mappings are made by the core, not through client
 *     syscalls, so they never appear; the initial image (program, ld.so,
 *     stack), which Valgrind maps without client syscalls, is read from the
 *     address-space manager at start-up.
 *
 * Options: --vmr-dir=DIR (required: where PID.raw streams go),
 * --vmr-fetches=yes|no (default no).
 */
#include "pub_tool_basics.h"
#include "pub_tool_aspacemgr.h"
#include "pub_tool_clientstate.h"
#include "pub_tool_libcassert.h"
#include "pub_tool_libcbase.h"
#include "pub_tool_libcfile.h"
#include "pub_tool_libcprint.h"
#include "pub_tool_libcproc.h"
#include "pub_tool_machine.h"
#include "pub_tool_options.h"
#include "pub_tool_tooliface.h"
#include "pub_tool_vki.h"
#include "pub_tool_threadstate.h"
#include "pub_tool_vkiscnums.h"

#include "vgraw.h"

/* from Valgrind's core (pub_core_libcfile.h), exported by libcoregrind */
extern Int VG_(safe_fd)(Int oldfd);

#define PAGE_SHIFT 12
#define BUF_BYTES  (1 << 20)
#define MAX_RECORD 8192 /* an event with a path fits */

static const HChar *clo_dir = NULL;
static Bool clo_fetches = False;

static Int out_fd = -1;
static UChar buf[BUF_BYTES];
static UInt buf_len = 0;

/* the access being collapsed */
static struct {
    Bool valid;
    UWord kind, size, count;
    Addr addr, page;
} cur;
static Addr prev_addr = 0;
static UWord prev_size = 1;
static Int cur_tid_os = 0; /* OS thread id of the running thread */
#define MAX_TIDS 4096      /* above Valgrind's default --max-threads=500 */
static Int tid_os[MAX_TIDS];

/* ---- output ------------------------------------------------------------- */

static void out_flush(void)
{
    UInt done = 0;
    while (done < buf_len && out_fd >= 0) {
        Int n = VG_(write)(out_fd, buf + done, (Int)(buf_len - done));
        if (n <= 0) {
            VG_(umsg)("vmrtrace: write to the recorder failed; recording stops\n");
            VG_(close)(out_fd);
            out_fd = -1;
            break;
        }
        done += (UInt)n;
    }
    buf_len = 0;
}

static inline void need(UInt n)
{
    if (buf_len + n > BUF_BYTES)
        out_flush();
}

static inline void put_u8(UInt v)
{
    buf[buf_len++] = (UChar)v;
}

static inline void put_varint(ULong v)
{
    while (v >= 0x80) {
        buf[buf_len++] = (UChar)(v | 0x80);
        v >>= 7;
    }
    buf[buf_len++] = (UChar)v;
}

static void put_string(const HChar *s)
{
    SizeT n = s ? VG_(strlen)(s) : 0;
    if (n > 4096)
        n = 4096;
    put_varint(n);
    VG_(memcpy)(buf + buf_len, s, n);
    buf_len += (UInt)n;
}

static void emit_access(void)
{
    need(32);
    UInt tag = (UInt)cur.kind;
    if (cur.size != prev_size)
        tag |= 4;
    if (cur.count > 1)
        tag |= 8;
    put_u8(tag);
    if (tag & 4)
        put_varint(cur.size);
    if (tag & 8)
        put_varint(cur.count);
    Long delta = (Long)(cur.addr - prev_addr);
    put_varint(((ULong)delta << 1) ^ (ULong)(delta >> 63));
    prev_addr = cur.addr;
    prev_size = cur.size;
    cur.valid = False;
}

static inline void flush_access(void)
{
    if (cur.valid)
        emit_access();
}

static ULong now_ns(void)
{
    struct vki_timespec ts;
    VG_(clock_gettime)(&ts, VKI_CLOCK_MONOTONIC);
    return (ULong)ts.tv_sec * 1000000000ull + (ULong)ts.tv_nsec;
}

/* Starts an event: flushes the pending access, writes tag, time and tid. */
static void event(UInt code)
{
    flush_access();
    need(MAX_RECORD);
    put_u8(0x80 | code);
    put_varint(now_ns());
    put_varint((ULong)cur_tid_os);
}

/* ---- the access helper ---------------------------------------------------- */

/* packed: kind in bits 0-1, size in bits 2-21, count from bit 22 */
static VG_REGPARM(2) void vmr_access(UWord packed, Addr a)
{
    UWord kind = packed & 3, size = (packed >> 2) & 0xfffff, count = packed >> 22;
    Addr page = a >> PAGE_SHIFT;
    if (cur.valid && page == cur.page && kind == cur.kind &&
        ((a + size - 1) >> PAGE_SHIFT) == page && cur.count < 0x7fffffff) {
        cur.count += count;
        return;
    }
    if (cur.valid)
        emit_access();
    cur.valid = True;
    cur.kind = kind;
    cur.size = size;
    cur.count = count;
    cur.addr = a;
    /* an access that crosses a page never collapses with the next */
    cur.page = ((a + size - 1) >> PAGE_SHIFT) == page ? page : (Addr)-1;
}

/* ---- instrumentation ------------------------------------------------------ */

#define N_EVENTS 16

typedef struct {
    UWord kind; /* 0 r, 1 w, 2 x */
    IRExpr *addr;
    UWord size, count;
    IRExpr *guard;  /* NULL = always */
    Addr code_page; /* fetch: page of the instructions */
} Event;

static Event events[N_EVENTS];
static Int n_events;
static Int fetch_run;        /* index of the open fetch event, or -1 */
static Int insn_first_event; /* first event of the current instruction */

static void flush_events(IRSB *sb)
{
    for (Int i = 0; i < n_events; i++) {
        Event *ev = &events[i];
        UWord size = ev->size > 0xfffff ? 0xfffff : ev->size;
        UWord packed = ev->kind | size << 2 | ev->count << 22;
        IRExpr **args = mkIRExprVec_2(mkIRExpr_HWord(packed), ev->addr);
        IRDirty *di = unsafeIRDirty_0_N(2, "vmr_access", VG_(fnptr_to_fnentry)(vmr_access), args);
        if (ev->guard)
            di->guard = ev->guard;
        addStmtToIRSB(sb, IRStmt_Dirty(di));
    }
    n_events = 0;
    fetch_run = -1;
    insn_first_event = 0;
}

static void add_event(IRSB *sb, UWord kind, IRExpr *addr, UWord size, IRExpr *guard)
{
    if (size == 0)
        return;
    /* a store right after a load of the same address and size in the same
     * instruction: one write (modify) */
    if (kind == 1 && !guard && n_events > insn_first_event) {
        Event *last = &events[n_events - 1];
        if (last->kind == 0 && !last->guard && last->size == size && eqIRAtom(last->addr, addr)) {
            last->kind = 1;
            return;
        }
    }
    if (n_events == N_EVENTS)
        flush_events(sb);
    Event *ev = &events[n_events++];
    ev->kind = kind;
    ev->addr = addr;
    ev->size = size;
    ev->count = 1;
    ev->guard = guard;
    ev->code_page = 0;
}

static void add_fetch(IRSB *sb, Addr pc, UWord len)
{
    Addr page = pc >> PAGE_SHIFT;
    if (fetch_run >= 0 && events[fetch_run].code_page == page && events[fetch_run].count < 1023) {
        events[fetch_run].count++;
        return;
    }
    if (n_events == N_EVENTS)
        flush_events(sb);
    Event *ev = &events[n_events];
    ev->kind = 2;
    ev->addr = mkIRExpr_HWord(pc);
    ev->size = len ? len : 1;
    ev->count = 1;
    ev->guard = NULL;
    ev->code_page = page;
    fetch_run = n_events++;
}

static IRSB *vmr_instrument(VgCallbackClosure *closure, IRSB *sb_in, const VexGuestLayout *layout,
                            const VexGuestExtents *vge, const VexArchInfo *archinfo_host,
                            IRType gWordTy, IRType hWordTy)
{
    (void)closure;
    (void)layout;
    (void)vge;
    (void)archinfo_host;
    if (gWordTy != hWordTy)
        VG_(tool_panic)("host/guest word size mismatch");
    IRSB *sb = deepCopyIRSBExceptStmts(sb_in);
    IRTypeEnv *tyenv = sb_in->tyenv;
    Int i = 0;
    n_events = 0;
    fetch_run = -1;
    insn_first_event = 0;
    /* the preamble before the first IMark */
    while (i < sb_in->stmts_used && sb_in->stmts[i]->tag != Ist_IMark) {
        addStmtToIRSB(sb, sb_in->stmts[i]);
        i++;
    }
    for (; i < sb_in->stmts_used; i++) {
        IRStmt *st = sb_in->stmts[i];
        if (!st || st->tag == Ist_NoOp)
            continue;
        switch (st->tag) {
        case Ist_IMark:
            insn_first_event = n_events;
            if (clo_fetches)
                add_fetch(sb, (Addr)st->Ist.IMark.addr, st->Ist.IMark.len);
            insn_first_event = n_events; /* a fetch never merges into a modify */
            addStmtToIRSB(sb, st);
            break;
        case Ist_WrTmp: {
            IRExpr *e = st->Ist.WrTmp.data;
            addStmtToIRSB(sb, st);
            if (e->tag == Iex_Load)
                add_event(sb, 0, e->Iex.Load.addr, sizeofIRType(e->Iex.Load.ty), NULL);
            break;
        }
        case Ist_Store:
            addStmtToIRSB(sb, st);
            add_event(sb, 1, st->Ist.Store.addr,
                      sizeofIRType(typeOfIRExpr(tyenv, st->Ist.Store.data)), NULL);
            break;
        case Ist_StoreG: {
            IRStoreG *sg = st->Ist.StoreG.details;
            addStmtToIRSB(sb, st);
            add_event(sb, 1, sg->addr, sizeofIRType(typeOfIRExpr(tyenv, sg->data)), sg->guard);
            break;
        }
        case Ist_LoadG: {
            IRLoadG *lg = st->Ist.LoadG.details;
            IRType ty = Ity_INVALID, ty_wide = Ity_INVALID;
            typeOfIRLoadGOp(lg->cvt, &ty_wide, &ty);
            addStmtToIRSB(sb, st);
            add_event(sb, 0, lg->addr, sizeofIRType(ty), lg->guard);
            break;
        }
        case Ist_Dirty: {
            IRDirty *d = st->Ist.Dirty.details;
            addStmtToIRSB(sb, st);
            if (d->mFx != Ifx_None && d->mAddr && d->mSize > 0) {
                if (d->mFx == Ifx_Read || d->mFx == Ifx_Modify)
                    add_event(sb, 0, d->mAddr, (UWord)d->mSize, NULL);
                if (d->mFx == Ifx_Write || d->mFx == Ifx_Modify)
                    add_event(sb, 1, d->mAddr, (UWord)d->mSize, NULL);
            }
            break;
        }
        case Ist_CAS: {
            IRCAS *cas = st->Ist.CAS.details;
            UWord size = sizeofIRType(typeOfIRExpr(tyenv, cas->dataLo));
            if (cas->dataHi)
                size *= 2;
            addStmtToIRSB(sb, st);
            add_event(sb, 0, cas->addr, size, NULL);
            add_event(sb, 1, cas->addr, size, NULL);
            break;
        }
        case Ist_LLSC: {
            addStmtToIRSB(sb, st);
            if (st->Ist.LLSC.storedata == NULL)
                add_event(sb, 0, st->Ist.LLSC.addr,
                          sizeofIRType(typeOfIRTemp(tyenv, st->Ist.LLSC.result)), NULL);
            else
                add_event(sb, 1, st->Ist.LLSC.addr,
                          sizeofIRType(typeOfIRExpr(tyenv, st->Ist.LLSC.storedata)), NULL);
            break;
        }
        case Ist_Exit:
            flush_events(sb);
            addStmtToIRSB(sb, st);
            break;
        default:
            addStmtToIRSB(sb, st);
            break;
        }
    }
    flush_events(sb);
    return sb;
}

/* ---- threads -------------------------------------------------------------- */

static Bool image_pending = False;
static Int exit_status = -1; /* from exit_group */
static void write_image(void);

static void thread_starts(ThreadId tid, ULong blocks)
{
    (void)blocks;
    if (image_pending) {
        image_pending = False;
        write_image();
        tid_os[1] = cur_tid_os = VG_(gettid)();
        event(RAW_THREAD);
        out_flush();
    }
    if (tid >= MAX_TIDS)
        return;
    if (tid_os[tid] == 0)
        tid_os[tid] = VG_(gettid)();
    if (tid_os[tid] != cur_tid_os) {
        cur_tid_os = tid_os[tid];
        event(RAW_THREAD);
    }
}

static void thread_created(ThreadId parent, ThreadId child)
{
    (void)parent;
    if (child < MAX_TIDS)
        tid_os[child] = 0; /* learnt when it first runs */
}

/* ---- the initial image ---------------------------------------------------- */

static UInt seg_prot(const NSegment *s)
{
    return (s->hasR ? 1u : 0u) | (s->hasW ? 2u : 0u) | (s->hasX ? 4u : 0u);
}

static void write_image(void)
{
    enum { MAX_SEGS = 4096 };
    static Addr starts[MAX_SEGS];
    Int n = VG_(am_get_segment_starts)(SkFileC | SkAnonC | SkShmC, starts, MAX_SEGS);
    Addr sp = VG_(get_SP)(1), brk = 0;
    for (Int i = 0; i < n; i++) {
        const NSegment *s = VG_(am_find_nsegment)(starts[i]);
        if (!s)
            continue;
        const NSegment *next = VG_(am_find_nsegment)(s->end + 1);
        if (s->kind == SkAnonC &&
            (s->isCH || (next && next->kind == SkResvn && next->smode == SmLower))) {
            /* the brk heap (Valgrind maps its first page; the reservation
             * above it is where it grows): the break, not an area */
            if (!brk)
                brk = s->start;
            continue;
        }
        Addr start = s->start;
        ULong len = (ULong)(s->end - s->start + 1);
        UInt kind = s->kind == SkFileC ? 1 : 0;
        if (s->kind != SkFileC && sp >= s->start && sp <= s->end) {
            /* the main stack: include the reservation below it that the
             * stack grows into, as Linux's growsdown area does */
            const NSegment *below = start > 0 ? VG_(am_find_nsegment)(start - 1) : NULL;
            if (below && below->kind == SkResvn) {
                len += (ULong)(below->end - below->start + 1);
                start = below->start;
            }
            kind = 2;
        }
        event(RAW_SEG);
        put_varint(start);
        put_varint(len);
        put_varint(seg_prot(s));
        put_varint(kind);
        put_varint(kind == 1 ? (ULong)s->offset : 0);
        put_string(kind == 1 ? VG_(am_get_filename)(s) : "");
    }
    /* the initial break: the start of Valgrind's client heap segment */
    event(RAW_IMAGE_END);
    put_varint(brk);
}

/* ---- start, fork, exit ------------------------------------------------------ */

static void open_stream(void)
{
    HChar path[4200];
    VG_(snprintf)(path, sizeof path, "%s/%d.raw", clo_dir, VG_(getpid)());
    SysRes r = VG_(open)(path, VKI_O_WRONLY | VKI_O_CREAT | VKI_O_APPEND, 0600);
    if (sr_isError(r)) {
        VG_(umsg)("vmrtrace: cannot create %s\n", path);
        VG_(exit)(1);
    }
    /* moved into Valgrind's reserved range (close-on-exec): the client can
     * neither close it nor dup2 over it, and does not see it */
    out_fd = VG_(safe_fd)((Int)sr_Res(r));
    buf_len = 0;
    cur.valid = False;
    prev_addr = 0;
    prev_size = 1;
}

static void start_stream(const HChar *exe)
{
    cur_tid_os = VG_(gettid)();
    event(RAW_START);
    put_varint(VGRAW_VERSION);
    put_varint((ULong)VG_(getpid)());
    put_varint((ULong)VG_(getppid)());
    put_string(exe);
}

static void before_fork(ThreadId tid)
{
    (void)tid;
    flush_access();
    out_flush();
}

static void child_after_fork(ThreadId tid)
{
    if (out_fd >= 0)
        VG_(close)(out_fd);
    open_stream();
    for (Int i = 0; i < MAX_TIDS; i++)
        tid_os[i] = 0;
    if (tid < MAX_TIDS)
        tid_os[tid] = VG_(gettid)();
    start_stream("");
    cur_tid_os = VG_(gettid)();
    event(RAW_THREAD);
}

static void vmr_post_clo_init(void)
{
    if (!clo_dir) {
        VG_(umsg)("vmrtrace: --vmr-dir=DIR is required (run it through 'vmreplay record')\n");
        VG_(exit)(1);
    }
    open_stream();
    start_stream(VG_(args_the_exename));
    image_pending = True; /* thread 1's registers exist once it first runs */
}

static void vmr_fini(Int exitcode)
{
    event(RAW_EXIT);
    put_varint((ULong)(UInt)(exit_status >= 0 ? exit_status : exitcode));
    put_varint(1);
    out_flush();
    if (out_fd >= 0)
        VG_(close)(out_fd);
    out_fd = -1;
}

/* ---- system calls ------------------------------------------------------------ */

/* Reads a NUL-terminated client string, at most n-1 bytes; "" if the
 * address is not readable client memory. */
static void client_string(Addr a, HChar *out, SizeT n)
{
    out[0] = '\0';
    if (!a)
        return;
    SizeT i = 0;
    while (i + 1 < n) {
        if (((a + i) & 0xfff) == 0 || i == 0)
            if (!VG_(am_is_valid_for_client)(a + i, 1, VKI_PROT_READ))
                break;
        HChar c = *(const HChar *)(a + i);
        if (!c)
            break;
        out[i++] = c;
    }
    out[i] = '\0';
}

static Bool is_marker(const HChar *path)
{
    return VG_(strncmp)(path, VGRAW_MARKER_PREFIX, VG_(strlen)(VGRAW_MARKER_PREFIX)) == 0;
}

static HChar pre_path[4097];

static void vmr_pre_syscall(ThreadId tid, UInt sysno, UWord *args, UInt nargs)
{
    (void)tid;
    (void)nargs;
    switch (sysno) {
    case __NR_open:
        client_string(args[0], pre_path, sizeof pre_path);
        break;
    case __NR_openat:
        client_string(args[1], pre_path, sizeof pre_path);
        break;
    case __NR_execve:
        client_string(args[0], pre_path, sizeof pre_path);
        event(RAW_EXEC);
        put_string(pre_path);
        out_flush(); /* the image is replaced if it works */
        break;
    case __NR_exit_group:
        /* fini writes the process exit, with this status */
        exit_status = (Int)args[0];
        flush_access();
        out_flush();
        break;
    case __NR_exit:
        event(RAW_EXIT);
        put_varint((ULong)(UInt)args[0]);
        put_varint(0);
        break;
    case __NR_clone:
    case __NR_fork:
    case __NR_vfork:
        flush_access();
        out_flush();
        break;
    default:
        break;
    }
}

static void vmr_post_syscall(ThreadId tid, UInt sysno, UWord *args, UInt nargs, SysRes res)
{
    (void)tid;
    (void)nargs;
    Bool fail = sr_isError(res);
    ULong err = fail ? (ULong)sr_Err(res) : 0;
    ULong r = fail ? 0 : (ULong)sr_Res(res);
    switch (sysno) {
    case __NR_mmap: {
        struct vg_stat st;
        ULong size1 = 0;
        Int fd = (Int)args[4];
        if (!fail && !(args[3] & VKI_MAP_ANONYMOUS) && fd >= 0 && VG_(fstat)(fd, &st) == 0)
            size1 = (ULong)st.size + 1;
        event(RAW_MMAP);
        put_varint(fail ? args[0] : r);
        put_varint(args[1]);
        put_varint(args[2]);
        put_varint(args[3]);
        put_varint((ULong)(Long)fd + 1); /* -1 -> 0 */
        put_varint(args[5]);
        put_varint(err);
        put_varint(size1);
        break;
    }
    case __NR_munmap:
        event(RAW_MUNMAP);
        put_varint(args[0]);
        put_varint(args[1]);
        put_varint(err);
        break;
    case __NR_mprotect:
        event(RAW_MPROTECT);
        put_varint(args[0]);
        put_varint(args[1]);
        put_varint(args[2]);
        put_varint(err);
        break;
    case __NR_mremap:
        event(RAW_MREMAP);
        put_varint(args[0]);
        put_varint(args[1]);
        put_varint(r);
        put_varint(args[2]);
        put_varint(err);
        break;
    case __NR_brk:
        event(RAW_BRK);
        put_varint(args[0]);
        put_varint(r);
        break;
    case __NR_madvise:
        event(RAW_MADVISE);
        put_varint(args[0]);
        put_varint(args[1]);
        put_varint(args[2]);
        put_varint(err);
        break;
    case __NR_msync:
        event(RAW_MSYNC);
        put_varint(args[0]);
        put_varint(args[1]);
        put_varint(args[2]);
        put_varint(err);
        break;
    case __NR_open:
    case __NR_openat:
        if (is_marker(pre_path)) {
            event(RAW_MARK);
            put_string(pre_path + VG_(strlen)(VGRAW_MARKER_PREFIX));
        } else if (!fail) {
            event(RAW_OPEN);
            put_varint(r);
            put_string(pre_path);
        }
        break;
    case __NR_close:
        if (!fail) {
            event(RAW_CLOSE);
            put_varint(args[0]);
        }
        break;
    case __NR_dup:
    case __NR_dup2:
    case __NR_dup3:
        if (!fail) {
            event(RAW_DUP);
            put_varint(args[0]);
            put_varint(r);
        }
        break;
    case __NR_fcntl:
        if (!fail && (args[1] == VKI_F_DUPFD || args[1] == VKI_F_DUPFD_CLOEXEC)) {
            event(RAW_DUP);
            put_varint(args[0]);
            put_varint(r);
        }
        break;
    case __NR_clone:
        /* a thread shares the address space; anything else (including
         * CLONE_VM|CLONE_VFORK, which Valgrind runs as a fork) is a fork */
        if (!fail && r != 0) {
            Bool thread = (args[0] & VKI_CLONE_VM) && !(args[0] & VKI_CLONE_VFORK);
            event(thread ? RAW_CLONE_THREAD : RAW_FORK);
            put_varint(r);
        }
        break;
    case __NR_fork:
    case __NR_vfork:
        if (!fail && r != 0) {
            event(RAW_FORK);
            put_varint(r);
        }
        break;
    case __NR_execve:
        event(RAW_EXEC_FAIL);
        put_varint(err);
        break;
    default:
        /* any other call only cuts the process's stream into segments, for
         * the merge (a wait4 that returns after a child ended...) */
        event(RAW_TICK);
        return;
    }
    /* every recorded system call is a flush point: a killed process loses
     * at most the accesses since its last one */
    out_flush();
}

/* ---- registration --------------------------------------------------------- */

static Bool vmr_process_cmd_line_option(const HChar *arg)
{
    if VG_STR_CLO (arg, "--vmr-dir", clo_dir) {
    } else if VG_BOOL_CLO (arg, "--vmr-fetches", clo_fetches) {
    } else
        return False;
    return True;
}

static void vmr_print_usage(void)
{
    VG_(printf)
    ("    --vmr-dir=DIR             where the per-process raw streams go\n"
     "    --vmr-fetches=yes|no      record instruction fetches [no]\n");
}

static void vmr_print_debug_usage(void)
{
    VG_(printf)("    (none)\n");
}

static void vmr_pre_clo_init(void)
{
    VG_(details_name)("vmrtrace");
    VG_(details_version)(NULL);
    VG_(details_description)("memory-access and memory-syscall recorder for vmreplay");
    VG_(details_copyright_author)("vmreplay authors, GPL-2.0-or-later");
    VG_(details_bug_reports_to)("the vmreplay project");
    VG_(details_avg_translation_sizeB)(300);
    VG_(basic_tool_funcs)(vmr_post_clo_init, vmr_instrument, vmr_fini);
    VG_(needs_command_line_options)
    (vmr_process_cmd_line_option, vmr_print_usage, vmr_print_debug_usage);
    VG_(needs_syscall_wrapper)(vmr_pre_syscall, vmr_post_syscall);
    VG_(track_start_client_code)(thread_starts);
    VG_(track_pre_thread_ll_create)(thread_created);
    VG_(atfork)(before_fork, NULL, child_after_fork);
}

VG_DETERMINE_INTERFACE_VERSION(vmr_pre_clo_init)
