/* src/store: a writer killed with SIGKILL loses nothing it reported committed, and
 * leaves no half-written transaction (each one inserts two rows that must pair up).
 * Runs on SQLite always and on PostgreSQL when MOBID_PG_URL is set. */
#include "store_fixture.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static mobid_err insert_pair(mobid_store *s, void *ctx)
{
    return store_write(s, "INSERT INTO crash_rows (id, part) VALUES ($1, 1), ($1, 2)", ctx, 1);
}

/* The child: commit pairs forever, reporting each id on fd after its COMMIT. */
static void writer(int fd)
{
    mobid_store *s = NULL;
    if (mobid_store_open(g_url, &s) != MOBID_OK)
        _exit(3);
    for (int64_t id = 1;; id++) {
        if (mobid_store_tx(s, 0, insert_pair, &id) != MOBID_OK)
            _exit(4);
        if (write(fd, &id, sizeof id) != sizeof id)
            _exit(5);
    }
}

static void test_sigkill_during_writes(void **state)
{
    mobid_store *s = NULL;
    assert_int_equal(mobid_store_open(g_url, &s), MOBID_OK);
    assert_int_equal(mobid_store_exec(s, "DROP TABLE IF EXISTS crash_rows;"
                                         "CREATE TABLE crash_rows (id BIGINT NOT NULL, part INTEGER NOT NULL,"
                                         " PRIMARY KEY (id, part))"),
                     MOBID_OK);
    mobid_store_close(s);

    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        writer(fds[1]);
    }
    close(fds[1]);
    /* Let it commit a few transactions (however slow the machine is), then kill it
     * mid-stream. A writer that dies early ends the pipe and fails the checks below. */
    int64_t acked = 0, id;
    while (acked < 20 && read(fds[0], &id, sizeof id) == sizeof id)
        acked = id;
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    assert_true(WIFSIGNALED(status));
    while (read(fds[0], &id, sizeof id) == sizeof id)
        acked = id;
    close(fds[0]);
    print_message("writer acknowledged %lld transactions before SIGKILL\n", (long long)acked);
    assert_true(acked > 0);

    assert_int_equal(mobid_store_open(g_url, &s), MOBID_OK);
    int64_t n = 0, max = 0, unpaired = -1;
    assert_int_equal(mobid_store_query_int64(s, "SELECT count(*) FROM crash_rows", &n, NULL), MOBID_OK);
    assert_int_equal(mobid_store_query_int64(s, "SELECT max(id) FROM crash_rows", &max, NULL), MOBID_OK);
    assert_int_equal(mobid_store_query_int64(s,
                         "SELECT count(*) FROM (SELECT id FROM crash_rows GROUP BY id HAVING count(*) <> 2) t",
                         &unpaired, NULL), MOBID_OK);
    /* Every acknowledged transaction is there, whole; at most the one in flight more. */
    assert_true(max >= acked && max <= acked + 1);
    assert_int_equal(n, 2 * max);
    assert_int_equal(unpaired, 0);
    if (mobid_store_kind(s) == MOBID_STORE_SQLITE) {
        mobid_store_stmt *st = NULL;
        bool row = false;
        assert_int_equal(mobid_store_prepare(s, "PRAGMA integrity_check", &st), MOBID_OK);
        assert_int_equal(mobid_store_step(st, &row), MOBID_OK);
        assert_true(mobid_view_eq_str(mobid_store_col_text(st, 0), "ok"));
        mobid_store_finalize(st);
    }
    assert_int_equal(mobid_store_exec(s, "DROP TABLE crash_rows"), MOBID_OK);
    mobid_store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = { cmocka_unit_test(test_sigkill_during_writes) };
    return STORE_RUN_GROUP("crash", tests, true);
}
