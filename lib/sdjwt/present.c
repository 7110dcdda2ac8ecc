/* The holder: choose disclosures by claim path and bind the presentation to a key. */
#include "sdjwt_internal.h"

#include <mobid/jose.h>
#include <stdlib.h>
#include <string.h>

/* Copy the next path segment of *p into seg (unescaping ~0 and ~1) and advance. */
static void next_segment(const char **p, char *seg, size_t cap)
{
    size_t n = 0;
    const char *s = *p;
    for (; *s && *s != '/'; s++) {
        char c = *s;
        if (c == '~' && (s[1] == '0' || s[1] == '1'))
            c = *++s == '0' ? '~' : '/';
        if (n + 1 < cap)
            seg[n++] = c;
    }
    seg[n] = 0;
    *p = *s ? s + 1 : s;
}

/* Does pattern name something in the (fully disclosed) claims? */
static bool path_exists(const json_t *v, const char *pattern)
{
    if (!*pattern)
        return true;
    char seg[256];
    const char *rest = pattern;
    next_segment(&rest, seg, sizeof seg);
    bool star = !strcmp(seg, "*");
    if (json_is_object(v)) {
        if (!star)
            return json_object_get(v, seg) && path_exists(json_object_get(v, seg), rest);
        const char *k;
        json_t *c;
        json_object_foreach((json_t *)v, k, c)
            if (path_exists(c, rest))
                return true;
    } else if (json_is_array(v)) {
        size_t i;
        json_t *c;
        json_array_foreach(v, i, c) {
            char *end = NULL;
            if ((star || (strtoul(seg, &end, 10) == i && end && !*end && *seg)) &&
                path_exists(c, rest))
                return true;
        }
    }
    return false;
}

/* Mark the disclosures covered by a reveal path, and their ancestors. */
static mobid_err select_disclosures(sd_set *s, const json_t *claims,
                                    const char *const *reveal, bool *keep)
{
    for (size_t r = 0; reveal && reveal[r]; r++) {
        bool found = path_exists(claims, reveal[r]);
        for (size_t i = 0; i < s->n; i++) {
            if (s->d[i].path && mobid_sdjwt_path_covers(reveal[r], s->d[i].path)) {
                found = true;
                for (long k = (long)i; k >= 0 && !keep[k]; k = s->d[k].parent)
                    keep[k] = true;
            }
        }
        if (!found)
            return MOBID_ERR_NOT_FOUND;
    }
    return MOBID_OK;
}

/* The holder key must be the one the issuer bound the credential to. */
static mobid_err check_cnf(const json_t *claims, const mobid_key *holder)
{
    json_t *jwk = json_object_get(json_object_get(claims, "cnf"), "jwk");
    if (!jwk)
        return MOBID_OK;
    mobid_key *bound = NULL;
    mobid_err err = mobid_jwk_to_key(jwk, &bound);
    if (err == MOBID_OK && !mobid_key_public_eq(bound, holder))
        err = MOBID_ERR_KEY_INVALID;
    mobid_key_free(bound);
    return err;
}

static mobid_err load_credential(mobid_view sdjwt, mobid_sdjwt_parts *parts, mobid_view **discs,
                                 mobid_jws *jws, json_t **claims, mobid_hash_alg *hash)
{
    mobid_err err = mobid_sdjwt_split(sdjwt, parts, NULL, 0);
    if (err != MOBID_OK && err != MOBID_ERR_BUFFER_TOO_SMALL)
        return err;
    *discs = mobid_calloc(parts->n_disclosures + 1, sizeof **discs);
    if (!*discs)
        return MOBID_ERR_NOMEM;
    err = mobid_sdjwt_split(sdjwt, parts, *discs, parts->n_disclosures);
    if (err == MOBID_OK)
        err = mobid_jws_parse(parts->jwt, jws);
    if (err == MOBID_OK)
        err = mobid_json_parse(mobid_buf_view(&jws->payload), MOBID_SDJWT_MAX_INPUT, claims);
    if (err == MOBID_OK && !json_is_object(*claims))
        err = MOBID_ERR_MALFORMED;
    char detail[8];
    if (err == MOBID_OK)
        err = mobid_sdjwt_take_hash_alg(*claims, hash, detail, sizeof detail);
    return err;
}

mobid_err mobid_sdjwt_present(mobid_view sdjwt, const mobid_sdjwt_present_params *p,
                              mobid_buf *out)
{
    if (!p || !out || (p->holder_key && (!p->aud || !p->nonce)))
        return MOBID_ERR_INVALID_ARG;
    mobid_sdjwt_parts parts;
    mobid_view *discs = NULL;
    mobid_jws jws;
    memset(&jws, 0, sizeof jws);
    json_t *claims = NULL;
    sd_set set;
    memset(&set, 0, sizeof set);
    bool *keep = NULL;
    mobid_hash_alg hash = MOBID_HASH_SHA256;
    char detail[192];
    mobid_err err = load_credential(sdjwt, &parts, &discs, &jws, &claims, &hash);
    if (err == MOBID_OK)
        err = mobid_sdjwt_set_load(&set, discs, parts.n_disclosures, hash, detail, sizeof detail);
    if (err == MOBID_OK)
        err = mobid_sdjwt_process(&set, claims, true, detail, sizeof detail);
    if (err == MOBID_OK && p->holder_key)
        err = check_cnf(claims, p->holder_key);
    if (err == MOBID_OK && !(keep = mobid_calloc(set.n + 1, sizeof *keep)))
        err = MOBID_ERR_NOMEM;
    if (err == MOBID_OK)
        err = select_disclosures(&set, claims, p->reveal, keep);
    if (err != MOBID_OK)
        goto done;
    size_t start = out->len;
    mobid_buf_append_view(out, parts.jwt);
    mobid_buf_append_byte(out, '~');
    for (size_t i = 0; i < set.n; i++) {
        if (keep[i]) {
            mobid_buf_append_view(out, set.d[i].text);
            mobid_buf_append_byte(out, '~');
        }
    }
    err = out->err;
    if (err == MOBID_OK && p->holder_key) {
        mobid_alg alg = p->alg ? p->alg : mobid_sdjwt_alg_for_key(p->holder_key);
        /* sd_hash covers what was appended so far; copy it since out may move. */
        mobid_buf presented;
        mobid_buf_init(&presented, 0);
        err = mobid_buf_append(&presented, out->ptr + start, out->len - start);
        if (err == MOBID_OK)
            err = mobid_sdjwt_make_kb(mobid_buf_view(&presented), hash, p, alg, out);
        mobid_buf_free(&presented);
    }
done:
    mobid_free(keep);
    mobid_sdjwt_set_clear(&set);
    json_decref(claims);
    mobid_jws_clear(&jws);
    mobid_free(discs);
    return err;
}
