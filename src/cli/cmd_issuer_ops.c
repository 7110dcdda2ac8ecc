/*
 * `mobid issuer backup|restore` and `mobid issuer audit verify|checkpoint`: the
 * operator's custody tools for the issuer database (docs/operations.md).
 *
 * A backup is SQLite's online backup of the whole database into one file. Before a
 * restore overwrites anything, and after a backup is written, the copy is checked in a
 * scratch database: its audit chain must verify. On PostgreSQL, pg_dump and pg_restore
 * do the copying (cmd_issuer_pg.c). A restore then closes every status list for new
 * indices (cards issued after the backup may hold indices the restored database thinks
 * free) and records itself in the audit log.
 */
#include "cli.h"
#include "cmd_issuer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mobid/jose.h>

#include "cli_trust.h"
#include "services/issuer/issuer.h"

static const char USAGE[] =
    "usage: mobid issuer backup --db URL --out FILE [--json]\n"
    "       mobid issuer restore --db URL --from FILE [--json]\n"
    "       mobid issuer audit verify --db URL [--checkpoint FILE (--trust IACA.pem |\n"
    "                          --config FILE)] [--json]\n"
    "       mobid issuer audit checkpoint --db URL --config FILE [--out FILE] [--json]\n"
    "\n"
    "backup: an online, consistent copy of the issuer's database into FILE (which must\n"
    "not exist; made 0600) while the service runs; the copy's audit chain is checked.\n"
    "SQLite: the online backup API, checked in a scratch copy. PostgreSQL: pg_dump\n"
    "--format=custom (on PATH) of the very snapshot in which the chain is checked.\n"
    "restore: replaces the database with a backup (stop the service first). SQLite: the\n"
    "backup is checked before anything is written. PostgreSQL: pg_restore into an empty\n"
    "database (createdb first), in one transaction. Afterwards every status list is\n"
    "closed to new cards, the restore is recorded in the audit log and the chain checked.\n"
    "audit verify: checks the hash chain of the audit log (exit 1 when broken); with\n"
    "--checkpoint, also that the first N entries are those the signed checkpoint names\n"
    "(signature chained to the IACA of --trust, or of the configuration's pki_dir).\n"
    "audit checkpoint: signs a checkpoint of the chain now (the service publishes one at\n"
    "GET /audit/checkpoint) and prints it, or writes it to --out.\n";

typedef struct ops_args {
    const char *db, *out, *from, *checkpoint, *trust, *config;
    bool json;
} ops_args;

static int parse(int argc, char **argv, ops_args *a)
{
    const cli_opt opts[] = { CLI_VALUE("db", &a->db),         CLI_VALUE("out", &a->out),
                             CLI_VALUE("from", &a->from),     CLI_VALUE("checkpoint", &a->checkpoint),
                             CLI_VALUE("trust", &a->trust),   CLI_VALUE("config", &a->config),
                             CLI_FLAG("json", &a->json), CLI_END };
    return cli_parse(argc, argv, opts, 0, USAGE);
}

/* sqlite:PATH -> PATH, or NULL for another backend. */
static const char *sqlite_path(const char *url)
{
    return url && !strncmp(url, "sqlite:", 7) ? url + 7 : NULL;
}

static void unlink_db(const char *path)
{
    static const char *const sides[] = { "", "-wal", "-shm" };
    char side[4200];
    for (size_t i = 0; i < 3; i++)
        if ((size_t)snprintf(side, sizeof side, "%s%s", path, sides[i]) < sizeof side)
            unlink(side);
}

mobid_err issuer_copy_facts_read(mobid_store *s, issuer_copy_facts *f,
                                 char *detail, size_t detail_len)
{
    mobid_err err = issuer_audit_verify_at(s, 0, NULL, &f->entries, &f->bad_seq);
    if (err != MOBID_OK)
        mobid_svc_detail(detail, detail_len, "the backup's audit chain does not verify");
    if (err == MOBID_OK)
        err = mobid_store_query_int64(s, "SELECT count(*) FROM issuer_cards", &f->cards, NULL);
    if (err == MOBID_OK)
        err = mobid_store_query_int64(s, "SELECT seq FROM issuer_audit_head WHERE id = 1",
                                      &f->entries, NULL);
    mobid_store_stmt *st = NULL;
    bool row = false;
    if (err == MOBID_OK)
        err = mobid_store_prepare(s, "SELECT hash FROM issuer_audit_head WHERE id = 1", &st);
    if (err == MOBID_OK && (err = mobid_store_step(st, &row)) == MOBID_OK && row) {
        mobid_view h = mobid_store_col_text(st, 0);
        snprintf(f->head, sizeof f->head, "%.*s", (int)h.len, (const char *)h.ptr);
    }
    mobid_store_finalize(st);
    return err;
}

/* Load the backup file into a scratch database beside it (the file itself stays as
 * written) and verify its audit chain there. */
static mobid_err check_copy(const char *file, issuer_copy_facts *f, char *detail, size_t detail_len)
{
    char scratch[4096], url[4200];
    if (strlen(file) > 4000)
        return MOBID_ERR_INVALID_ARG;
    mobid_store *s = NULL;
    mobid_err err;

    memset(f, 0, sizeof *f);
    snprintf(scratch, sizeof scratch, "%s.check-%ld", file, (long)getpid());
    snprintf(url, sizeof url, "sqlite:%s", scratch);
    unlink_db(scratch);
    err = mobid_store_open(url, &s);
    if (err == MOBID_OK && (err = mobid_store_restore(s, file)) != MOBID_OK)
        mobid_svc_detail(detail, detail_len, "the backup is not a readable SQLite database");
    if (err == MOBID_OK)
        err = issuer_copy_facts_read(s, f, detail, detail_len);
    mobid_store_close(s);
    unlink_db(scratch);
    return err;
}

static int print_facts(const char *key, const char *file, const issuer_copy_facts *f)
{
    struct stat sb;
    json_t *j = json_pack("{s:b, s:s, s:I, s:I, s:s, s:I}", "valid", 1, key, file, "bytes",
                          (json_int_t)(stat(file, &sb) == 0 ? sb.st_size : 0), "audit_entries",
                          (json_int_t)f->entries, "audit_head", f->head, "cards",
                          (json_int_t)f->cards);
    cli_print_json(j);
    json_decref(j);
    return CLI_EXIT_OK;
}

/* SQLite's online backup API into out, then the copy checked in a scratch database. */
static mobid_err sqlite_backup(const char *db, const char *out, issuer_copy_facts *f,
                               char *detail, size_t detail_len)
{
    mobid_store *s = NULL;
    mobid_err err = mobid_store_open(db, &s);
    if (err == MOBID_OK && (err = mobid_store_backup(s, out)) != MOBID_OK)
        fprintf(stderr, "issuer backup: %s\n", mobid_store_errmsg(s));
    mobid_store_close(s);
    if (err == MOBID_OK && (err = check_copy(out, f, detail, detail_len)) != MOBID_OK)
        unlink(out);
    return err;
}

static int backup_cmd(const ops_args *a)
{
    issuer_copy_facts f = { 0 };
    char detail[MOBID_SVC_DETAIL_MAX] = "backup failed";
    mobid_err err;

    if (!a->db || !a->out)
        return cli_usage_error(USAGE, "backup needs --db and --out");
    err = sqlite_path(a->db) ? sqlite_backup(a->db, a->out, &f, detail, sizeof detail)
                             : cli_issuer_pg_backup(a->db, a->out, &f, detail, sizeof detail);
    if (err != MOBID_OK)
        return cli_fail(a->json, err, detail);
    fprintf(stderr, "issuer: backup written to %s (%lld audit entries, %lld cards)\n", a->out,
            (long long)f.entries, (long long)f.cards);
    return print_facts("backup", a->out, &f);
}

/* After the pages are back: no status index handed out after the backup may be given
 * again, so every list is closed (new cards open a new one) and re-signed from the
 * restored entries; the restore itself is the next audit entry. */
typedef struct restore_run {
    const char *from;
    const issuer_copy_facts *f;
} restore_run;

static mobid_err restore_body(mobid_store *s, void *arg)
{
    restore_run *r = arg;
    char detail[512];
    json_t *d = json_pack("{s:s, s:I, s:s}", "from", r->from, "audit_entries",
                          (json_int_t)r->f->entries, "audit_head", r->f->head);
    char *text = d ? json_dumps(d, JSON_COMPACT) : NULL;
    mobid_err err = text ? MOBID_OK : MOBID_ERR_NOMEM;

    snprintf(detail, sizeof detail, "%s", text ? text : "{}");
    if (err == MOBID_OK)
        err = mobid_store_exec(s, "UPDATE issuer_status_lists SET allocated = size, dirty = 1");
    if (err == MOBID_OK)
        err = issuer_audit_append(NULL, s, "operator", "db.restore", "", detail);
    free(text);
    json_decref(d);
    return err;
}

static int restore_cmd(const ops_args *a)
{
    mobid_store *s = NULL;
    issuer_copy_facts f = { 0 };
    char detail[MOBID_SVC_DETAIL_MAX] = "restore failed";
    int64_t checked = 0, bad = 0;
    restore_run r = { a->from, &f };
    mobid_err err;

    if (!a->db || !a->from)
        return cli_usage_error(USAGE, "restore needs --db and --from");
    if (sqlite_path(a->db)) {
        err = check_copy(a->from, &f, detail, sizeof detail);
        if (err == MOBID_OK && (err = mobid_store_open(a->db, &s)) == MOBID_OK &&
            (err = mobid_store_restore(s, a->from)) != MOBID_OK)
            fprintf(stderr, "issuer restore: %s\n", mobid_store_errmsg(s));
    } else if ((err = cli_issuer_pg_restore(a->db, a->from, detail, sizeof detail)) == MOBID_OK &&
               (err = mobid_store_open(a->db, &s)) == MOBID_OK) {
        /* the facts of what came back, before the restore's own entry */
        err = issuer_copy_facts_read(s, &f, detail, sizeof detail);
    }
    if (err == MOBID_OK) err = issuer_schema_migrate(s);
    if (err == MOBID_OK) err = mobid_store_tx(s, 0, restore_body, &r);
    if (err == MOBID_OK && (err = issuer_audit_verify(s, &checked, &bad)) != MOBID_OK)
        mobid_svc_detail(detail, sizeof detail, "the restored audit chain does not verify");
    mobid_store_close(s);
    if (err != MOBID_OK)
        return cli_fail(a->json, err, detail);
    fprintf(stderr, "issuer: restored %s (%lld audit entries, %lld cards)\n", a->from,
            (long long)f.entries, (long long)f.cards);
    f.entries = checked;
    return print_facts("restored", a->from, &f);
}

typedef struct checkpoint_claims {
    int64_t seq, iat;
    char head[65];
} checkpoint_claims;

/* The trust anchors for a checkpoint: --trust, or the configuration's IACA. */
static mobid_err checkpoint_trust(const ops_args *a, mobid_trust **out)
{
    issuer_config cfg;
    char path[4096];
    const char *p = a->trust;
    mobid_err err = MOBID_OK;

    memset(&cfg, 0, sizeof cfg);
    if (!p && (err = issuer_config_load(a->config, &cfg)) == MOBID_OK) {
        snprintf(path, sizeof path, "%s/iaca.pem", cfg.pki_dir ? cfg.pki_dir : ".");
        p = path;
    }
    if (err == MOBID_OK)
        err = cli_trust_anchors(&p, 1, "issuer audit", out);
    issuer_config_free(&cfg);
    return err;
}

/* Read FILE (the JWS, or the endpoint's JSON holding it), check its signature and
 * that its signer chains to the anchors at the time it names. */
static mobid_err checkpoint_read(const ops_args *a, checkpoint_claims *c,
                                 char *detail, size_t detail_len)
{
    static const mobid_alg algs[] = { MOBID_ALG_ES256, MOBID_ALG_ES384, MOBID_ALG_ES512,
                                      MOBID_ALG_EDDSA, MOBID_ALG_NONE };
    mobid_buf text = { 0 };
    mobid_jws jws = { 0 };
    mobid_trust *trust = NULL;
    mobid_cert **certs = NULL;
    mobid_key *pub = NULL;
    size_t ncerts = 0;
    json_t *doc = NULL, *claims = NULL;
    const char *compact = NULL, *typ, *head;
    mobid_err err = cli_read_file(a->checkpoint, &text);

    mobid_svc_detail(detail, detail_len, "the checkpoint is not a signed audit checkpoint");
    if (err == MOBID_OK && text.len && text.ptr[0] == '{') {
        doc = json_loadb((const char *)text.ptr, text.len, 0, NULL);
        compact = json_string_value(json_object_get(doc, "checkpoint"));
    } else if (err == MOBID_OK) {
        while (text.len && (text.ptr[text.len - 1] == '\n' || text.ptr[text.len - 1] == ' '))
            text.ptr[--text.len] = '\0';
        compact = (const char *)text.ptr;
    }
    if (err == MOBID_OK && !compact) err = MOBID_ERR_MALFORMED;
    if (err == MOBID_OK) err = mobid_jws_parse(mobid_view_str(compact), &jws);
    typ = json_string_value(json_object_get(jws.header, "typ"));
    if (err == MOBID_OK && (!typ || strcmp(typ, "mobid-audit-checkpoint+jwt")))
        err = MOBID_ERR_MALFORMED;
    if (err == MOBID_OK) err = mobid_json_parse(mobid_buf_view(&jws.payload), 0, &claims);
    head = json_string_value(json_object_get(claims, "head"));
    if (err == MOBID_OK && (!json_is_integer(json_object_get(claims, "seq")) || !head ||
                            strlen(head) != 64 || !json_is_integer(json_object_get(claims, "iat"))))
        err = MOBID_ERR_MALFORMED;
    if (err == MOBID_OK) {
        c->seq = json_integer_value(json_object_get(claims, "seq"));
        c->iat = json_integer_value(json_object_get(claims, "iat"));
        snprintf(c->head, sizeof c->head, "%s", head);
        err = mobid_jose_header_x5c(jws.header, &certs, &ncerts);
    }
    if (err == MOBID_OK && (err = checkpoint_trust(a, &trust)) != MOBID_OK)
        mobid_svc_detail(detail, detail_len, "no trust anchor for the checkpoint's signer");
    if (err == MOBID_OK && (err = mobid_trust_verify_chain(trust, certs, ncerts, c->iat,
                                                           MOBID_PURPOSE_SIGNING)) != MOBID_OK)
        mobid_svc_detail(detail, detail_len, "the checkpoint's signer is not trusted");
    if (err == MOBID_OK) err = mobid_cert_public_key(certs[0], &pub);
    if (err == MOBID_OK && (err = mobid_jws_verify(&jws, pub, algs)) != MOBID_OK)
        mobid_svc_detail(detail, detail_len, "the checkpoint's signature does not verify");
    mobid_key_free(pub);
    if (certs)
        mobid_cert_list_free(certs, ncerts);
    mobid_trust_free(trust);
    json_decref(claims);
    json_decref(doc);
    mobid_jws_clear(&jws);
    mobid_buf_free(&text);
    return err;
}

static int audit_fail(const ops_args *a, mobid_err err, const char *detail, int64_t bad,
                      const checkpoint_claims *c)
{
    json_t *j = json_pack("{s:b, s:s, s:s}", "valid", 0, "error", mobid_svc_err_name(err), "detail",
                          detail);
    if (bad)
        json_object_set_new(j, "first_bad_seq", json_integer(bad));
    if (c)
        json_object_set_new(j, "checkpoint_seq", json_integer(c->seq));
    fprintf(stderr, "issuer: %s\n", detail);
    cli_print_json(j);
    json_decref(j);
    return CLI_EXIT_FAIL;
}

static int audit_verify_cmd(const ops_args *a)
{
    mobid_store *s = NULL;
    checkpoint_claims c = { 0 };
    char at_hash[65] = "", detail[160];
    int64_t checked = 0, bad = 0;
    char why[MOBID_SVC_DETAIL_MAX] = "the checkpoint could not be read";
    mobid_err err = MOBID_OK;

    if (a->checkpoint && !a->trust && !a->config)
        return cli_usage_error(USAGE, "--checkpoint needs --trust or --config");
    if (a->checkpoint && (err = checkpoint_read(a, &c, why, sizeof why)) != MOBID_OK)
        return audit_fail(a, err, why, 0, NULL);
    err = mobid_store_open(a->db, &s);
    if (err == MOBID_OK)
        err = issuer_audit_verify_at(s, c.seq, a->checkpoint ? at_hash : NULL, &checked, &bad);
    mobid_store_close(s);
    if (err == MOBID_ERR_DIGEST_MISMATCH) {
        snprintf(detail, sizeof detail, "audit chain broken at entry %lld", (long long)bad);
        return audit_fail(a, err, detail, bad, a->checkpoint ? &c : NULL);
    }
    if (err != MOBID_OK)
        return cli_fail(true, err, "the audit log could not be read");
    /* the chain holds together; does it still begin as the checkpoint says? */
    if (a->checkpoint && strcmp(at_hash, c.head) != 0) {
        snprintf(detail, sizeof detail,
                 checked < c.seq ? "the audit log ends at entry %lld, before the checkpoint's %lld"
                                 : "entries up to %lld were rewritten after checkpoint %lld",
                 (long long)(checked < c.seq ? checked : c.seq), (long long)c.seq);
        return audit_fail(a, MOBID_ERR_DIGEST_MISMATCH, detail, 0, &c);
    }
    json_t *j = json_pack("{s:b, s:I}", "valid", 1, "entries", (json_int_t)checked);
    if (a->checkpoint)
        json_object_set_new(j, "checkpoint_seq", json_integer(c.seq));
    cli_print_json(j);
    json_decref(j);
    return CLI_EXIT_OK;
}

static int audit_checkpoint_cmd(const ops_args *a)
{
    issuer_config cfg;
    issuer_ctx *ctx = NULL;
    mobid_store *s = NULL;
    char *jws = NULL;
    mobid_err err = issuer_config_load(a->config, &cfg);

    if (err == MOBID_OK) err = issuer_ctx_new(&cfg, a->db, &ctx);
    issuer_config_free(&cfg);
    if (err == MOBID_OK) err = issuer_db(ctx, &s);
    if (err == MOBID_OK) err = issuer_audit_checkpoint(ctx, s, &jws);
    if (ctx)
        issuer_db_release(ctx, s);
    issuer_ctx_free(ctx);
    if (err == MOBID_OK && a->out) {
        mobid_buf b = { 0 };
        mobid_buf_append_str(&b, jws);
        mobid_buf_append_str(&b, "\n");
        err = b.err ? b.err : cli_write_file(a->out, mobid_buf_view(&b), 0644);
        mobid_buf_free(&b);
    } else if (err == MOBID_OK) {
        printf("%s\n", jws);
    }
    free(jws);
    return err == MOBID_OK ? CLI_EXIT_OK : cli_fail(a->json, err, "no checkpoint made");
}

int cmd_issuer_ops(int argc, char **argv)
{
    ops_args a = { 0 };
    const char *sub = argv[0];
    bool audit = !strcmp(sub, "audit");
    const char *verb = audit && argc > 1 ? argv[1] : "";
    int rc = audit && argc < 2 ? cli_usage_error(USAGE, "audit verify | checkpoint")
                               : parse(argc - audit, argv + audit, &a);

    if (rc != CLI_RUN)
        return rc;
    if (!strcmp(sub, "backup") && a.db && a.out)
        return backup_cmd(&a);
    if (!strcmp(sub, "restore") && a.db && a.from)
        return restore_cmd(&a);
    if (audit && !strcmp(verb, "verify") && a.db)
        return audit_verify_cmd(&a);
    if (audit && !strcmp(verb, "checkpoint") && a.db && a.config)
        return audit_checkpoint_cmd(&a);
    return cli_usage_error(USAGE, "missing or unknown arguments for issuer %s", sub);
}
