/* Issuing an SD-JWT VC: disclosures for the chosen claim paths, recursively, then the JWS. */
#include "sdjwt_internal.h"

#include <mobid/jose.h>
#include <stdlib.h>
#include <string.h>

typedef struct issuer {
    const char *const *paths;
    size_t n_paths;
    bool *hit;            /* per path: matched some claim */
    mobid_hash_alg hash;
    unsigned decoys;
    mobid_buf path;       /* claim path of the value being built */
    mobid_buf tail;       /* "D1~D2~...~" */
} issuer;

static size_t seg_count(const char *p)
{
    size_t n = 1;
    for (; *p; p++)
        n += *p == '/';
    return n;
}

/* Is the claim at the current path selected? A path naming a never-disclosable
 * top-level claim without a wildcard is an error; '*' passes over it. */
static mobid_err selected(issuer *is, const char *name, unsigned depth, bool *out)
{
    *out = false;
    const char *path = (const char *)is->path.ptr;
    size_t segs = seg_count(path);
    for (size_t i = 0; i < is->n_paths; i++) {
        const char *pat = is->paths[i];
        if (seg_count(pat) != segs || !mobid_sdjwt_path_covers(pat, path))
            continue;
        if (depth == 0 && mobid_sdjwt_never_disclosable(name)) {
            if (strcmp(pat, "*") != 0)
                return MOBID_ERR_INVALID_ARG;
            continue;
        }
        is->hit[i] = true;
        *out = true;
    }
    return MOBID_OK;
}

static mobid_err new_salt(char out[MOBID_SDJWT_DIGEST_MAX])
{
    uint8_t rnd[16];
    mobid_buf b;
    mobid_buf_init(&b, 0);
    mobid_err err = mobid_random(rnd, sizeof rnd);
    if (err == MOBID_OK)
        err = mobid_b64url_encode(mobid_view_make(rnd, sizeof rnd), &b);
    if (err == MOBID_OK) {
        memcpy(out, b.ptr, b.len);
        out[b.len] = 0;
    }
    mobid_buf_free(&b);
    return err;
}

/* Make the disclosure for (name, value), record it in the tail, return its digest. */
static mobid_err disclose(issuer *is, const char *name, const json_t *value,
                          char digest[MOBID_SDJWT_DIGEST_MAX])
{
    char salt[MOBID_SDJWT_DIGEST_MAX];
    mobid_err err = new_salt(salt);
    if (err != MOBID_OK)
        return err;
    size_t start = is->tail.len;
    err = mobid_sdjwt_disclosure_make(salt, name, value, &is->tail);
    if (err == MOBID_OK)
        err = mobid_sdjwt_digest_str(
            is->hash, mobid_view_make(is->tail.ptr + start, is->tail.len - start), digest);
    if (err == MOBID_OK)
        err = mobid_buf_append_byte(&is->tail, '~');
    return err;
}

static mobid_err decoy(issuer *is, char digest[MOBID_SDJWT_DIGEST_MAX])
{
    uint8_t rnd[32];
    mobid_err err = mobid_random(rnd, sizeof rnd);
    return err == MOBID_OK
               ? mobid_sdjwt_digest_str(is->hash, mobid_view_make(rnd, sizeof rnd), digest)
               : err;
}

static int cmp_digest(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

/* Put the collected digests (fixed-size records) into obj["_sd"], sorted so that
 * their order reveals nothing about the claims' order. */
static mobid_err set_sd_array(issuer *is, json_t *obj, mobid_buf *digests)
{
    size_t n = digests->len / MOBID_SDJWT_DIGEST_MAX;
    if (n == 0)
        return MOBID_OK;
    for (unsigned k = 0; k < is->decoys; k++) {
        char d[MOBID_SDJWT_DIGEST_MAX] = { 0 };
        mobid_err err = decoy(is, d);
        if (err != MOBID_OK)
            return err;
        mobid_buf_append(digests, d, sizeof d);
    }
    if (digests->err != MOBID_OK)
        return digests->err;
    n = digests->len / MOBID_SDJWT_DIGEST_MAX;
    qsort(digests->ptr, n, MOBID_SDJWT_DIGEST_MAX, cmp_digest);
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++)
        if (json_array_append_new(arr,
                                  json_string((char *)digests->ptr + i * MOBID_SDJWT_DIGEST_MAX)))
            break;
    if (!arr || json_array_size(arr) != n || json_object_set_new(obj, "_sd", arr) != 0)
        return MOBID_ERR_NOMEM;
    return MOBID_OK;
}

static mobid_err build(issuer *is, const json_t *in, unsigned depth, json_t **out);

static mobid_err build_object(issuer *is, const json_t *in, unsigned depth, json_t **out)
{
    json_t *obj = json_object();
    mobid_buf digests;
    mobid_buf_init(&digests, 0);
    mobid_err err = obj ? MOBID_OK : MOBID_ERR_NOMEM;
    size_t mark = is->path.len;
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)in, key, val) {
        json_t *child = NULL;
        bool sel = false;
        if (!strcmp(key, "_sd") || !strcmp(key, "...") || (depth == 0 && !strcmp(key, "_sd_alg")))
            err = MOBID_ERR_RESERVED_CLAIM_NAME;
        if (err == MOBID_OK)
            err = mobid_sdjwt_path_push(&is->path, key);
        if (err == MOBID_OK)
            err = mobid_buf_terminate(&is->path);
        if (err == MOBID_OK)
            err = selected(is, key, depth, &sel);
        if (err == MOBID_OK)
            err = build(is, val, depth + 1, &child);
        is->path.len = mark;
        if (err == MOBID_OK && sel) {
            char d[MOBID_SDJWT_DIGEST_MAX] = { 0 };
            err = disclose(is, key, child, d);
            mobid_buf_append(&digests, d, sizeof d);
        } else if (err == MOBID_OK && json_object_set(obj, key, child) != 0) {
            err = MOBID_ERR_NOMEM;
        }
        json_decref(child);
        if (err != MOBID_OK)
            break;
    }
    if (err == MOBID_OK)
        err = set_sd_array(is, obj, &digests);
    mobid_buf_free(&digests);
    if (err != MOBID_OK)
        json_decref(obj);
    else
        *out = obj;
    return err;
}

static mobid_err build_array(issuer *is, const json_t *in, unsigned depth, json_t **out)
{
    json_t *arr = json_array();
    mobid_err err = arr ? MOBID_OK : MOBID_ERR_NOMEM;
    size_t mark = is->path.len, i;
    json_t *val;
    json_array_foreach((json_t *)in, i, val) {
        json_t *child = NULL;
        bool sel = false;
        err = mobid_sdjwt_path_push_index(&is->path, i);
        if (err == MOBID_OK)
            err = mobid_buf_terminate(&is->path);
        if (err == MOBID_OK)
            err = selected(is, "", depth, &sel);
        if (err == MOBID_OK)
            err = build(is, val, depth + 1, &child);
        is->path.len = mark;
        if (err == MOBID_OK && sel) {
            char d[MOBID_SDJWT_DIGEST_MAX] = { 0 };
            err = disclose(is, NULL, child, d);
            json_decref(child);
            child = err == MOBID_OK ? json_pack("{ss}", "...", d) : NULL;
            if (err == MOBID_OK && !child)
                err = MOBID_ERR_NOMEM;
        }
        if (err == MOBID_OK && json_array_append(arr, child) != 0)
            err = MOBID_ERR_NOMEM;
        json_decref(child);
        if (err != MOBID_OK)
            break;
    }
    if (err != MOBID_OK)
        json_decref(arr);
    else
        *out = arr;
    return err;
}

static mobid_err build(issuer *is, const json_t *in, unsigned depth, json_t **out)
{
    *out = NULL;
    if (depth > MOBID_SDJWT_MAX_DEPTH)
        return MOBID_ERR_TOO_DEEP;
    if (json_is_object(in))
        return build_object(is, in, depth, out);
    if (json_is_array(in))
        return build_array(is, in, depth, out);
    *out = json_incref((json_t *)in);
    return MOBID_OK;
}

mobid_err mobid_sdjwt_issue(const mobid_sdjwt_issue_params *p, mobid_buf *out)
{
    if (!p || !out || !json_is_object(p->claims) || !p->issuer_key)
        return MOBID_ERR_INVALID_ARG;
    issuer is = { .paths = p->sd_paths, .hash = p->hash ? p->hash : MOBID_HASH_SHA256,
                  .decoys = p->decoys };
    for (; p->sd_paths && p->sd_paths[is.n_paths]; is.n_paths++)
        ;
    mobid_buf_init(&is.path, 0);
    mobid_buf_init(&is.tail, 0);
    json_t *claims = NULL;
    mobid_err err = MOBID_ERR_NOMEM;
    is.hit = mobid_calloc(is.n_paths + 1, sizeof *is.hit);
    if (!is.hit || mobid_sdjwt_hash_name(is.hash) == NULL) {
        err = is.hit ? MOBID_ERR_INVALID_ARG : MOBID_ERR_NOMEM;
        goto done;
    }
    for (size_t i = 0; i < is.n_paths; i++) {
        char first[16];
        size_t len = strcspn(is.paths[i], "/");
        if (len < sizeof first) {
            memcpy(first, is.paths[i], len);
            first[len] = 0;
            if (mobid_sdjwt_never_disclosable(first)) {
                err = MOBID_ERR_INVALID_ARG;
                goto done;
            }
        }
    }
    err = build(&is, p->claims, 0, &claims);
    for (size_t i = 0; err == MOBID_OK && i < is.n_paths; i++)
        if (!is.hit[i] && !strchr(is.paths[i], '*'))
            err = MOBID_ERR_NOT_FOUND;
    if (err == MOBID_OK)
        err = mobid_sdjwt_issue_sign(p, claims, out);
    if (err == MOBID_OK) {
        mobid_buf_append_byte(out, '~');
        err = mobid_buf_append_view(out, mobid_buf_view(&is.tail));
    }
done:
    json_decref(claims);
    mobid_free(is.hit);
    mobid_buf_free(&is.path);
    mobid_buf_free(&is.tail);
    return err;
}
