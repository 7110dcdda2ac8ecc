/*
 * The hash-chained audit log.
 *
 * Entry n stores hash_n = SHA-256(hash_{n-1} || canonical(entry n)) with hash_0 = 32
 * zero bytes, where canonical() is a domain label followed by each field as an 8-byte
 * big-endian length and its bytes (seq and at as 8-byte big-endian numbers), so no two
 * different entries share an encoding. Sequence numbers run 1, 2, 3, ... without gaps.
 * issuer_audit_head keeps the last (seq, hash): deleting the newest entries, which
 * leaves a consistent shorter chain, is caught there. An append reads and advances the
 * head in the caller's transaction, so two writers never fork the chain (the loser of
 * the race retries).
 */
#include "services/issuer/office.h"

#include <mobid/jose.h>

#include <stdio.h>
#include <string.h>

#define AUDIT_DOMAIN "mobid-issuer-audit-v1"

typedef struct audit_entry {
    int64_t seq;
    int64_t at;
    mobid_view actor, action, subject, detail;
} audit_entry;

static void put_u64(uint8_t out[8], uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        out[i] = (uint8_t)v;
        v >>= 8;
    }
}

/* hash = SHA-256(prev || canonical(e)) as lowercase hex. */
static mobid_err audit_hash(const uint8_t prev[32], const audit_entry *e, char out[65])
{
    uint8_t nums[2][8], lens[4][8], md[MOBID_HASH_MAX];
    const mobid_view *fields[4] = { &e->actor, &e->action, &e->subject, &e->detail };
    mobid_view parts[12];
    size_t n = 0;
    mobid_err err;

    parts[n++] = mobid_view_make(prev, 32);
    parts[n++] = mobid_view_str(AUDIT_DOMAIN);
    put_u64(nums[0], (uint64_t)e->seq);
    put_u64(nums[1], (uint64_t)e->at);
    parts[n++] = mobid_view_make(nums[0], 8);
    parts[n++] = mobid_view_make(nums[1], 8);
    for (int i = 0; i < 4; i++) {
        put_u64(lens[i], fields[i]->len);
        parts[n++] = mobid_view_make(lens[i], 8);
        parts[n++] = *fields[i];
    }
    err = mobid_hash_parts(MOBID_HASH_SHA256, parts, n, md);
    if (err == MOBID_OK)
        mobid_hex_str(md, 32, out);
    return err;
}

/* 64 hex digits into 32 bytes. */
static mobid_err hex32(mobid_view hex, uint8_t out[32])
{
    mobid_buf b = { 0 };
    mobid_err err;

    if (hex.len != 64)
        return MOBID_ERR_MALFORMED;
    mobid_buf_init(&b, 64);
    err = mobid_hex_decode(hex, &b);
    if (err == MOBID_OK && b.len == 32)
        memcpy(out, b.ptr, 32);
    else if (err == MOBID_OK)
        err = MOBID_ERR_MALFORMED;
    mobid_buf_free(&b);
    return err;
}

static void hex_of(const uint8_t h[32], char out[65]) { mobid_hex_str(h, 32, out); }

/* Read the head row: last seq and hash. */
static mobid_err audit_head(mobid_store *s, int64_t *seq, uint8_t hash[32], char hex[65])
{
    mobid_store_stmt *st = NULL;
    bool row = false;
    mobid_err err;

    err = mobid_store_prepare(s, "SELECT seq, hash FROM issuer_audit_head WHERE id = 1", &st);
    if (err == MOBID_OK)
        err = mobid_store_step(st, &row);
    if (err == MOBID_OK && !row)
        err = MOBID_ERR_NOT_FOUND;
    if (err != MOBID_OK)
        goto done;
    *seq = mobid_store_col_int64(st, 0);
    mobid_view h = mobid_store_col_text(st, 1);
    err = hex32(h, hash);
    if (err == MOBID_OK && hex)
        snprintf(hex, 65, "%.*s", (int)h.len, (const char *)h.ptr);
done:
    mobid_store_finalize(st);
    return err;
}

/* The head moves first: two writers racing for the same seq then meet on the head
 * row (a serialization failure, retried) instead of on the entry's primary key (a
 * uniqueness error PostgreSQL would not retry). */
static mobid_err audit_insert(mobid_store *s, const audit_entry *e, const char *prev,
                              const char *hash)
{
    mobid_store_stmt *st = NULL;
    bool row;
    mobid_err err;

    err = mobid_store_prepare(s, "UPDATE issuer_audit_head SET seq = $1, hash = $2"
                                 " WHERE id = 1 AND seq = $3", &st);
    if (err == MOBID_OK) err = mobid_store_bind_int64(st, 1, e->seq);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 2, hash);
    if (err == MOBID_OK) err = mobid_store_bind_int64(st, 3, e->seq - 1);
    if (err == MOBID_OK) err = mobid_store_step(st, &row);
    if (err == MOBID_OK && mobid_store_changes(st) != 1)
        err = MOBID_SVC_ERR_STORE_RETRY; /* someone advanced the head under us */
    mobid_store_finalize(st);
    st = NULL;
    if (err != MOBID_OK)
        goto done;
    err = mobid_store_prepare(s,
                              "INSERT INTO issuer_audit (seq, at, actor, action, subject, detail,"
                              " prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                              &st);
    if (err == MOBID_OK) err = mobid_store_bind_int64(st, 1, e->seq);
    if (err == MOBID_OK) err = mobid_store_bind_int64(st, 2, e->at);
    if (err == MOBID_OK) err = mobid_store_bind_text(st, 3, e->actor);
    if (err == MOBID_OK) err = mobid_store_bind_text(st, 4, e->action);
    if (err == MOBID_OK) err = mobid_store_bind_text(st, 5, e->subject);
    if (err == MOBID_OK) err = mobid_store_bind_text(st, 6, e->detail);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 7, prev);
    if (err == MOBID_OK) err = mobid_store_bind_str(st, 8, hash);
    if (err == MOBID_OK) err = mobid_store_step(st, &row);
    mobid_store_finalize(st);
done:
    return err;
}

mobid_err issuer_audit_append(issuer_ctx *ctx, mobid_store *s, const char *actor,
                              const char *action, const char *subject, const char *detail_json)
{
    uint8_t prev[32];
    char prev_hex[65], hash[65];
    audit_entry e = { 0 };
    mobid_err err;

    (void)ctx;
    if (!s || !action || !mobid_store_in_tx(s))
        return MOBID_ERR_INVALID_ARG; /* must share the action's transaction */
    err = audit_head(s, &e.seq, prev, prev_hex);
    if (err != MOBID_OK)
        return err;
    e.seq += 1;
    e.at = mobid_now();
    e.actor = mobid_view_str(actor ? actor : "system");
    e.action = mobid_view_str(action);
    e.subject = mobid_view_str(subject ? subject : "");
    e.detail = mobid_view_str(detail_json ? detail_json : "{}");
    err = audit_hash(prev, &e, hash);
    if (err == MOBID_OK)
        err = audit_insert(s, &e, prev_hex, hash);
    return err;
}

/* Check one row against the running chain; on success prev becomes its hash. */
static bool audit_row_ok(mobid_store_stmt *st, int64_t want_seq, uint8_t prev[32])
{
    audit_entry e;
    char want[65];
    uint8_t stored_prev[32];

    e.seq = mobid_store_col_int64(st, 0);
    e.at = mobid_store_col_int64(st, 1);
    e.actor = mobid_store_col_text(st, 2);
    e.action = mobid_store_col_text(st, 3);
    e.subject = mobid_store_col_text(st, 4);
    e.detail = mobid_store_col_text(st, 5);
    if (e.seq != want_seq || hex32(mobid_store_col_text(st, 6), stored_prev) != MOBID_OK ||
        !mobid_ct_eq(mobid_view_make(stored_prev, 32), mobid_view_make(prev, 32)))
        return false;
    if (audit_hash(prev, &e, want) != MOBID_OK ||
        !mobid_ct_eq(mobid_view_make(want, 64), mobid_store_col_text(st, 7)))
        return false;
    return hex32(mobid_view_make(want, 64), prev) == MOBID_OK;
}

mobid_err issuer_audit_verify_at(mobid_store *s, int64_t at_seq, char at_hash[65],
                                 int64_t *checked, int64_t *bad_seq)
{
    mobid_store_stmt *st = NULL;
    uint8_t prev[32] = { 0 }, head[32];
    int64_t n = 0, head_seq = 0;
    bool row = false;
    mobid_err err;

    if (checked) *checked = 0;
    if (bad_seq) *bad_seq = 0;
    if (at_hash) *at_hash = '\0';
    err = audit_head(s, &head_seq, head, NULL);
    if (err == MOBID_OK)
        err = mobid_store_prepare(s, "SELECT seq, at, actor, action, subject, detail,"
                                     " prev_hash, hash FROM issuer_audit ORDER BY seq", &st);
    while (err == MOBID_OK && (err = mobid_store_step(st, &row)) == MOBID_OK && row) {
        if (at_hash && n == at_seq)
            hex_of(prev, at_hash); /* the hash after entry at_seq, recomputed */
        if (!audit_row_ok(st, n + 1, prev)) {
            err = MOBID_ERR_DIGEST_MISMATCH;
            if (bad_seq) *bad_seq = n + 1; /* the first entry that is not as written */
            goto done;
        }
        n++;
    }
    if (err != MOBID_OK)
        goto done;
    if (at_hash && n == at_seq)
        hex_of(prev, at_hash);
    /* the newest entries deleted: the chain ends before the head */
    if (head_seq != n || !mobid_ct_eq(mobid_view_make(head, 32), mobid_view_make(prev, 32))) {
        err = MOBID_ERR_DIGEST_MISMATCH;
        if (bad_seq) *bad_seq = n + 1;
    }
done:
    if (checked) *checked = n;
    mobid_store_finalize(st);
    return err;
}

mobid_err issuer_audit_verify(mobid_store *s, int64_t *checked, int64_t *bad_seq)
{
    return issuer_audit_verify_at(s, 0, NULL, checked, bad_seq);
}

/* One audit row as JSON; the detail text is parsed back into an object. */
/* Officers' free text (evidence, reasons) is sealed like the applicants' data: under
 * the data key, bound to the entry's subject. The chain hashes the sealed text, so it
 * verifies without the key. */
static const char AUDIT_AAD[] = "mobid-audit:";

mobid_err issuer_audit_seal(const issuer_ctx *ctx, const char *subject, json_t *detail,
                            const char *const *keys)
{
    json_t *priv = json_object();
    mobid_buf js = { 0 }, sealed = { 0 }, b64 = { 0 }, aad = { 0 };
    mobid_err err = priv ? MOBID_OK : MOBID_ERR_NOMEM;

    for (; err == MOBID_OK && *keys; keys++) {
        json_t *v = json_object_get(detail, *keys);
        if (v && json_object_set(priv, *keys, v) == 0)
            json_object_del(detail, *keys);
    }
    if (err != MOBID_OK || json_object_size(priv) == 0)
        goto done;
    mobid_buf_init(&aad, 256);
    mobid_buf_append_str(&aad, AUDIT_AAD);
    mobid_buf_append_str(&aad, subject ? subject : "");
    if ((err = aad.err) || (err = mobid_json_dump(priv, false, &js)) ||
        (err = issuer_seal(ctx, mobid_buf_view(&aad), mobid_buf_view(&js), &sealed)) ||
        (err = mobid_b64url_encode(mobid_buf_view(&sealed), &b64)) || (err = mobid_buf_terminate(&b64)))
        goto done;
    if (json_object_set_new(detail, "sealed", json_string((const char *)b64.ptr)))
        err = MOBID_ERR_NOMEM;
done:
    if (js.ptr)
        mobid_wipe(js.ptr, js.len);
    mobid_buf_free(&js);
    mobid_buf_free(&sealed);
    mobid_buf_free(&b64);
    mobid_buf_free(&aad);
    json_decref(priv);
    return err;
}

/* Open the sealed part of one listed entry back into its detail (admins' listing). */
static void audit_unseal_one(const issuer_ctx *ctx, json_t *entry)
{
    json_t *detail = json_object_get(entry, "detail");
    const char *b64 = json_string_value(json_object_get(detail, "sealed"));
    const char *subject = json_string_value(json_object_get(entry, "subject"));
    mobid_buf raw = { 0 }, plain = { 0 }, aad = { 0 };
    json_t *priv = NULL;

    if (!b64)
        return;
    mobid_buf_init(&aad, 256);
    mobid_buf_append_str(&aad, AUDIT_AAD);
    mobid_buf_append_str(&aad, subject ? subject : "");
    if (!aad.err && mobid_b64url_decode(mobid_view_str(b64), &raw) == MOBID_OK &&
        issuer_unseal(ctx, mobid_buf_view(&aad), mobid_buf_view(&raw), &plain) == MOBID_OK &&
        (priv = json_loadb((const char *)plain.ptr, plain.len, 0, NULL)) && json_is_object(priv)) {
        json_object_update(detail, priv);
        json_object_set_new(detail, "sealed", json_true());
    }
    if (plain.ptr)
        mobid_wipe(plain.ptr, plain.len);
    json_decref(priv);
    mobid_buf_free(&raw);
    mobid_buf_free(&plain);
    mobid_buf_free(&aad);
}

void issuer_audit_unseal_list(const issuer_ctx *ctx, json_t *entries)
{
    size_t i;
    json_t *e;
    json_array_foreach(entries, i, e)
        audit_unseal_one(ctx, e);
}

static json_t *audit_row_json(mobid_store_stmt *st)
{
    char *detail = mobid_store_col_strdup(st, 5);
    json_t *d = detail ? json_loads(detail, JSON_REJECT_DUPLICATES, NULL) : NULL;
    char *actor = mobid_store_col_strdup(st, 2), *action = mobid_store_col_strdup(st, 3);
    char *subject = mobid_store_col_strdup(st, 4), *hash = mobid_store_col_strdup(st, 7);
    json_t *j = json_pack("{s:I, s:I, s:s?, s:s?, s:s?, s:o, s:s?}", "seq",
                          (json_int_t)mobid_store_col_int64(st, 0), "at",
                          (json_int_t)mobid_store_col_int64(st, 1), "actor", actor, "action",
                          action, "subject", subject, "detail", d ? d : json_object(), "hash",
                          hash);
    free(detail);
    free(actor);
    free(action);
    free(subject);
    free(hash);
    return j;
}

mobid_err issuer_audit_json(mobid_store *s, const issuer_officer *who, int64_t after,
                            int64_t limit, json_t **out)
{
    mobid_store_stmt *st = NULL;
    json_t *arr = NULL;
    bool row = false;
    mobid_err err;

    *out = NULL;
    if (!who || who->role != ISSUER_ROLE_ADMIN)
        return MOBID_SVC_ERR_ACCESS_DENIED;
    arr = json_array();
    if (!arr)
        return MOBID_ERR_NOMEM;
    err = mobid_store_prepare(s, "SELECT seq, at, actor, action, subject, detail, prev_hash,"
                                 " hash FROM issuer_audit WHERE seq > $1 ORDER BY seq LIMIT $2",
                              &st);
    if (err == MOBID_OK) err = mobid_store_bind_int64(st, 1, after);
    if (err == MOBID_OK) err = mobid_store_bind_int64(st, 2, limit > 0 && limit <= 1000 ? limit : 100);
    while (err == MOBID_OK && (err = mobid_store_step(st, &row)) == MOBID_OK && row) {
        json_t *j = audit_row_json(st);
        if (!j || json_array_append_new(arr, j) != 0)
            err = MOBID_ERR_NOMEM;
    }
    if (err == MOBID_OK) {
        *out = arr;
        arr = NULL;
    }
    mobid_store_finalize(st);
    json_decref(arr);
    return err;
}
