/*
 * test_policy_registry.c - the built-in table, spec parsing and its error
 * messages, and plug-in loading (tests/plugins/example_policy.c built as a
 * good plug-in, one with a foreign ABI version, and one without the symbol).
 */
#include <stdlib.h>

#include "policy_harness.h"
#include "testlib.h"

static uint8_t bits[64];

/* Opens spec expecting rc; checks that errbuf contains `msg` (if given) and
 * that a failed open left *out untouched. */
static void expect_open(const char *spec, uint32_t frames, int want_rc, const char *msg)
{
    struct vmr_policy p, before;
    memset(&p, 0xA5, sizeof p);
    before = p;
    char err[512] = "";
    int rc = vmr_policy_open(&p, spec, frames, bits, 1, err, sizeof err);
    if (rc != want_rc)
        fprintf(stderr, "spec '%s': rc %d (%s), expected %d; message: %s\n", spec, rc,
                vmr_strerror(rc), want_rc, err);
    CHECK(rc == want_rc);
    if (msg && !strstr(err, msg)) {
        fprintf(stderr, "spec '%s': message \"%s\" lacks \"%s\"\n", spec, err, msg);
        vmr_test_failures++;
    }
    if (rc == 0)
        vmr_policy_close(&p);
    else
        CHECK(memcmp(&p, &before, sizeof p) == 0);
}

/* A policy's peek_victim guesses right when nothing is pinned and no bit
 * changed since the last choice: after filling 8 frames and after each of
 * a few evictions and loads. */
static void test_peek(const struct vmr_policy_ops *ops)
{
    uint8_t fbits[8] = {0};
    struct vmr_policy p;
    char err[256];
    uint64_t key[8];
    CHECK(vmr_policy_open(&p, ops->name, 8, fbits, 1, err, sizeof err) == 0);
    for (uint32_t f = 0; f < 8; f++) {
        key[f] = f;
        struct vmr_access a = {.time = f, .next_use = UINT64_MAX, .key = f, .count = 1};
        fbits[f] = VMR_FRAME_REFERENCED;
        p.ops->on_insert(p.state, f, &a);
    }
    for (uint32_t round = 0; round < 20; round++) {
        vmr_pfn_t guess = p.ops->peek_victim(p.state), v;
        CHECK(p.ops->select_victim(p.state, &v) == 0);
        if (!(p.ops->flags & VMR_POLICY_NEEDS_HITS) && guess != v) {
            /* a clock may pass referenced frames: then the guess is the
             * first frame it looked at; again, now that bits are cleared */
            guess = p.ops->peek_victim(p.state);
        }
        CHECK_EQ_U64(guess, v);
        if (v >= 8)
            break;
        /* (the page's own key: ghost-keeping policies check it) */
        p.ops->on_evict(p.state, v, key[v]);
        fbits[v] = VMR_FRAME_REFERENCED;
        key[v] = 8 + round;
        struct vmr_access a = {
            .time = 8 + round, .next_use = UINT64_MAX, .key = 8 + round, .count = 1};
        p.ops->on_insert(p.state, v, &a);
    }
    vmr_policy_close(&p);
}

/* on_replace does what on_evict + on_insert do: two instances, one told
 * with on_replace and one with the two calls, choose the same victims over
 * a seeded mix of hits and replacements (some of them loading a page
 * evicted a little earlier, a ghost hit for the policies that keep ghosts;
 * on_miss first for those that want it); and, when nothing happens in
 * between, each frame it guesses is evicted within the next N
 * replacements, and not before it is the second victim from then (the
 * eighth with VMR_POLICY_FAR_GUESS). */
static void test_replace(const struct vmr_policy_ops *ops)
{
    enum { N = 16 };
    uint8_t fa[N] = {0}, fb[N] = {0};
    struct vmr_policy a, b;
    char err[256];
    CHECK(vmr_policy_open(&a, ops->name, N, fa, 1, err, sizeof err) == 0);
    CHECK(vmr_policy_open(&b, ops->name, N, fb, 1, err, sizeof err) == 0);
    uint64_t key[N], next_key = 0, rng = 12345, t = 0;
    uint64_t gone[2 * N]; /* keys evicted lately, ring */
    uint32_t n_gone = 0;
    for (uint32_t f = 0; f < N; f++) {
        struct vmr_access acc = {.time = t++, .next_use = UINT64_MAX, .key = next_key, .count = 1};
        key[f] = next_key++;
        fa[f] = fb[f] = VMR_FRAME_REFERENCED;
        a.ops->on_insert(a.state, f, &acc);
        b.ops->on_insert(b.state, f, &acc);
    }
    struct {
        vmr_pfn_t frame;
        int round;
    } pending[4 * N]; /* quiet guesses not yet fulfilled */
    int n_pending = 0, guesses = 0;
    /* hits before the quiet rounds may have brought a far guess nearer: a
     * list policy walks to it again about every 64 replacements */
    const int quiet_from = 300 + 2 * N + ((ops->flags & VMR_POLICY_FAR_GUESS) ? 64 : 0);
    for (int round = 0; round < 500; round++) {
        rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
        int quiet = round >= 300; /* the last rounds: replacements only */
        if (!quiet && (rng >> 60) < 6) {
            uint32_t f = (uint32_t)(rng >> 20) % N;
            struct vmr_access acc = {
                .time = t++, .next_use = UINT64_MAX, .key = key[f], .count = 1};
            fa[f] |= VMR_FRAME_REFERENCED;
            fb[f] |= VMR_FRAME_REFERENCED;
            if (ops->flags & VMR_POLICY_NEEDS_HITS) {
                a.ops->on_hit(a.state, f, &acc);
                b.ops->on_hit(b.state, f, &acc);
            }
            continue;
        }
        /* the page loaded: new, or one evicted lately */
        uint64_t k = next_key;
        if (!quiet && n_gone > 0 && (rng >> 56 & 3) == 0) {
            uint32_t i = (uint32_t)(rng >> 8) % (n_gone < 2 * N ? n_gone : 2 * N);
            k = gone[i];
            gone[i] = UINT64_MAX; /* resident again: not twice */
            if (k == UINT64_MAX)
                k = next_key;
        }
        struct vmr_access acc = {.time = t++, .next_use = UINT64_MAX, .key = k, .count = 1};
        if (ops->flags & VMR_POLICY_WANTS_MISS) {
            a.ops->on_miss(a.state, &acc);
            b.ops->on_miss(b.state, &acc);
        }
        vmr_pfn_t va, vb;
        CHECK(a.ops->select_victim(a.state, &va) == 0);
        CHECK(b.ops->select_victim(b.state, &vb) == 0);
        CHECK_EQ_U64(va, vb);
        if (va >= N || va != vb)
            break;
        /* the guesses made once two sweeps without hits have cleared every
         * referenced bit (a clock's guess ignores them): fulfilled when their
         * frame is the victim at least min_ahead rounds later (a frame may be
         * the victim more than once in a row), at most N */
        const int min_ahead = (ops->flags & VMR_POLICY_FAR_GUESS) ? 8 : 2;
        for (int i = 0; i < n_pending; i++) {
            if (pending[i].frame == va && round - pending[i].round >= min_ahead) {
                pending[i--] = pending[--n_pending];
            } else if (round - pending[i].round > N) {
                fprintf(stderr, "%s: guess %u of round %d not the victim: ", ops->name,
                        (unsigned)pending[i].frame, pending[i].round);
                CHECK(round - pending[i].round <= N);
                pending[i--] = pending[--n_pending];
            }
        }
        fa[va] = fb[va] = VMR_FRAME_REFERENCED;
        vmr_pfn_t guess = a.ops->on_replace(a.state, va, key[va], &acc);
        if (round >= quiet_from && guess < N && n_pending < 4 * N) {
            pending[n_pending].frame = guess;
            pending[n_pending++].round = round;
            guesses++;
        }
        b.ops->on_evict(b.state, va, key[va]);
        b.ops->on_insert(b.state, va, &acc);
        gone[n_gone++ % (2 * N)] = key[va];
        key[va] = k;
        if (k == next_key)
            next_key++;
    }
    CHECK(guesses > 0);
    vmr_policy_close(&a);
    vmr_policy_close(&b);
}

static void test_builtins(void)
{
    size_t n;
    const struct vmr_policy_ops *const *ops = vmr_policy_builtins(&n);
    static const char *const names[] = {"fifo", "lru", "clock", "opt"};
    static const uint32_t flags[] = {0, VMR_POLICY_NEEDS_HITS, 0,
                                     VMR_POLICY_NEEDS_HITS | VMR_POLICY_NEEDS_FUTURE};
    CHECK(n >= 4);
    for (size_t i = 0; i < 4 && i < n; i++) {
        CHECK_STR(ops[i]->name, names[i]);
        CHECK_EQ_U64(ops[i]->flags & (VMR_POLICY_NEEDS_HITS | VMR_POLICY_NEEDS_FUTURE), flags[i]);
        CHECK(ops[i]->summary && ops[i]->summary[0]);
        CHECK(vmr_policy_find(names[i]) == ops[i]);
    }
    for (size_t i = 0; i < n; i++)
        if (ops[i]->flags & VMR_POLICY_PEEK)
            test_peek(ops[i]);
    int replacing = 0;
    for (size_t i = 0; i < n; i++)
        if (ops[i]->flags & VMR_POLICY_REPLACE) {
            test_replace(ops[i]);
            replacing++;
        }
    CHECK(replacing >= 14); /* all but opt, lfu, gclock, nru and wsclock */
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++)
            CHECK(strcmp(ops[i]->name, ops[j]->name) != 0);
    CHECK(vmr_policy_find("LRU") == vmr_policy_find("lru"));
    CHECK(vmr_policy_find("nope") == NULL);
    CHECK(vmr_policy_find("") == NULL);
}

static void test_specs(void)
{
    struct vmr_policy p;
    char err[512] = "";
    CHECK(vmr_policy_open(&p, "Clock", 8, bits, 1, err, sizeof err) == 0);
    CHECK_STR(p.spec, "Clock");
    CHECK_STR(p.ops->name, "clock");
    CHECK(p.state != NULL && p.dl_handle == NULL);
    CHECK_EQ_U64(p.cfg.n_frames, 8);
    CHECK(p.cfg.frame_bits == bits);
    CHECK(p.cfg.errbuf == NULL);
    vmr_policy_close(&p);
    CHECK(p.ops == NULL && p.state == NULL);
    vmr_policy_close(&p); /* a closed (zeroed) struct is fine */

    expect_open("lru", 1, 0, NULL);
    expect_open("opt", 64, 0, NULL);
    expect_open("foo", 8, VMR_ENOTFOUND, "no policy 'foo'; 'vmreplay policies' lists them");
    expect_open("foo:a=1", 8, VMR_ENOTFOUND, "no policy 'foo';");
    expect_open("mine.so", 8, VMR_ENOTFOUND, "a plug-in path needs a '/'");
    expect_open("", 8, VMR_EINVAL, "empty policy spec");
    expect_open(":a=1", 8, VMR_EINVAL, "empty policy name");
    expect_open("lru:foo=1", 8, VMR_EINVAL, "policy 'lru' has no parameter 'foo' (it takes none)");
    expect_open("clock:foo", 8, VMR_EINVAL, "expected key=value, got 'foo'");
    expect_open("clock:=1", 8, VMR_EINVAL, "expected key=value, got '=1'");
    expect_open("clock:", 8, VMR_EINVAL, "expected key=value, got ''");
    expect_open("fifo:a=1,,b=2", 8, VMR_EINVAL, "expected key=value, got ''");
    expect_open("fifo:a=1,b=2,c=3,d=4,e=5,f=6,g=7,h=8,i=9,j=10,k=11,l=12,m=13,n=14,o=15,p=16,q=17",
                8, VMR_EINVAL, "more than 16 parameters");
    expect_open("lru", 0, VMR_EINVAL, "at least one frame");
    /* a '/' in a value does not make the spec a path */
    expect_open("lru:file=/tmp/x", 8, VMR_EINVAL, "policy 'lru' has no parameter 'file'");
    expect_open("nope:file=/tmp/x", 8, VMR_ENOTFOUND, "no policy 'nope'");
    char longspec[400];
    memset(longspec, 'a', sizeof longspec - 1);
    longspec[sizeof longspec - 1] = '\0';
    expect_open(longspec, 8, VMR_EINVAL, "too long");

    /* create checks its keys itself too, for callers that bypass the
     * registry */
    const struct vmr_policy_ops *lru = vmr_policy_find("lru");
    struct vmr_policy_kv kv = {"depth", "3"};
    struct vmr_policy_config cfg = {.n_frames = 4,
                                    .frame_bits = bits,
                                    .n_params = 1,
                                    .params = &kv,
                                    .errbuf = err,
                                    .errbuf_len = sizeof err};
    void *state = NULL;
    err[0] = '\0';
    CHECK(lru->create(&cfg, &state) == VMR_EINVAL);
    CHECK(strstr(err, "no parameter 'depth'") != NULL);
    CHECK(state == NULL);

    /* a NULL errbuf is allowed */
    CHECK(vmr_policy_open(&p, "nope", 8, bits, 1, NULL, 0) == VMR_ENOTFOUND);
}

static void test_plugins(void)
{
#ifdef VMR_PLUGIN_EXAMPLE
    struct vmr_policy p;
    char err[512] = "";
    int rc = vmr_policy_open(&p, VMR_PLUGIN_EXAMPLE, 8, bits, 1, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "%s\n", err);
    CHECK(rc == 0);
    if (rc == 0) {
        CHECK_STR(p.ops->name, "random");
        CHECK(p.dl_handle != NULL);
        CHECK(p.ops->params && strcmp(p.ops->params[0].name, "retries") == 0);
        vmr_policy_close(&p);
    }
    expect_open(VMR_PLUGIN_EXAMPLE ":retries=3", 8, 0, NULL);
    expect_open(VMR_PLUGIN_EXAMPLE ":retries=x", 8, VMR_EINVAL,
                "retries='x' is not a number from 0 to 1000");
    expect_open(VMR_PLUGIN_EXAMPLE ":bogus=1", 8, VMR_EINVAL,
                "policy 'random' has no parameter 'bogus' (known: retries)");
    expect_open(VMR_PLUGIN_EXAMPLE ":retries=1,retries=2", 8, VMR_EINVAL,
                "parameter 'retries' given twice");

    /* it runs: with 4 frames and 5 pages in a loop, RANDOM hits sometimes */
    uint64_t pages[200];
    for (size_t i = 0; i < 200; i++)
        pages[i] = i % 5;
    struct vmr_ph_stats a, b, c;
    CHECK(vmr_ph_run(VMR_PLUGIN_EXAMPLE, 4, pages, NULL, 200, 42, &a, err, sizeof err) == 0);
    CHECK(vmr_ph_run(VMR_PLUGIN_EXAMPLE, 4, pages, NULL, 200, 42, &b, err, sizeof err) == 0);
    CHECK(vmr_ph_run(VMR_PLUGIN_EXAMPLE, 4, pages, NULL, 200, 43, &c, err, sizeof err) == 0);
    CHECK(a.hits > 0 && a.faults > 5);
    CHECK_EQ_U64(a.victim_hash, b.victim_hash); /* the seed reaches the plug-in */
    CHECK(a.victim_hash != c.victim_hash);

    char msg[1024];
    snprintf(msg, sizeof msg, "%s: policy ABI version 999, this vmreplay supports %u",
             VMR_PLUGIN_BAD_ABI, (unsigned)VMR_POLICY_ABI_VERSION);
    expect_open(VMR_PLUGIN_BAD_ABI, 8, VMR_EABI, msg);
    snprintf(msg, sizeof msg, "%s: not a vmreplay policy plug-in", VMR_PLUGIN_NO_SYMBOL);
    expect_open(VMR_PLUGIN_NO_SYMBOL, 8, VMR_ENOTFOUND, msg);
    expect_open(VMR_PLUGIN_NO_SYMBOL, 8, VMR_ENOTFOUND, "vmr_policy_plugin"); /* dlerror text */
    expect_open(VMR_PLUGIN_BAD_FLAGS, 8, VMR_EINVAL, "on_replace (required by VMR_POLICY_REPLACE)");
    expect_open(VMR_PLUGIN_BAD_FAR, 8, VMR_EINVAL,
                "VMR_POLICY_REPLACE (required by VMR_POLICY_FAR_GUESS)");
    expect_open(VMR_PLUGIN_BAD_UNREF, 8, VMR_EINVAL,
                "VMR_POLICY_NEXT_VICTIM (required by VMR_POLICY_NEXT_UNREF)");
    expect_open(VMR_PLUGIN_BAD_RESIZE, 8, VMR_EINVAL, "resize (required by VMR_POLICY_RESIZE)");
    expect_open("./no-such-plugin.so", 8, VMR_ENOTFOUND,
                "cannot load policy plug-in: ./no-such-plugin.so: cannot open shared object file");
    /* the parameters start after the last '/': a ':' in a directory stays */
    expect_open("/no:such/dir/x.so:a=1", 8, VMR_ENOTFOUND, "/no:such/dir/x.so:");
    expect_open("/no:such/dir/x.so:a=/b", 8, VMR_ENOTFOUND, "/no:such/dir/x.so:");
    expect_open(VMR_PLUGIN_EXAMPLE ":retries=1/2", 8, VMR_EINVAL, "retries='1/2' is not a number");
    /* a file that is not a shared object: dlerror says why */
    const char *junk = vmr_test_write_tmp("junk.so", "not an ELF file\n");
    expect_open(junk, 8, VMR_ENOTFOUND, "cannot load policy plug-in: ");
    remove(junk);
#else
    fprintf(stderr, "plug-in paths not configured: plug-in tests skipped\n");
#endif
}

int main(void)
{
    test_builtins();
    test_specs();
    test_plugins();
    return vmr_test_done();
}
