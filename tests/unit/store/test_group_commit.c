/* src/store: group commit. One fsync serves the commits written before it began and
 * never one written after; its end wakes only the waiters it covered and the next
 * leader; under a storm of threads every waiter returns after its own sync; a failed sync is reported and the next waiter syncs
 * again; every SQLite commit goes through the group (also an UPDATE ... RETURNING
 * finalized early); and SIGKILL in the middle of concurrent batches loses no
 * acknowledged commit and leaves each writer's commits without a gap, deferred
 * commits included. */
#include "store_fixture.h"
#include "store/group_sync.h"

#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>


/* ---- the protocol, with a sync that blocks until the test opens the gate ---- */

typedef struct gate {
    atomic_int inside; /* syncs entered */
    atomic_int open;   /* every sync may end */
    atomic_int passed; /* or only the first `passed` of them */
    int result;
} gate;

static int gated_sync(void *ctx)
{
    gate *g = ctx;
    int n = atomic_fetch_add(&g->inside, 1) + 1;
    while (!atomic_load(&g->open) && atomic_load(&g->passed) < n)
        sched_yield();
    return g->result;
}

typedef struct waiter {
    group_sync *group;
    gate *gate;
    int rc;
    pthread_t thread;
} waiter;

static void *wait_thread(void *arg)
{
    waiter *w = arg;
    w->rc = group_sync_wait(w->group, gated_sync, w->gate);
    return NULL;
}

static void start(waiter *w, group_sync *g, gate *gt)
{
    w->group = g;
    w->gate = gt;
    w->rc = -99;
    assert_int_equal(pthread_create(&w->thread, NULL, wait_thread, w), 0);
}

/* Join a waiter: its wait returned rc. */
static void joined(waiter *w, int rc)
{
    pthread_join(w->thread, NULL);
    assert_int_equal(w->rc, rc);
}

/* The group counted this many commits and syncs. */
static void expect_stats(group_sync *g, uint64_t commits, uint64_t syncs)
{
    uint64_t c = 0, n = 0;
    group_sync_stats(g, &c, &n);
    assert_int_equal(c, commits);
    assert_int_equal(n, syncs);
}

static void until_waiting(group_sync *g, unsigned n)
{
    while (group_sync_waiting(g) < n)
        sched_yield();
}

static void test_sync_covers_only_earlier_commits(void **state)
{
    group_sync *g = group_sync_get("test-protocol");
    gate gt = { 0 };
    waiter a, b, c;
    assert_non_null(g);

    start(&a, g, &gt); /* leads a sync, held at the gate */
    while (atomic_load(&gt.inside) < 1)
        sched_yield();
    start(&b, g, &gt); /* written after that sync began: must wait for the next */
    start(&c, g, &gt);
    until_waiting(g, 2);
    atomic_store(&gt.open, 1);
    joined(&a, 0);
    joined(&b, 0);
    joined(&c, 0);
    expect_stats(g, 3, 2); /* a's own, then one shared by b and c */
    assert_int_equal(atomic_load(&gt.inside), 2);
    group_sync_put(g);
}

static void test_failed_sync_reported_then_retried(void **state)
{
    group_sync *g = group_sync_get("test-failure");
    gate gt = { .result = 5 };
    waiter a, b;

    start(&a, g, &gt);
    while (atomic_load(&gt.inside) < 1)
        sched_yield();
    start(&b, g, &gt);
    until_waiting(g, 1);
    atomic_store(&gt.open, 1);
    /* Both syncs fail: each thread hears of the one it led; none is told "durable". */
    joined(&a, 5);
    joined(&b, 5);
    expect_stats(g, 2, 2);
    group_sync_put(g);
}

/* The end of a sync wakes the waiters it covered and one waiter of the next round,
 * who leads that round; the other waiters of the next round sleep until it ends. With
 * a wake-up for all, one of b and c would wake only to sleep again. */
static void test_wakes_only_the_next_leader(void **state)
{
    group_sync *g = group_sync_get("test-wakeups");
    gate gt = { 0 };
    waiter a, b, c;

    start(&a, g, &gt); /* leads the first sync */
    while (atomic_load(&gt.inside) < 1)
        sched_yield();
    start(&b, g, &gt);
    start(&c, g, &gt);
    until_waiting(g, 2);
    atomic_store(&gt.passed, 1); /* the first sync ends, the second is held */
    joined(&a, 0);
    while (atomic_load(&gt.inside) < 2) /* b or c leads the second */
        sched_yield();
    until_waiting(g, 1); /* and the other sleeps on */
    assert_int_equal(group_sync_futile_wakeups(g), 0);
    atomic_store(&gt.open, 1);
    joined(&b, 0);
    joined(&c, 0);
    expect_stats(g, 3, 2);
    assert_int_equal(group_sync_futile_wakeups(g), 0);
    group_sync_put(g);
}

/* Many threads, many commits: each waiter returns only after a sync that began after
 * its write (the sync notes how many writes it covers when it begins), and none is
 * left behind (every thread is joined). */
typedef struct storm {
    group_sync *group;
    atomic_ullong writes;  /* commits written (each before its wait) */
    atomic_ullong durable; /* writes covered by the newest finished sync */
    atomic_int early;      /* waiters that returned before their write was covered */
} storm;

#define STORM_THREADS 8
#define STORM_COMMITS 400

static int storm_sync(void *ctx)
{
    storm *st = ctx;
    unsigned long long covered = atomic_load(&st->writes);
    sched_yield(); /* let writes pile up behind this sync */
    unsigned long long d = atomic_load(&st->durable);
    while (d < covered && !atomic_compare_exchange_weak(&st->durable, &d, covered))
        ;
    return 0;
}

static void *storm_thread(void *arg)
{
    storm *st = arg;
    for (int i = 0; i < STORM_COMMITS; i++) {
        unsigned long long mine = atomic_fetch_add(&st->writes, 1) + 1;
        if (group_sync_wait(st->group, storm_sync, st) != 0 || atomic_load(&st->durable) < mine)
            atomic_fetch_add(&st->early, 1);
    }
    return NULL;
}

static void test_every_waiter_returns_after_its_sync(void **state)
{
    storm st = { .group = group_sync_get("test-storm") };
    pthread_t th[STORM_THREADS];
    uint64_t commits = 0, syncs = 0;

    for (int i = 0; i < STORM_THREADS; i++)
        assert_int_equal(pthread_create(&th[i], NULL, storm_thread, &st), 0);
    for (int i = 0; i < STORM_THREADS; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(atomic_load(&st.early), 0);
    group_sync_stats(st.group, &commits, &syncs);
    assert_int_equal(commits, STORM_THREADS * STORM_COMMITS);
    assert_true(syncs >= 1 && syncs <= commits);
    assert_int_equal(atomic_load(&st.durable), STORM_THREADS * STORM_COMMITS);
    assert_int_equal(group_sync_waiting(st.group), 0);
    group_sync_put(st.group);
}

/* ---- on SQLite ---- */

static group_sync *file_group(void)
{
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/test.db", g_dir);
    return group_sync_get(path);
}

static void run_sql(mobid_store *s, const char *sql)
{
    assert_int_equal(mobid_store_exec(s, sql), MOBID_OK);
}

static mobid_err insert_row(mobid_store *s, int64_t writer, int64_t seq)
{
    const int64_t v[] = { writer, seq };
    return store_write(s, "INSERT INTO gc_rows (writer, seq) VALUES ($1, $2)", v, 2);
}

static void test_every_commit_goes_through_the_group(void **state)
{
    mobid_store *s = NULL;
    mobid_store_stmt *st = NULL;
    uint64_t c0 = 0, c1 = 0, s0 = 0, s1 = 0;
    bool row = false;
    assert_int_equal(mobid_store_open(g_url, &s), MOBID_OK);
    run_sql(s, "DROP TABLE IF EXISTS gc_rows;"
               "CREATE TABLE gc_rows (writer BIGINT NOT NULL, seq BIGINT NOT NULL,"
               " PRIMARY KEY (writer, seq))");
    group_sync *g = file_group(); /* the connection's own group: same file */
    group_sync_stats(g, &c0, &s0);
    assert_int_equal(insert_row(s, 0, 1), MOBID_OK);
    /* Finalized after its first row: SQLite commits in finalize, without a WAL hook. */
    assert_int_equal(mobid_store_prepare(s, "UPDATE gc_rows SET seq = 2 WHERE writer = 0"
                                            " RETURNING seq", &st), MOBID_OK);
    assert_int_equal(mobid_store_step(st, &row), MOBID_OK);
    assert_true(row);
    mobid_store_finalize(st);
    int64_t n = 0; /* a read commits nothing */
    assert_int_equal(mobid_store_query_int64(s, "SELECT count(*) FROM gc_rows", &n, NULL), MOBID_OK);
    group_sync_stats(g, &c1, &s1);
    assert_int_equal(c1 - c0, 2);
    assert_int_equal(s1 - s0, 2);
    group_sync_put(g);
    mobid_store_close(s);
}

#define WRITERS 8

/* Set before the fork: the writers defer their commits (mobid_store_defer_commit). */
static bool g_defer_writes;

typedef struct ack {
    int64_t writer, seq;
} ack;

static void *write_forever(void *arg)
{
    int64_t writer = (int64_t)(intptr_t)arg >> 8;
    int fd = (int)((intptr_t)arg & 0xff);
    mobid_store *s = NULL;
    if (mobid_store_open(g_url, &s) != MOBID_OK)
        _exit(3);
    for (int64_t seq = 1;; seq++) {
        ack a = { writer, seq };
        if (g_defer_writes && mobid_store_defer_commit(s) != MOBID_OK)
            _exit(8);
        if (insert_row(s, writer, seq) != MOBID_OK)
            _exit(4);
        if (write(fd, &a, sizeof a) != sizeof a) /* one write: atomic on a pipe */
            _exit(5);
    }
    return NULL;
}

static void writers(int fd)
{
    pthread_t t[WRITERS];
    for (intptr_t w = 0; w < WRITERS; w++)
        if (pthread_create(&t[w], NULL, write_forever, (void *)((w + 1) << 8 | fd)))
            _exit(6);
    pthread_join(t[0], NULL);
    _exit(7);
}

static void sigkill_mid_batch(bool defer)
{
    mobid_store *s = NULL;
    int64_t acked[WRITERS + 1] = { 0 };
    int fds[2];
    ack a;
    assert_int_equal(mobid_store_open(g_url, &s), MOBID_OK);
    run_sql(s, "DROP TABLE IF EXISTS gc_rows;"
               "CREATE TABLE gc_rows (writer BIGINT NOT NULL, seq BIGINT NOT NULL,"
               " PRIMARY KEY (writer, seq))");
    mobid_store_close(s);
    assert_int_equal(pipe(fds), 0);
    assert_true(fds[1] < 256);
    g_defer_writes = defer;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        writers(fds[1]);
    }
    close(fds[1]);
    /* Let the writers commit a few hundred times (however slow the machine is), kill
     * them mid-stream, then read the acknowledgements still in the pipe. A child that
     * dies early ends the pipe and fails the checks below. */
    int total = 0;
    bool killed = false;
    while (read(fds[0], &a, sizeof a) == sizeof a) {
        assert_true(a.writer >= 1 && a.writer <= WRITERS);
        if (a.seq > acked[a.writer])
            acked[a.writer] = a.seq;
        if (++total == 300) {
            kill(pid, SIGKILL);
            killed = true;
        }
    }
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    assert_true(killed && WIFSIGNALED(status));

    assert_int_equal(mobid_store_open(g_url, &s), MOBID_OK);
    for (int w = 1; w <= WRITERS; w++) {
        char sql[160];
        int64_t n = 0, max = 0;
        snprintf(sql, sizeof sql, "SELECT count(*) FROM gc_rows WHERE writer = %d", w);
        assert_int_equal(mobid_store_query_int64(s, sql, &n, NULL), MOBID_OK);
        snprintf(sql, sizeof sql, "SELECT coalesce(max(seq), 0) FROM gc_rows WHERE writer = %d", w);
        assert_int_equal(mobid_store_query_int64(s, sql, &max, NULL), MOBID_OK);
        /* Every acknowledged commit is there, at most the one in flight more, and
         * none is missing below the last one (commit order kept). */
        assert_true(max >= acked[w] && max <= acked[w] + 1);
        assert_int_equal(n, max);
    }
    mobid_store_stmt *st = NULL;
    bool row = false;
    assert_int_equal(mobid_store_prepare(s, "PRAGMA integrity_check", &st), MOBID_OK);
    assert_int_equal(mobid_store_step(st, &row), MOBID_OK);
    assert_true(mobid_view_eq_str(mobid_store_col_text(st, 0), "ok"));
    mobid_store_finalize(st);
    mobid_store_close(s);
    print_message("%d commits acknowledged before SIGKILL\n", total);
}

static void test_sigkill_mid_batch(void **state)
{
    sigkill_mid_batch(false);
}

/* A deferred commit is in the WAL before the statement returns: SIGKILL of the process
 * cannot lose it (only a power loss could, before a later sync). */
static void test_sigkill_mid_batch_deferred(void **state)
{
    sigkill_mid_batch(true);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sync_covers_only_earlier_commits),
        cmocka_unit_test(test_failed_sync_reported_then_retried),
        cmocka_unit_test(test_wakes_only_the_next_leader),
        cmocka_unit_test(test_every_waiter_returns_after_its_sync),
        cmocka_unit_test(test_every_commit_goes_through_the_group),
        cmocka_unit_test(test_sigkill_mid_batch),
        cmocka_unit_test(test_sigkill_mid_batch_deferred),
    };
    return STORE_RUN_GROUP("group commit", tests, false);
}
