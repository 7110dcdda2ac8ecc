/* Disclosures: building, digesting, splitting a presentation and decoding its parts. */
#include "sdjwt_internal.h"

#include <mobid/jose.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

mobid_err mobid_sdjwt_hash_from_name(const char *name, mobid_hash_alg *out)
{
    if (!name || !out)
        return MOBID_ERR_UNSUPPORTED;
    if (!strcmp(name, "sha-256"))
        *out = MOBID_HASH_SHA256;
    else if (!strcmp(name, "sha-384"))
        *out = MOBID_HASH_SHA384;
    else if (!strcmp(name, "sha-512"))
        *out = MOBID_HASH_SHA512;
    else
        return MOBID_ERR_UNSUPPORTED;
    return MOBID_OK;
}

const char *mobid_sdjwt_hash_name(mobid_hash_alg h)
{
    switch (h) {
    case MOBID_HASH_SHA256: return "sha-256";
    case MOBID_HASH_SHA384: return "sha-384";
    case MOBID_HASH_SHA512: return "sha-512";
    }
    return NULL;
}

static bool reserved_name(const char *name)
{
    return !strcmp(name, "_sd") || !strcmp(name, "...");
}

mobid_err mobid_sdjwt_disclosure_make(const char *salt, const char *name, const json_t *value,
                                      mobid_buf *out)
{
    if (!salt || !value || !out || (name && reserved_name(name)))
        return MOBID_ERR_INVALID_ARG;
    mobid_err err = MOBID_ERR_NOMEM;
    mobid_buf json;
    mobid_buf_init(&json, 0);
    json_t *arr = json_array();
    if (!arr || json_array_append_new(arr, json_string(salt)) != 0)
        goto done;
    if (name && json_array_append_new(arr, json_string(name)) != 0)
        goto done;
    /* json_array_append takes its own reference; the caller's value stays untouched. */
    if (json_array_append(arr, (json_t *)value) != 0)
        goto done;
    err = mobid_json_dump(arr, false, &json);
    if (err == MOBID_OK)
        err = mobid_b64url_encode(mobid_buf_view(&json), out);
done:
    json_decref(arr);
    mobid_buf_free(&json);
    return err;
}

void mobid_sdjwt_digest_encode(const uint8_t *md, size_t n, char out[MOBID_SDJWT_DIGEST_MAX])
{
    /* Encode into a stack buffer: this runs for every disclosure on the hot path. */
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t o = 0, i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)md[i] << 16 | (uint32_t)md[i + 1] << 8 | md[i + 2];
        out[o++] = alphabet[v >> 18];
        out[o++] = alphabet[(v >> 12) & 63];
        out[o++] = alphabet[(v >> 6) & 63];
        out[o++] = alphabet[v & 63];
    }
    if (n - i == 1) {
        out[o++] = alphabet[md[i] >> 2];
        out[o++] = alphabet[(md[i] & 3) << 4];
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)md[i] << 8 | md[i + 1];
        out[o++] = alphabet[v >> 10];
        out[o++] = alphabet[(v >> 4) & 63];
        out[o++] = alphabet[(v & 15) << 2];
    }
    out[o] = 0;
}

mobid_err mobid_sdjwt_digest_str(mobid_hash_alg h, mobid_view text,
                                 char out[MOBID_SDJWT_DIGEST_MAX])
{
    uint8_t md[MOBID_HASH_MAX];
    mobid_err err = mobid_hash(h, text, md);
    if (err == MOBID_OK)
        mobid_sdjwt_digest_encode(md, mobid_hash_size(h), out);
    return err;
}

mobid_err mobid_sdjwt_digest(mobid_hash_alg h, mobid_view disclosure, mobid_buf *out)
{
    if (!out || mobid_hash_size(h) == 0)
        return MOBID_ERR_INVALID_ARG;
    char d[MOBID_SDJWT_DIGEST_MAX];
    mobid_err err = mobid_sdjwt_digest_str(h, disclosure, d);
    if (err != MOBID_OK)
        return err;
    return mobid_buf_append_str(out, d);
}

/* True when v is three parts separated by exactly two dots, the first two non-empty.
 * (An empty signature is left for the JWS layer to refuse, so "alg":"none" is reported
 * as a disallowed algorithm rather than as a malformed input.) */
static bool is_compact_jwt(mobid_view v)
{
    /* memchr, not a byte loop: the issuer JWT is a kilobyte and this ran at 1.5% of a
     * verification. */
    const uint8_t *p = v.ptr, *end = v.ptr + v.len;
    size_t dots = 0;
    while (p < end) {
        const uint8_t *dot = memchr(p, '.', (size_t)(end - p));
        if (!dot)
            break;
        if (dot == p || ++dots > 2)
            return false;
        p = dot + 1;
    }
    return dots == 2;
}

mobid_err mobid_sdjwt_split(mobid_view in, mobid_sdjwt_parts *parts, mobid_view *disclosures,
                            size_t max)
{
    if (!parts || (max && !disclosures))
        return MOBID_ERR_INVALID_ARG;
    memset(parts, 0, sizeof *parts);
    if (in.len > MOBID_SDJWT_MAX_INPUT)
        return MOBID_ERR_TOO_BIG;
    const uint8_t *tilde = in.len ? memchr(in.ptr, '~', in.len) : NULL;
    if (!tilde)
        return MOBID_ERR_MALFORMED;
    parts->jwt = mobid_view_make(in.ptr, (size_t)(tilde - in.ptr));
    if (!is_compact_jwt(parts->jwt))
        return MOBID_ERR_MALFORMED;
    size_t pos = (size_t)(tilde - in.ptr) + 1, n = 0, last_tilde = pos;
    while (pos < in.len) {
        const uint8_t *next = memchr(in.ptr + pos, '~', in.len - pos);
        if (!next)
            break;
        size_t end = (size_t)(next - in.ptr);
        if (end == pos)
            return MOBID_ERR_MALFORMED; /* "~~": an empty disclosure */
        if (n >= MOBID_SDJWT_MAX_DISCLOSURES)
            return MOBID_ERR_TOO_BIG;
        if (n < max)
            disclosures[n] = mobid_view_make(in.ptr + pos, end - pos);
        n++;
        pos = end + 1;
        last_tilde = pos;
    }
    parts->n_disclosures = n;
    parts->sd_hash_input = mobid_view_make(in.ptr, last_tilde);
    parts->kb = mobid_view_make(in.ptr + last_tilde, in.len - last_tilde);
    if (parts->kb.len && !is_compact_jwt(parts->kb))
        return MOBID_ERR_MALFORMED;
    return n > max ? MOBID_ERR_BUFFER_TOO_SMALL : MOBID_OK;
}

/* Decode one disclosure into d: a JSON array [salt, name, value] or [salt, value]
 * with a string salt and, for the first form, a string name. */
static mobid_err disc_decode(sd_disc *d, mobid_buf *scratch)
{
    scratch->len = 0;
    scratch->err = MOBID_OK;
    mobid_err err = mobid_b64url_decode(d->text, scratch);
    if (err != MOBID_OK)
        return err;
    err = mobid_json_parse(mobid_buf_view(scratch), MOBID_SDJWT_MAX_INPUT, &d->arr);
    if (err != MOBID_OK)
        return err;
    size_t n = json_array_size(d->arr);
    if (!json_is_array(d->arr) || (n != 2 && n != 3))
        return MOBID_ERR_MALFORMED;
    if (!json_is_string(json_array_get(d->arr, 0)))
        return MOBID_ERR_MALFORMED;
    if (n == 3) {
        json_t *name = json_array_get(d->arr, 1);
        if (!json_is_string(name))
            return MOBID_ERR_MALFORMED;
        d->name = json_string_value(name);
    }
    d->value = json_array_get(d->arr, n - 1);
    return MOBID_OK;
}

static int cmp_digest(const void *a, const void *b)
{
    return strcmp((*(sd_disc *const *)a)->digest, (*(sd_disc *const *)b)->digest);
}

mobid_err mobid_sdjwt_set_load(sd_set *s, const mobid_view *texts, size_t n, mobid_hash_alg h,
                               char *detail, size_t dlen)
{
    memset(s, 0, sizeof *s);
    s->hash = h;
    if (n == 0)
        return MOBID_OK;
    s->d = mobid_calloc(n, sizeof *s->d);
    s->by_digest = mobid_calloc(n, sizeof *s->by_digest);
    if (!s->d || !s->by_digest)
        return MOBID_ERR_NOMEM;
    s->n = n;
    mobid_buf scratch;
    mobid_buf_init(&scratch, MOBID_SDJWT_MAX_INPUT);
    mobid_err err = MOBID_OK;
    for (size_t i = 0; i < n && err == MOBID_OK; i++) {
        s->d[i].text = texts[i];
        s->d[i].parent = -1;
        s->by_digest[i] = &s->d[i];
        err = disc_decode(&s->d[i], &scratch);
        if (err == MOBID_OK)
            err = mobid_sdjwt_digest_str(h, texts[i], s->d[i].digest);
        if (err != MOBID_OK)
            snprintf(detail, dlen, "disclosure %zu is not a valid disclosure (%s)", i + 1,
                     mobid_err_name(err));
    }
    mobid_buf_free(&scratch);
    if (err != MOBID_OK)
        return err;
    qsort(s->by_digest, n, sizeof *s->by_digest, cmp_digest);
    for (size_t i = 1; i < n; i++) {
        if (!strcmp(s->by_digest[i]->digest, s->by_digest[i - 1]->digest)) {
            snprintf(detail, dlen, "disclosure %zu is given twice",
                     (size_t)(s->by_digest[i] - s->d) + 1);
            return MOBID_ERR_DUPLICATE_DISCLOSURE;
        }
    }
    return MOBID_OK;
}

void mobid_sdjwt_set_clear(sd_set *s)
{
    for (size_t i = 0; i < s->n; i++) {
        json_decref(s->d[i].arr);
        free(s->d[i].path);
    }
    mobid_free(s->d);
    mobid_free(s->by_digest);
    memset(s, 0, sizeof *s);
}

mobid_err mobid_sdjwt_take_hash_alg(json_t *payload, mobid_hash_alg *out, char *detail, size_t dlen)
{
    *out = MOBID_HASH_SHA256;
    json_t *alg = json_object_get(payload, "_sd_alg");
    if (!alg)
        return MOBID_OK;
    if (mobid_sdjwt_hash_from_name(json_string_value(alg), out) != MOBID_OK) {
        snprintf(detail, dlen, "_sd_alg %s is not supported",
                 json_is_string(alg) ? json_string_value(alg) : "(not a string)");
        return MOBID_ERR_UNSUPPORTED;
    }
    json_object_del(payload, "_sd_alg");
    return MOBID_OK;
}
