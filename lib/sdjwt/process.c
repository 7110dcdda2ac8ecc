/*
 * The claim-processing algorithm of RFC 9901 §7.1 (steps 3-5), shared by the verifier
 * and the holder: digests in "_sd" arrays and {"...": digest} array elements are
 * replaced by the claims their disclosures carry, recursively; unmatched digests
 * (decoys, undisclosed claims) disappear. Every misuse is rejected with its own code.
 */
#include "sdjwt_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct walk {
    sd_set *set;
    bool record_paths;
    mobid_buf path;        /* current claim path (only with record_paths) */
    long parent;           /* disclosure whose value is being walked; -1 = the JWT */
    mobid_buf seen;        /* every unmatched digest, NUL-separated, to find repeats */
    size_t n_seen;
    char *detail;
    size_t dlen;
} walk;

static mobid_err walk_value(walk *w, json_t *v, unsigned depth);

static int cmp_digest(const void *key, const void *elem)
{
    return strcmp((const char *)key, (*(sd_disc *const *)elem)->digest);
}

static sd_disc *lookup(walk *w, const char *digest)
{
    if (w->set->n == 0)
        return NULL;
    sd_disc **hit = bsearch(digest, w->set->by_digest, w->set->n, sizeof *w->set->by_digest,
                            cmp_digest);
    return hit ? *hit : NULL;
}

static mobid_err fail(walk *w, mobid_err err, const char *what, const char *name)
{
    snprintf(w->detail, w->dlen, "%s%s%s", what, name ? ": " : "", name ? name : "");
    return err;
}

/* A digest with no disclosure: remember it so a repeat is caught at the end. */
static mobid_err note_unmatched(walk *w, const char *digest)
{
    w->n_seen++;
    return mobid_buf_append(&w->seen, digest, strlen(digest) + 1);
}

/* Mark d as used at the current position, or say why it cannot be. */
static mobid_err claim_disclosure(walk *w, sd_disc *d, bool want_name)
{
    if (d->used)
        return fail(w, MOBID_ERR_DUPLICATE_DISCLOSURE, "digest referenced twice", d->digest);
    if (want_name && !d->name)
        return fail(w, MOBID_ERR_MALFORMED, "array-element disclosure in an object", d->digest);
    if (!want_name && d->name)
        return fail(w, MOBID_ERR_MALFORMED, "object-property disclosure in an array", d->digest);
    d->used = true;
    d->parent = w->parent;
    if (w->record_paths) {
        mobid_buf copy;
        mobid_buf_init(&copy, 0);
        mobid_buf_append_view(&copy, mobid_buf_view(&w->path));
        if (mobid_buf_terminate(&copy) != MOBID_OK)
            return MOBID_ERR_NOMEM;
        d->path = mobid_buf_detach_str(&copy);
    }
    return MOBID_OK;
}

/* Walk a disclosed value with the path already pushed and d as the parent. */
static mobid_err walk_disclosed(walk *w, sd_disc *d, unsigned depth)
{
    long saved = w->parent;
    w->parent = (long)(d - w->set->d);
    mobid_err err = walk_value(w, d->value, depth + 1);
    w->parent = saved;
    return err;
}

static mobid_err walk_sd_digests(walk *w, json_t *obj, json_t *sd, unsigned depth)
{
    size_t i, mark = w->path.len;
    json_t *dj;
    json_array_foreach(sd, i, dj) {
        const char *digest = json_string_value(dj);
        if (!digest)
            return fail(w, MOBID_ERR_MALFORMED, "_sd holds a non-string", NULL);
        sd_disc *d = lookup(w, digest);
        if (!d) {
            if (note_unmatched(w, digest) != MOBID_OK)
                return MOBID_ERR_NOMEM;
            continue;
        }
        if (d->name && w->record_paths && mobid_sdjwt_path_push(&w->path, d->name) != MOBID_OK)
            return MOBID_ERR_NOMEM;
        mobid_err err = claim_disclosure(w, d, true);
        if (err != MOBID_OK)
            return err;
        if (!strcmp(d->name, "_sd") || !strcmp(d->name, "..."))
            return fail(w, MOBID_ERR_RESERVED_CLAIM_NAME, "disclosed claim name", d->name);
        if (json_object_get(obj, d->name))
            return fail(w, MOBID_ERR_DUPLICATE_CLAIM, "disclosed claim already present",
                        d->name);
        err = walk_disclosed(w, d, depth);
        w->path.len = mark;
        if (err != MOBID_OK)
            return err;
        if (json_object_set(obj, d->name, d->value) != 0)
            return MOBID_ERR_NOMEM;
    }
    return MOBID_OK;
}

static mobid_err walk_object(walk *w, json_t *obj, unsigned depth)
{
    if (json_object_get(obj, "..."))
        return fail(w, MOBID_ERR_RESERVED_CLAIM_NAME, "claim named", "...");
    json_t *sd = json_object_get(obj, "_sd");
    if (sd && !json_is_array(sd))
        return fail(w, MOBID_ERR_MALFORMED, "_sd is not an array", NULL);
    json_incref(sd);
    json_object_del(obj, "_sd");
    mobid_err err = MOBID_OK;
    size_t mark = w->path.len;
    const char *key;
    json_t *val;
    json_object_foreach(obj, key, val) {
        if (w->record_paths && mobid_sdjwt_path_push(&w->path, key) != MOBID_OK)
            err = MOBID_ERR_NOMEM;
        if (err == MOBID_OK)
            err = walk_value(w, val, depth + 1);
        w->path.len = mark;
        if (err != MOBID_OK)
            break;
    }
    if (err == MOBID_OK && sd)
        err = walk_sd_digests(w, obj, sd, depth);
    json_decref(sd);
    return err;
}

/* {"...": digest} with no other member marks a disclosable array element. */
static json_t *element_digest(json_t *e)
{
    if (!json_is_object(e) || json_object_size(e) != 1)
        return NULL;
    return json_object_get(e, "...");
}

static mobid_err walk_array_digest(walk *w, json_t *arr, size_t *i, json_t *dj, unsigned depth)
{
    const char *digest = json_string_value(dj);
    if (!digest)
        return fail(w, MOBID_ERR_MALFORMED, "array element digest is not a string", NULL);
    sd_disc *d = lookup(w, digest);
    if (!d) {
        if (note_unmatched(w, digest) != MOBID_OK)
            return MOBID_ERR_NOMEM;
        return json_array_remove(arr, *i) == 0 ? MOBID_OK : MOBID_ERR_NOMEM;
    }
    mobid_err err = claim_disclosure(w, d, false);
    if (err == MOBID_OK)
        err = walk_disclosed(w, d, depth);
    if (err == MOBID_OK && json_array_set(arr, *i, d->value) != 0)
        err = MOBID_ERR_NOMEM;
    (*i)++;
    return err;
}

static mobid_err walk_array(walk *w, json_t *arr, unsigned depth)
{
    size_t mark = w->path.len, i = 0;
    mobid_err err = MOBID_OK;
    /* pos counts positions in the issuer-signed array; i the position after removals. */
    for (size_t pos = 0; i < json_array_size(arr) && err == MOBID_OK; pos++) {
        json_t *e = json_array_get(arr, i);
        if (w->record_paths && mobid_sdjwt_path_push_index(&w->path, pos) != MOBID_OK)
            err = MOBID_ERR_NOMEM;
        json_t *dj = element_digest(e);
        if (err != MOBID_OK)
            ;
        else if (dj)
            err = walk_array_digest(w, arr, &i, dj, depth);
        else {
            err = walk_value(w, e, depth + 1);
            i++;
        }
        w->path.len = mark;
    }
    return err;
}

static mobid_err walk_value(walk *w, json_t *v, unsigned depth)
{
    if (depth > MOBID_SDJWT_MAX_DEPTH)
        return fail(w, MOBID_ERR_TOO_DEEP, "claims nest too deeply", NULL);
    if (json_is_object(v))
        return walk_object(w, v, depth);
    if (json_is_array(v))
        return walk_array(w, v, depth);
    return MOBID_OK;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* An unmatched digest seen twice is a repeat as well (RFC 9901 §7.1 step 3.4). */
static mobid_err check_repeats(walk *w)
{
    if (w->n_seen < 2)
        return MOBID_OK;
    const char **v = mobid_calloc(w->n_seen, sizeof *v);
    if (!v)
        return MOBID_ERR_NOMEM;
    const char *p = (const char *)w->seen.ptr;
    for (size_t i = 0; i < w->n_seen; i++, p += strlen(p) + 1)
        v[i] = p;
    qsort(v, w->n_seen, sizeof *v, cmp_str);
    mobid_err err = MOBID_OK;
    for (size_t i = 1; i < w->n_seen && err == MOBID_OK; i++)
        if (!strcmp(v[i], v[i - 1]))
            err = fail(w, MOBID_ERR_DUPLICATE_DIGEST, "digest appears twice", v[i]);
    mobid_free(v);
    return err;
}

mobid_err mobid_sdjwt_process(sd_set *s, json_t *payload, bool record_paths, char *detail,
                              size_t dlen)
{
    walk w = { .set = s, .record_paths = record_paths, .parent = -1, .detail = detail,
               .dlen = dlen };
    mobid_buf_init(&w.path, 0);
    mobid_buf_init(&w.seen, 0);
    mobid_err err = json_is_object(payload) ? walk_value(&w, payload, 0) : MOBID_ERR_MALFORMED;
    if (err == MOBID_OK && w.seen.err != MOBID_OK)
        err = w.seen.err;
    if (err == MOBID_OK)
        err = check_repeats(&w);
    for (size_t i = 0; i < s->n && err == MOBID_OK; i++)
        if (!s->d[i].used)
            err = fail(&w, MOBID_ERR_DISCLOSURE_UNREFERENCED, "disclosure not referenced",
                       s->d[i].digest);
    mobid_buf_free(&w.path);
    mobid_buf_free(&w.seen);
    return err;
}
