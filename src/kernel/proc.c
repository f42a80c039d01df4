/*
 * proc.c - processes and threads: creation (implicit, fork, thread), exec,
 * exit and kills (SEMANTICS.md sections 3 and 4).
 *
 * A process is a thread group: its leader carries the counters, and the
 * threads share the leader's mm. Process structs are kept until the kernel
 * is destroyed so every incarnation of a pid is reported; pid_to_proc names
 * the latest one. A pid the trace uses before any fork or exec introduced
 * it is a new process with an empty address space (hand-written traces).
 *
 * A fork whose commit charge the overcommit mode refuses fails (ENOMEM,
 * counted in the parent's mmap_failures): the child is listed as a process
 * that never ran (killed "enomem"), so the trace's records for it - which
 * the recorded, successful fork produced - are skipped, and so are those of
 * the processes and threads it forks in turn.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "vec.h"

static struct proc *proc_lookup(struct vmr_kernel *k, uint32_t pid)
{
    uint64_t *idx = vmr_hashmap_find(&k->pid_to_proc, pid);
    return idx ? k->procs[*idx] : NULL;
}

static struct proc *proc_new(struct vmr_kernel *k, uint32_t pid, const struct proc *parent)
{
    struct proc *p = calloc(1, sizeof *p);
    if (!p || vmr_grow((void **)&k->procs, &k->cap_procs, k->n_procs + 1, sizeof *k->procs) != 0 ||
        vmr_hashmap_put(&k->pid_to_proc, pid, k->n_procs) != 0) {
        free(p);
        return NULL;
    }
    p->pid = pid;
    p->parent = parent ? parent->pid : 0;
    p->state = PROC_ALIVE;
    p->leader = p;
    k->procs[k->n_procs++] = p;
    if (k->cached_pid == pid)
        k->cached_proc = NULL;
    return p;
}

/* A new process with a new, empty address space. */
static struct proc *proc_new_with_mm(struct vmr_kernel *k, uint32_t pid, const struct proc *parent)
{
    struct proc *p = proc_new(k, pid, parent);
    if (!p)
        return NULL;
    p->mm = mm_create(k);
    if (!p->mm || (k->scope && scope_proc_new(k, p) != 0)) {
        p->state = PROC_EXITED; /* stays in the table, harmless */
        if (p->mm)
            mm_put(k, p->mm, p);
        p->mm = NULL;
        return NULL;
    }
    p->mm->leader = p;
    return p;
}

struct proc *proc_get(struct vmr_kernel *k, uint32_t pid)
{
    struct proc *p = proc_lookup(k, pid);
    if (p && p->state != PROC_EXITED)
        return p;
    return proc_new_with_mm(k, pid, NULL);
}

static void task_exit(struct vmr_kernel *k, struct proc *t, enum proc_state state)
{
    t->state = (uint8_t)state;
    if (t->mm) {
        mm_put(k, t->mm, t);
        t->mm = NULL;
    }
}

/* Ends every task of p's thread group except `except`. */
static void group_exit(struct vmr_kernel *k, struct proc *leader, const struct proc *except,
                       enum proc_state state)
{
    for (size_t i = 0; i < k->n_procs; i++) {
        struct proc *t = k->procs[i];
        if (t->leader == leader && t != except && t->state == PROC_ALIVE)
            task_exit(k, t, state);
    }
    if (!except && k->scope)
        scope_proc_exit(k, leader); /* the process is gone: its frames are orphaned */
}

void proc_kill(struct vmr_kernel *k, struct proc *p, int why)
{
    struct proc *leader = p->leader;
    if (leader->killed_by || p->state != PROC_ALIVE)
        return;
    leader->killed_by = (uint8_t)why;
    if (why == VMR_KILLED_OOM)
        leader->c.oom_kills++;
    group_exit(k, leader, NULL, PROC_KILLED);
}

static int check_new_pid(struct vmr_kernel *k, const char *what, uint32_t pid)
{
    struct proc *old = proc_lookup(k, pid);
    if (old && old->state == PROC_ALIVE) {
        kernel_set_error(k, "%s: pid %u is already running", what, (unsigned)pid);
        return VMR_EFORMAT;
    }
    return 0;
}

/* A process the trace names that never ran: its fork failed. */
static int stillborn(struct vmr_kernel *k, struct proc *parent, uint32_t pid, int thread)
{
    struct proc *child = proc_new(k, pid, parent);
    if (!child)
        return VMR_ENOMEM;
    child->state = PROC_KILLED;
    if (thread) {
        child->is_thread = 1;
        child->leader = parent->leader;
    } else {
        child->killed_by = VMR_KILLED_ENOMEM;
        if (parent->comm)
            child->comm = vmr_strdup(parent->comm);
    }
    return 0;
}

static int do_fork(struct vmr_kernel *k, struct proc *parent, uint32_t child_pid)
{
    int rc = check_new_pid(k, "fork", child_pid);
    if (rc != 0)
        return rc;
    if (!mm_fork_allowed(k, parent->mm)) {
        parent->leader->c.mmap_failures++;
        return stillborn(k, parent, child_pid, 0);
    }
    struct proc *child = proc_new_with_mm(k, child_pid, parent);
    if (!child)
        return VMR_ENOMEM;
    if (parent->comm)
        child->comm = vmr_strdup(parent->comm);
    return mm_fork(k, parent->mm, child->mm);
}

static int do_thread(struct vmr_kernel *k, struct proc *parent, uint32_t tid)
{
    int rc = check_new_pid(k, "thread", tid);
    if (rc != 0)
        return rc;
    struct proc *t = proc_new(k, tid, parent);
    if (!t)
        return VMR_ENOMEM;
    t->is_thread = 1;
    t->leader = parent->leader;
    t->mm = parent->mm;
    t->mm->users++;
    return 0;
}

static int do_exec(struct vmr_kernel *k, struct proc *p, const struct vmr_record *rec)
{
    if (rec->err)
        return 0;
    uint32_t obj = obj_for_fid(k, rec->arg);
    if (obj == NIL) {
        kernel_set_error(k, "exec names file id %u, which no file record declared",
                         (unsigned)rec->arg);
        return VMR_EFORMAT;
    }
    /* the ELF files are read before anything changes (exec.c); a trace
     * that carries the program's areas as mmap records says so */
    struct exec_plan *plan = NULL;
    if (!(rec->flags & VMR_EXEC_MAPPED)) {
        int rc = exec_prepare(k, obj, &plan);
        if (rc != 0)
            return rc;
    }
    /* the other threads die; this task continues with a new address space */
    group_exit(k, p->leader, p, PROC_EXITED);
    struct mm *mm = mm_create(k);
    if (!mm) {
        exec_plan_free(plan);
        return VMR_ENOMEM;
    }
    mm->leader = p->leader;
    mm_put(k, p->mm, p);
    p->mm = mm;
    free(p->leader->comm);
    p->leader->comm = vmr_strdup(k->objs[obj].path);
    return plan ? exec_map(k, p, plan) : 0;
}

int proc_event(struct vmr_kernel *k, const struct vmr_record *rec)
{
    if (rec->kind == VMR_REC_EXIT) {
        struct proc *p = proc_lookup(k, rec->pid);
        if (!p || p->state != PROC_ALIVE)
            return 0;
        if (p->leader == p)
            group_exit(k, p, NULL, PROC_EXITED);
        else
            task_exit(k, p, PROC_EXITED);
        return 0;
    }
    struct proc *p = proc_get(k, rec->pid);
    if (!p)
        return VMR_ENOMEM;
    if (p->state != PROC_ALIVE) {
        /* the descendants of a process whose fork failed never run either */
        if (p->leader->killed_by == VMR_KILLED_ENOMEM &&
            (rec->kind == VMR_REC_FORK || rec->kind == VMR_REC_THREAD)) {
            int rc = check_new_pid(k, "fork", rec->arg);
            return rc ? rc : stillborn(k, p, rec->arg, rec->kind == VMR_REC_THREAD);
        }
        return 0;
    }
    switch (rec->kind) {
    case VMR_REC_FORK:
        return do_fork(k, p, rec->arg);
    case VMR_REC_THREAD:
        return do_thread(k, p, rec->arg);
    case VMR_REC_EXEC:
        return do_exec(k, p, rec);
    default:
        return 0;
    }
}
