/*
 * `mobid bench store [--db URL] [--n N] [--json]`: durable write transactions per
 * second through src/store — the cost every issuance and verification state change
 * pays. Three loads: a plain INSERT per transaction, a unique random-index claim per
 * transaction (the status-list allocation pattern), and single-use consumption
 * (UPDATE ... WHERE used IS NULL). Default database: a fresh SQLite file in /tmp
 * (WAL, synchronous=FULL); --db postgres://... for PostgreSQL (e.g. the URL that
 * scripts/pg-test prints).
 */
#include "bench.h"
#include "cli/cli.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct load {
    int64_t i;
    uint64_t rng;
} load;

static mobid_err insert_one(mobid_store *s, void *ctx)
{
    load *l = ctx;
    mobid_store_stmt *st = NULL;
    bool row = false;
    mobid_err err = mobid_store_prepare(s, "INSERT INTO bench_items (id, body) VALUES ($1, $2)", &st);
    if (err == MOBID_OK)
        err = mobid_store_bind_int64(st, 1, l->i);
    if (err == MOBID_OK)
        err = mobid_store_bind_str(st, 2, "{\"doctype\":\"org.iso.18013.5.1.mDL\",\"status\":0}");
    if (err == MOBID_OK)
        err = mobid_store_step(st, &row);
    mobid_store_finalize(st);
    return err;
}

static mobid_err bind_random(mobid_store_stmt *st, unsigned attempt, void *ctx)
{
    load *l = ctx;
    l->rng = l->rng * 6364136223846793005ull + 1442695040888963407ull;
    return mobid_store_bind_int64(st, 1, (int64_t)((l->rng >> 33) % 10000000));
}

static mobid_err claim_one(mobid_store *s, void *ctx)
{
    return mobid_store_claim(s, "INSERT INTO bench_alloc (idx) VALUES ($1) ON CONFLICT DO NOTHING",
                             64, bind_random, ctx);
}

static mobid_err consume_one(mobid_store *s, void *ctx)
{
    load *l = ctx;
    mobid_store_stmt *st = NULL;
    bool row = false;
    mobid_err err = mobid_store_prepare(s, "UPDATE bench_items SET used = 1 WHERE id = $1 AND used IS NULL", &st);
    if (err == MOBID_OK)
        err = mobid_store_bind_int64(st, 1, l->i);
    if (err == MOBID_OK)
        err = mobid_store_step(st, &row);
    if (err == MOBID_OK && mobid_store_changes(st) != 1)
        err = MOBID_SVC_ERR_STORE_CONFLICT;
    mobid_store_finalize(st);
    return err;
}

/* Run fn n times, each in its own transaction; returns transactions per second. */
static double run(mobid_store *s, mobid_store_tx_fn fn, int n, mobid_err *err)
{
    load l = { 0, 42 };
    double t0 = bench_now();
    for (l.i = 0; l.i < n && *err == MOBID_OK; l.i++)
        *err = mobid_store_tx(s, 0, fn, &l);
    return n / (bench_now() - t0);
}

static int run_bench_store(int argc, char **argv)
{
    const char *db = NULL;
    bool json = false;
    int n = 2000;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: mobid bench store [--db URL] [--n N] [--json]\n");
            return CLI_EXIT_OK;
        } else if (!strcmp(argv[i], "--json"))
            json = true;
        else if (!strcmp(argv[i], "--db") && i + 1 < argc)
            db = argv[++i];
        else if (!strcmp(argv[i], "--n") && i + 1 < argc)
            n = atoi(argv[++i]);
        else
            return cli_usage_error("usage: mobid bench store [--db URL] [--n N] [--json]\n",
                                   "unknown option %s", argv[i]);
    }
    char tmp[] = "/tmp/mobid-bench-store-XXXXXX", url[600];
    if (!db || !*db) {
        if (!mkdtemp(tmp))
            return CLI_EXIT_FAIL;
        snprintf(url, sizeof url, "sqlite:%s/bench.db", tmp);
        db = url;
    }
    mobid_store *s = NULL;
    mobid_err err = mobid_store_open(db, &s);
    const char *blob = s && mobid_store_kind(s) == MOBID_STORE_POSTGRES ? "BYTEA" : "BLOB";
    char ddl[400];
    snprintf(ddl, sizeof ddl,
             "DROP TABLE IF EXISTS bench_items; DROP TABLE IF EXISTS bench_alloc;"
             "CREATE TABLE bench_items (id BIGINT PRIMARY KEY, body TEXT, used INTEGER, pad %s);"
             "CREATE TABLE bench_alloc (idx BIGINT NOT NULL UNIQUE)", blob);
    if (err == MOBID_OK)
        err = mobid_store_exec(s, ddl);
    double ins = 0, claim = 0, use = 0;
    if (err == MOBID_OK)
        ins = run(s, insert_one, n, &err);
    if (err == MOBID_OK)
        claim = run(s, claim_one, n, &err);
    if (err == MOBID_OK)
        use = run(s, consume_one, n, &err);
    const char *kind = s && mobid_store_kind(s) == MOBID_STORE_POSTGRES ? "postgres" : "sqlite";
    if (err != MOBID_OK)
        fprintf(stderr, "mobid bench store: %s: %s\n", mobid_err_name(err), mobid_store_errmsg(s));
    if (s)
        (void)mobid_store_exec(s, "DROP TABLE IF EXISTS bench_items; DROP TABLE IF EXISTS bench_alloc");
    mobid_store_close(s);
    if (db == url) {
        snprintf(url, sizeof url, "rm -rf '%s'", tmp);
        if (system(url) != 0)
            fprintf(stderr, "mobid bench store: could not remove %s\n", tmp);
    }
    if (err != MOBID_OK)
        return CLI_EXIT_FAIL;
    if (json) {
        json_t *o = json_pack("{s:s,s:s,s:i,s:f,s:f,s:f}", "bench", "store", "backend", kind,
                              "transactions", n, "insert_tx_per_s", ins, "claim_tx_per_s", claim,
                              "consume_tx_per_s", use);
        cli_print_json(o);
        json_decref(o);
    } else {
        printf("store (%s, %d durable transactions each, one connection)\n", kind, n);
        printf("  insert            %8.0f tx/s\n  unique claim      %8.0f tx/s\n"
               "  single-use claim  %8.0f tx/s\n", ins, claim, use);
    }
    return CLI_EXIT_OK;
}

MOBID_BENCH(store, "store", "durable transactions per second (SQLite, or PostgreSQL with --db)",
            run_bench_store)
