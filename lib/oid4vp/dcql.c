/*
 * DCQL (OpenID4VP 1.0 §6, §7): parsing with limits, claim selection, satisfaction.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <mobid/oid4vp.h>

#define SAY(...)                                                  \
    do {                                                          \
        if (detail && detail_len)                                 \
            snprintf(detail, detail_len, __VA_ARGS__);            \
    } while (0)

static bool id_ok(const char *s)
{
    if (!s || !*s || strlen(s) > 64)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || *s == '-'))
            return false;
    return true;
}

static bool path_ok(const json_t *path, mobid_dcql_format fmt)
{
    if (!json_is_array(path) || json_array_size(path) == 0 ||
        json_array_size(path) > MOBID_DCQL_MAX_PATH)
        return false;
    size_t i;
    const json_t *seg;
    json_array_foreach (path, i, seg) {
        if (fmt == MOBID_DCQL_MDOC && !json_is_string(seg))
            return false;
        if (!json_is_string(seg) && !json_is_null(seg) &&
            !(json_is_integer(seg) && json_integer_value(seg) >= 0))
            return false;
    }
    return fmt != MOBID_DCQL_MDOC || json_array_size(path) == 2;
}

/* Every entry of sets (array of arrays of strings) must name an id that lookup finds. */
static bool id_sets_ok(const json_t *sets, bool (*lookup)(const void *, const char *),
                       const void *ctx)
{
    if (!json_is_array(sets) || json_array_size(sets) == 0)
        return false;
    size_t i, j;
    const json_t *set, *id;
    json_array_foreach (sets, i, set) {
        if (!json_is_array(set) || json_array_size(set) == 0)
            return false;
        json_array_foreach (set, j, id)
            if (!json_is_string(id) || !lookup(ctx, json_string_value(id)))
                return false;
    }
    return true;
}

static bool claim_lookup(const void *ctx, const char *id)
{
    const mobid_dcql_cred *c = ctx;
    for (size_t i = 0; i < c->n_claims; i++)
        if (c->claims[i].id && !strcmp(c->claims[i].id, id))
            return true;
    return false;
}

static bool cred_lookup(const void *ctx, const char *id)
{
    return mobid_dcql_find(ctx, id) != NULL;
}

static mobid_err parse_meta(const json_t *jc, mobid_dcql_cred *c, char *detail, size_t detail_len)
{
    const json_t *meta = json_object_get(jc, "meta");
    if (!json_is_object(meta)) {
        SAY("credential query %s has no meta", c->id);
        return MOBID_ERR_MALFORMED;
    }
    if (c->format == MOBID_DCQL_SDJWT) {
        c->types = json_object_get(meta, "vct_values");
        size_t i;
        const json_t *v;
        if (!json_is_array(c->types) || json_array_size(c->types) == 0)
            goto bad;
        json_array_foreach (c->types, i, v)
            if (!json_is_string(v))
                goto bad;
        return MOBID_OK;
    }
    const json_t *dt = json_object_get(meta, "doctype_value");
    if (!json_is_string(dt))
        goto bad;
    /* Kept as a one-element array so both formats read alike. */
    json_t *arr = json_array();
    c->owned_ = arr;
    if (!arr || json_array_append(arr, (json_t *)dt))
        return MOBID_ERR_NOMEM;
    c->types = arr;
    return MOBID_OK;
bad:
    SAY("credential query %s: meta needs vct_values or doctype_value", c->id);
    return MOBID_ERR_MALFORMED;
}

static mobid_err parse_claims(const json_t *jc, mobid_dcql_cred *c, char *detail, size_t detail_len)
{
    const json_t *claims = json_object_get(jc, "claims");
    if (!claims)
        return MOBID_OK;
    if (!json_is_array(claims) || json_array_size(claims) == 0) {
        SAY("credential query %s: claims must be a non-empty array", c->id);
        return MOBID_ERR_MALFORMED;
    }
    if (json_array_size(claims) > MOBID_DCQL_MAX_CLAIMS)
        return MOBID_ERR_TOO_BIG;
    c->claims = mobid_calloc(json_array_size(claims), sizeof *c->claims);
    if (!c->claims)
        return MOBID_ERR_NOMEM;
    size_t i;
    const json_t *cl;
    json_array_foreach (claims, i, cl) {
        mobid_dcql_claim *d = &c->claims[c->n_claims++];
        const json_t *id = json_object_get(cl, "id");
        d->path = json_object_get(cl, "path");
        d->values = json_object_get(cl, "values");
        d->id = json_string_value(id);
        if (!json_is_object(cl) || (id && !id_ok(d->id)) || !path_ok(d->path, c->format) ||
            (d->values && (!json_is_array(d->values) || !json_array_size(d->values)))) {
            SAY("credential query %s: claim %zu is malformed", c->id, i);
            return MOBID_ERR_MALFORMED;
        }
        for (size_t k = 0; d->id && k + 1 < c->n_claims; k++)
            if (c->claims[k].id && !strcmp(c->claims[k].id, d->id)) {
                SAY("credential query %s: claim id %s repeated", c->id, d->id);
                return MOBID_ERR_MALFORMED;
            }
    }
    c->claim_sets = json_object_get(jc, "claim_sets");
    if (c->claim_sets && !id_sets_ok(c->claim_sets, claim_lookup, c)) {
        SAY("credential query %s: claim_sets name unknown claim ids", c->id);
        return MOBID_ERR_MALFORMED;
    }
    return MOBID_OK;
}

static mobid_err parse_cred(const json_t *jc, mobid_dcql *q, char *detail, size_t detail_len)
{
    mobid_dcql_cred *c = &q->creds[q->n_creds];
    const char *fmt = json_string_value(json_object_get(jc, "format"));
    c->id = json_string_value(json_object_get(jc, "id"));
    if (!json_is_object(jc) || !id_ok(c->id) || !fmt) {
        SAY("credential query %zu needs an id of [A-Za-z0-9_-] and a format", q->n_creds);
        return MOBID_ERR_MALFORMED;
    }
    if (mobid_dcql_find(q, c->id)) {
        SAY("credential query id %s repeated", c->id);
        return MOBID_ERR_MALFORMED;
    }
    if (!strcmp(fmt, MOBID_OID4VP_FMT_SDJWT))
        c->format = MOBID_DCQL_SDJWT;
    else if (!strcmp(fmt, MOBID_OID4VP_FMT_MDOC))
        c->format = MOBID_DCQL_MDOC;
    else {
        SAY("credential query %s: format %s is not supported", c->id, fmt);
        return MOBID_ERR_UNSUPPORTED;
    }
    const json_t *mult = json_object_get(jc, "multiple");
    if (mult && !json_is_boolean(mult)) {
        SAY("credential query %s: multiple must be a boolean", c->id);
        return MOBID_ERR_MALFORMED;
    }
    c->multiple = json_is_true(mult);
    mobid_err err = parse_meta(jc, c, detail, detail_len);
    if (!err)
        err = parse_claims(jc, c, detail, detail_len);
    q->n_creds++; /* counted even on error, so free sees its claims */
    return err;
}

static mobid_err parse_credential_sets(mobid_dcql *q, char *detail, size_t detail_len)
{
    const json_t *sets = json_object_get(q->query, "credential_sets");
    if (!sets)
        return MOBID_OK;
    size_t i;
    const json_t *s;
    if (!json_is_array(sets) || !json_array_size(sets))
        goto bad;
    json_array_foreach (sets, i, s) {
        const json_t *req = json_object_get(s, "required");
        if (!json_is_object(s) || (req && !json_is_boolean(req)) ||
            !id_sets_ok(json_object_get(s, "options"), cred_lookup, q))
            goto bad;
    }
    q->credential_sets = sets;
    return MOBID_OK;
bad:
    SAY("credential_sets must be objects whose options name credential query ids");
    return MOBID_ERR_MALFORMED;
}

mobid_err mobid_dcql_parse(const json_t *query, mobid_dcql **out, char *detail, size_t detail_len)
{
    mobid_err err = MOBID_OK;
    mobid_dcql *q = NULL;
    const json_t *creds = json_object_get(query, "credentials");
    const json_t *jc;
    size_t i;

    if (!out)
        return MOBID_ERR_INVALID_ARG;
    *out = NULL;
    if (!json_is_object(query) || !json_is_array(creds) || !json_array_size(creds)) {
        SAY("a DCQL query needs a non-empty credentials array");
        err = MOBID_ERR_MALFORMED;
        goto done;
    }
    if (json_array_size(creds) > MOBID_DCQL_MAX_CREDENTIALS) {
        SAY("more than %d credential queries", MOBID_DCQL_MAX_CREDENTIALS);
        err = MOBID_ERR_TOO_BIG;
        goto done;
    }
    q = mobid_calloc(1, sizeof *q);
    if (!q || !(q->query = json_deep_copy(query)) ||
        !(q->creds = mobid_calloc(json_array_size(creds), sizeof *q->creds))) {
        err = MOBID_ERR_NOMEM;
        goto done;
    }
    creds = json_object_get(q->query, "credentials");
    json_array_foreach (creds, i, jc)
        if ((err = parse_cred(jc, q, detail, detail_len)))
            goto done;
    err = parse_credential_sets(q, detail, detail_len);
done:
    if (err)
        mobid_dcql_free(q);
    else
        *out = q;
    return err;
}

void mobid_dcql_free(mobid_dcql *q)
{
    if (!q)
        return;
    for (size_t i = 0; q->creds && i < q->n_creds; i++) {
        mobid_free(q->creds[i].claims);
        json_decref(q->creds[i].owned_);
    }
    mobid_free(q->creds);
    json_decref(q->query);
    mobid_free(q);
}

const mobid_dcql_cred *mobid_dcql_find(const mobid_dcql *q, const char *id)
{
    for (size_t i = 0; q && id && i < q->n_creds; i++)
        if (q->creds[i].id && !strcmp(q->creds[i].id, id))
            return &q->creds[i];
    return NULL;
}

bool mobid_dcql_cred_accepts(const mobid_dcql_cred *c, mobid_dcql_format fmt, const char *type)
{
    size_t i;
    const json_t *t;
    if (!c || c->format != fmt || !type)
        return false;
    json_array_foreach (c->types, i, t)
        if (!strcmp(json_string_value(t), type))
            return true;
    return false;
}

/* ---- selection ---- */

static bool value_allowed(const json_t *v, const json_t *values)
{
    size_t i;
    const json_t *a;
    if (!values)
        return true;
    json_array_foreach (values, i, a)
        if (json_equal((json_t *)v, (json_t *)a))
            return true;
    return false;
}

/* Select path[depth..] of `src` into *dst (created here when NULL). Returns true when
 * the claim was found (and matches values at its end). */
static bool select_path(const json_t *src, const json_t *path, size_t depth,
                        const json_t *values, json_t **dst)
{
    if (depth == json_array_size(path)) {
        if (!value_allowed(src, values))
            return false;
        if (!*dst)
            *dst = json_deep_copy(src);
        return *dst != NULL;
    }
    const json_t *seg = json_array_get(path, depth);
    if (json_is_string(seg)) {
        const json_t *child = json_object_get(src, json_string_value(seg));
        if (!json_is_object(src) || !child)
            return false;
        if (!*dst && !(*dst = json_object()))
            return false;
        json_t *sub = json_object_get(*dst, json_string_value(seg));
        json_t *fresh = sub ? json_incref(sub) : NULL;
        bool ok = select_path(child, path, depth + 1, values, &fresh);
        if (ok && json_object_set(*dst, json_string_value(seg), fresh))
            ok = false;
        json_decref(fresh);
        return ok;
    }
    if (!json_is_array(src))
        return false;
    if (!*dst && !(*dst = json_array()))
        return false;
    if (json_is_integer(seg)) {
        /* An element is passed on alone: positions are not kept. */
        const json_t *el = json_array_get(src, (size_t)json_integer_value(seg));
        json_t *fresh = NULL;
        bool ok = el && select_path(el, path, depth + 1, values, &fresh);
        if (ok && json_array_append(*dst, fresh))
            ok = false;
        json_decref(fresh);
        return ok;
    }
    size_t i;
    const json_t *el;
    bool any = false;
    json_array_foreach (src, i, el) {
        json_t *fresh = NULL;
        if (select_path(el, path, depth + 1, values, &fresh) && !json_array_append(*dst, fresh))
            any = true;
        json_decref(fresh);
    }
    return any;
}

static void path_text(const json_t *path, char *out, size_t n)
{
    char *s = json_dumps(path, JSON_COMPACT | JSON_ENCODE_ANY);
    snprintf(out, n, "%s", s ? s : "?");
    free(s);
}

/* Select the claims whose ids are in `set` (all claims when set is NULL). */
static mobid_err select_set(const mobid_dcql_cred *c, const json_t *set, const json_t *claims,
                            json_t **out, char *detail, size_t detail_len)
{
    json_t *res = json_object();
    if (!res)
        return MOBID_ERR_NOMEM;
    for (size_t i = 0; i < c->n_claims; i++) {
        const mobid_dcql_claim *cl = &c->claims[i];
        if (set) {
            bool in = false;
            size_t k;
            const json_t *id;
            json_array_foreach (set, k, id)
                in |= cl->id && !strcmp(json_string_value(id), cl->id);
            if (!in)
                continue;
        }
        if (!select_path(claims, cl->path, 0, cl->values, &res)) {
            char p[96];
            path_text(cl->path, p, sizeof p);
            SAY("credential %s: claim %s missing%s", c->id, p, cl->values ? " or not allowed" : "");
            json_decref(res);
            return MOBID_ERR_CLAIM_MISSING;
        }
    }
    *out = res;
    return MOBID_OK;
}

mobid_err mobid_dcql_select(const mobid_dcql_cred *c, const json_t *claims, json_t **out,
                            char *detail, size_t detail_len)
{
    if (!c || !claims || !out)
        return MOBID_ERR_INVALID_ARG;
    *out = NULL;
    if (!c->claim_sets)
        return select_set(c, NULL, claims, out, detail, detail_len);
    /* claim_sets are in the verifier's order of preference: the first one satisfied. */
    mobid_err err = MOBID_ERR_CLAIM_MISSING;
    size_t i;
    const json_t *set;
    json_array_foreach (c->claim_sets, i, set) {
        err = select_set(c, set, claims, out, detail, detail_len);
        if (err != MOBID_ERR_CLAIM_MISSING)
            break;
    }
    return err;
}

static bool answered_has(const char *const *answered, const char *id)
{
    for (; answered && *answered; answered++)
        if (!strcmp(*answered, id))
            return true;
    return false;
}

mobid_err mobid_dcql_satisfied(const mobid_dcql *q, const char *const *answered)
{
    if (!q)
        return MOBID_ERR_INVALID_ARG;
    if (!q->credential_sets) {
        for (size_t i = 0; i < q->n_creds; i++)
            if (!answered_has(answered, q->creds[i].id))
                return MOBID_ERR_DCQL_UNSATISFIED;
        return MOBID_OK;
    }
    size_t i, j, k;
    const json_t *set, *opt, *id;
    json_array_foreach (q->credential_sets, i, set) {
        const json_t *req = json_object_get(set, "required");
        if (req && json_is_false(req))
            continue;
        bool met = false;
        json_array_foreach (json_object_get(set, "options"), j, opt) {
            bool all = true;
            json_array_foreach (opt, k, id)
                all &= answered_has(answered, json_string_value(id));
            met |= all;
        }
        if (!met)
            return MOBID_ERR_DCQL_UNSATISFIED;
    }
    return MOBID_OK;
}
