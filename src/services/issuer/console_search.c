/*
 * Finding an applicant without decrypting every application: a keyed blind index.
 * Each application gets tokens HMAC(lookup key, "console-search:" kind ":" value) of
 * normalized values (lower case, without spaces, '-', '.', ',' or apostrophes): its
 * names alone and as family+given and given+family (so "Hong Gildong", "gildong hong"
 * and "홍길동" all match), and its birth date. The registration number already has its
 * own keyed index (person_ref). The server sees only HMACs; a search is an exact match
 * of a whole normalized value.
 *
 * Which fields are names: the card type's application fields whose name starts with
 * family_name / given_name (the same suffix pairs them: family_name_national_character with
 * given_name_national_character); the birth date is the date field whose name holds "birth".
 * Applications are indexed on the first search after they were filed: each one is
 * opened once, ever (the console_search row "-" marks it done).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "services/issuer/console.h"

static void normalize(const char *in, char *out, size_t n)
{
    size_t k = 0;
    for (const unsigned char *p = (const unsigned char *)(in ? in : ""); *p && k + 1 < n; p++) {
        if (strchr(" -.,'\t", *p))
            continue;
        out[k++] = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
    }
    out[k] = 0;
}

static mobid_err token(const issuer_ctx *ctx, const char *kind, const char *value, char out[65])
{
    char buf[600], norm[512];
    normalize(value, norm, sizeof norm);
    if (!norm[0])
        return MOBID_ERR_INVALID_ARG;
    snprintf(buf, sizeof buf, "console-search:%s:%s", kind, norm);
    mobid_err err = issuer_lookup_hash(ctx, mobid_view_str(buf), out);
    mobid_wipe(buf, sizeof buf);
    mobid_wipe(norm, sizeof norm);
    return err;
}

static bool starts(const char *s, const char *p)
{
    return s && !strncmp(s, p, strlen(p));
}

static const char *field_name(const json_t *f)
{
    return json_string_value(json_object_get(f, "name")) ?: "";
}

/* The given-name value that pairs with family field `fam` (same suffix). */
static const char *given_of(const issuer_cardtype *ct, const json_t *pii, const char *fam)
{
    char want[128];
    snprintf(want, sizeof want, "given_name%s", fam + strlen("family_name"));
    return json_string_value(json_object_get(pii, want));
}

bool console_is_birth_field(const json_t *f)
{
    return strstr(field_name(f), "birth") &&
           !strcmp(json_string_value(json_object_get(f, "type")) ?: "", "date");
}

/* Call fn(kind, value) for every value of the applicant that a search can match. */
static mobid_err each_value(const issuer_cardtype *ct, const json_t *pii,
                            mobid_err (*fn)(void *, const char *, const char *), void *arg)
{
    size_t i;
    const json_t *f;
    char both[600];
    mobid_err err = MOBID_OK;

    json_array_foreach (ct->form, i, f) {
        const char *name = field_name(f), *v = json_string_value(json_object_get(pii, name));
        if (!v)
            continue;
        if (console_is_birth_field(f))
            err = fn(arg, "birth", v);
        else if (starts(name, "family_name") || starts(name, "given_name"))
            err = fn(arg, "name", v);
        const char *g = starts(name, "family_name") ? given_of(ct, pii, name) : NULL;
        if (!err && g) {
            snprintf(both, sizeof both, "%s%s", v, g);
            err = fn(arg, "name", both);
            snprintf(both, sizeof both, "%s%s", g, v);
            if (!err) err = fn(arg, "name", both);
        }
        if (err)
            break;
    }
    return err;
}

typedef struct index_arg {
    console_req *c;
    const char *app_id;
} index_arg;

static mobid_err put_token(mobid_store *s, const char *app_id, const char *tok)
{
    mobid_store_stmt *st = NULL;
    bool row;
    mobid_err err = mobid_store_prepare(s, "INSERT INTO console_search (app_id, token) VALUES ($1, $2)"
                                           " ON CONFLICT DO NOTHING", &st);
    if (!err) err = mobid_store_bind_str(st, 1, app_id);
    if (!err) err = mobid_store_bind_str(st, 2, tok);
    if (!err) err = mobid_store_step(st, &row);
    mobid_store_finalize(st);
    return err;
}

static mobid_err index_one(void *arg, const char *kind, const char *value)
{
    index_arg *a = arg;
    char tok[65];
    mobid_err err = token(a->c->ctx, kind, value, tok);
    if (err == MOBID_ERR_INVALID_ARG)
        return MOBID_OK; /* nothing left after normalizing */
    return err ? err : put_token(a->c->s, a->app_id, tok);
}

/* Index one application (its PII opened here, once). */
static mobid_err index_app(console_req *c, const char *id, const char *cardtype, const char *sealed)
{
    const issuer_cardtype *ct = issuer_cardtype_find(c->ctx, cardtype);
    json_t *pii = NULL;
    index_arg a = { c, id };
    mobid_err err = ct ? issuer_pii_open(c->ctx, id, sealed, &pii) : MOBID_OK;
    if (!err && ct)
        err = each_value(ct, pii, index_one, &a);
    if (err == MOBID_ERR_DECRYPT_FAILED || err == MOBID_ERR_MALFORMED)
        err = MOBID_OK; /* an unreadable row stays unfindable by name, like before */
    json_decref(pii);
    return err ? err : put_token(c->s, id, "-");
}

mobid_err console_search_sync(console_req *c)
{
    mobid_store_stmt *st = NULL;
    char *rows[64][3];
    size_t n = 0;
    bool row = false;
    mobid_err err;

    do {
        n = 0;
        err = mobid_store_prepare(c->s, "SELECT a.id, a.cardtype, a.pii_sealed FROM issuer_applications a"
                                        " WHERE NOT EXISTS (SELECT 1 FROM console_search s WHERE"
                                        " s.app_id = a.id AND s.token = '-') LIMIT 64", &st);
        while (!err && n < 64 && !(err = mobid_store_step(st, &row)) && row) {
            for (int k = 0; k < 3; k++)
                rows[n][k] = mobid_store_col_strdup(st, k);
            n++;
        }
        mobid_store_finalize(st);
        st = NULL;
        for (size_t i = 0; i < n; i++) {
            if (!err)
                err = rows[i][0] && rows[i][1] && rows[i][2]
                          ? index_app(c, rows[i][0], rows[i][1], rows[i][2]) : MOBID_ERR_NOMEM;
            for (int k = 0; k < 3; k++)
                free(rows[i][k]);
        }
    } while (!err && n == 64);
    return err;
}

mobid_err console_search_ids(console_req *c, const char *kind, const char *value, json_t *ids)
{
    mobid_store_stmt *st = NULL;
    char tok[65];
    bool row = false;
    mobid_err err = token(c->ctx, kind, value, tok);
    if (err == MOBID_ERR_INVALID_ARG)
        return MOBID_OK; /* matches nothing */
    if (!err) err = mobid_store_prepare(c->s, "SELECT app_id FROM console_search WHERE token = $1"
                                              " LIMIT 1000", &st);
    if (!err) err = mobid_store_bind_str(st, 1, tok);
    while (!err && !(err = mobid_store_step(st, &row)) && row) {
        char *id = mobid_store_col_strdup(st, 0);
        if (!id || json_object_set_new(ids, id, json_true()))
            err = MOBID_ERR_NOMEM;
        free(id);
    }
    mobid_store_finalize(st);
    return err;
}

/* The person's name as the officer reads it: the national-script name (family then
 * given, no space), then the Latin one, each from its family_name / given_name pair. */
void console_person_name(console_req *c, const issuer_cardtype *ct, const json_t *pii)
{
    size_t i, shown = 0;
    const json_t *f;
    if (!ct)
        return;
    /* national script first: the pairs with a suffix, then the plain pair */
    for (int pass = 0; pass < 2; pass++) {
        json_array_foreach (ct->form, i, f) {
            const char *name = field_name(f);
            const char *fam = json_string_value(json_object_get(pii, name));
            if (!starts(name, "family_name") || !fam || (pass == 0) == (name[11] == 0))
                continue;
            const char *g = given_of(ct, pii, name);
            console_put(&c->page, shown++ ? " <span class=\"en\">" : "<span class=\"name\">");
            if (pass == 0) {
                console_esc(&c->page, fam);
                console_esc(&c->page, g);
            } else {
                console_esc(&c->page, fam);
                console_put(&c->page, " ");
                console_esc(&c->page, g);
            }
            console_put(&c->page, "</span>");
        }
    }
}
