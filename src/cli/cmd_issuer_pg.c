/*
 * `mobid issuer backup|restore` on PostgreSQL, through PostgreSQL's own tools: pg_dump
 * (custom format) writes the backup and pg_restore reads it, so a backup is an
 * ordinary PostgreSQL archive that any PostgreSQL tooling can open.
 *
 * Consistency: the backup runs pg_dump with the snapshot of the transaction in which
 * mobid counts the cards and verifies the audit chain (pg_export_snapshot), so the
 * facts printed are those of exactly the data in the file. The restore goes into an
 * empty database only, in one transaction (pg_restore --single-transaction), so a
 * failing archive leaves nothing behind. The tools are found on PATH.
 */
#include "cli.h"
#include "cmd_issuer.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/store.h"

extern char **environ;

/* Run argv (argv[0] found on PATH), wait, and tell whether it exited 0. */
static mobid_err run_tool(char *const argv[])
{
    pid_t pid;
    int status = 0;
    int rc = posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ);
    if (rc != 0) {
        fprintf(stderr, "issuer: cannot run %s: %s (PostgreSQL's client tools on PATH)\n",
                argv[0], strerror(rc));
        return MOBID_ERR_IO;
    }
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "issuer: %s failed (exit %d)\n", argv[0],
                WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        return MOBID_ERR_IO;
    }
    return MOBID_OK;
}

typedef struct dump_run {
    const char *url, *out;
    issuer_copy_facts *f;
    char *detail;
    size_t detail_len;
} dump_run;

static mobid_err dump_body(mobid_store *s, void *arg)
{
    dump_run *r = arg;
    mobid_store_stmt *st = NULL;
    bool row = false;
    char snap[128] = "", opt_snap[160], opt_file[4200], opt_db[4200];
    mobid_err err = mobid_store_prepare(s, "SELECT pg_export_snapshot()", &st);
    if (err == MOBID_OK && (err = mobid_store_step(st, &row)) == MOBID_OK && row) {
        mobid_view v = mobid_store_col_text(st, 0);
        snprintf(snap, sizeof snap, "%.*s", (int)(v.len < 100 ? v.len : 100), (const char *)v.ptr);
    }
    mobid_store_finalize(st);
    if (err == MOBID_OK)
        err = issuer_copy_facts_read(s, r->f, r->detail, r->detail_len);
    snprintf(opt_snap, sizeof opt_snap, "--snapshot=%s", snap);
    snprintf(opt_file, sizeof opt_file, "--file=%s", r->out);
    snprintf(opt_db, sizeof opt_db, "--dbname=%s", r->url);
    char *argv[] = { "pg_dump", "--format=custom", opt_snap, opt_file, opt_db, NULL };
    if (err == MOBID_OK && !*snap)
        err = MOBID_SVC_ERR_STORE;
    if (err == MOBID_OK && (err = run_tool(argv)) != MOBID_OK)
        mobid_svc_detail(r->detail, r->detail_len, "pg_dump failed (its message is above)");
    return err;
}

mobid_err cli_issuer_pg_backup(const char *url, const char *out, issuer_copy_facts *f,
                               char *detail, size_t detail_len)
{
    mobid_store *s = NULL;
    dump_run r = { url, out, f, detail, detail_len };
    if (strlen(url) > 4000 || strlen(out) > 4000)
        return MOBID_ERR_INVALID_ARG;
    /* made here, 0600 and new: pg_dump then writes into it */
    int fd = open(out, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0) {
        mobid_svc_detail(detail, detail_len, "cannot create the backup file (it must not exist)");
        return MOBID_ERR_IO;
    }
    close(fd);
    mobid_err err = mobid_store_open(url, &s);
    /* once: a second run would dump again into the file the first one wrote */
    if (err == MOBID_OK)
        err = mobid_store_tx(s, 1, dump_body, &r);
    mobid_store_close(s);
    if (err != MOBID_OK)
        unlink(out);
    return err;
}

mobid_err cli_issuer_pg_restore(const char *url, const char *from, char *detail, size_t detail_len)
{
    mobid_store *s = NULL;
    int64_t tables = 0;
    char opt_db[4200];
    if (strlen(url) > 4000)
        return MOBID_ERR_INVALID_ARG;
    mobid_err err = mobid_store_open(url, &s);
    if (err == MOBID_OK)
        err = mobid_store_query_int64(s, "SELECT count(*) FROM information_schema.tables"
                                         " WHERE table_schema = current_schema()", &tables,
                                      NULL);
    mobid_store_close(s);
    if (err == MOBID_OK && tables > 0) {
        mobid_svc_detail(detail, detail_len,
                         "the database is not empty: restore into a new one (createdb, "
                         "docs/operations.md)");
        return MOBID_SVC_ERR_STORE_CONFLICT;
    }
    snprintf(opt_db, sizeof opt_db, "--dbname=%s", url);
    char *argv[] = { "pg_restore", "--no-owner", "--single-transaction", "--exit-on-error",
                     opt_db, (char *)from, NULL };
    if (err == MOBID_OK && (err = run_tool(argv)) != MOBID_OK)
        mobid_svc_detail(detail, detail_len,
                         "pg_restore failed (its message is above); nothing was written");
    return err;
}
