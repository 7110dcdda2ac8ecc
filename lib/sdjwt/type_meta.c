/*
 * SD-JWT VC type metadata (draft-ietf-oauth-sd-jwt-vc §6): a vct that is an https URL
 * names the document describing the type, fetched by GET at that URL. When the
 * credential carries "vct#integrity" (W3C Subresource Integrity: "sha256-<base64>"),
 * the bytes fetched must hash to it, so a verifier relies on the issuer's signature
 * and not on whoever serves the URL. Fetched through the issuer cache's transport and
 * kept for its TTL (raw text, so a later integrity value is checked against the bytes).
 */
#include "sdjwt_internal.h"

#include <stdio.h>
#include <string.h>

/* Base64 digits of an SRI value, '=' dropped and the URL-safe alphabet mapped back. */
static void sri_norm(const char *in, size_t n, char *out, size_t cap)
{
    size_t j = 0;
    for (size_t i = 0; i < n && j + 1 < cap; i++)
        if (in[i] != '=')
            out[j++] = in[i] == '-' ? '+' : in[i] == '_' ? '/' : in[i];
    out[j] = 0;
}

/* Does one "alg-digest" token match the document? -1: an algorithm we do not know. */
static int sri_token(mobid_view doc, const char *tok, size_t n)
{
    static const struct { const char *name; mobid_hash_alg h; size_t len; } algs[] = {
        { "sha256-", MOBID_HASH_SHA256, 32 },
        { "sha384-", MOBID_HASH_SHA384, 48 },
        { "sha512-", MOBID_HASH_SHA512, 64 },
    };
    for (size_t a = 0; a < sizeof algs / sizeof *algs; a++) {
        size_t p = strlen(algs[a].name);
        if (n <= p || strncmp(tok, algs[a].name, p))
            continue;
        uint8_t md[MOBID_HASH_MAX];
        char want[128], got[128];
        mobid_buf b;
        mobid_buf_init(&b, 0);
        bool same = mobid_hash(algs[a].h, doc, md) == MOBID_OK &&
                    mobid_b64_encode(mobid_view_make(md, algs[a].len), &b) == MOBID_OK;
        if (same) {
            sri_norm(tok + p, n - p, want, sizeof want);
            sri_norm((const char *)b.ptr, b.len, got, sizeof got);
            same = !strcmp(want, got);
        }
        mobid_buf_free(&b);
        return same;
    }
    return -1;
}

mobid_err mobid_sdjwt_integrity_check(mobid_view doc, const char *integrity)
{
    bool known = false;
    if (!integrity)
        return MOBID_ERR_INVALID_ARG;
    for (const char *t = integrity; *t;) {
        size_t n = strcspn(t, " \t");
        int r = n ? sri_token(doc, t, n) : -1;
        if (r == 1)
            return MOBID_OK;
        known |= r == 0;
        t += n;
        t += strspn(t, " \t");
    }
    return known ? MOBID_ERR_DIGEST_MISMATCH : MOBID_ERR_MALFORMED;
}

mobid_err mobid_sdjwt_type_metadata_check(mobid_view doc, const char *vct, const char *integrity,
                                          json_t **out)
{
    json_t *j = NULL;
    mobid_err err;
    if (!vct || !out)
        return MOBID_ERR_INVALID_ARG;
    *out = NULL;
    if (integrity && (err = mobid_sdjwt_integrity_check(doc, integrity)))
        return err;
    if ((err = mobid_json_parse(doc, 0, &j)) || !json_is_object(j) ||
        !json_is_string(json_object_get(j, "vct")) ||
        strcmp(json_string_value(json_object_get(j, "vct")), vct)) {
        json_decref(j);
        return MOBID_ERR_ISSUER_METADATA_INVALID;
    }
    *out = j;
    return MOBID_OK;
}

/* The document's bytes for vct: from the cache, or fetched now and kept. */
static mobid_err type_text(mobid_sdjwt_issuer_cache *c, const char *vct, mobid_time now,
                           json_t **text, char *detail, size_t len)
{
    mobid_buf key, body;
    mobid_err err = MOBID_OK;
    mobid_buf_init(&key, 0);
    mobid_buf_init(&body, 0);
    mobid_buf_append_str(&key, "vct ");
    mobid_buf_append_str(&key, vct);
    if ((err = mobid_buf_terminate(&key)))
        goto done;
    if ((*text = sdjwt_cache_get(c, (const char *)key.ptr, now)))
        goto done;
    sdjwt_cache_count_fetch(c);
    if ((err = sdjwt_cache_fetch(c, vct, &body, detail, len)))
        goto done;
    if (!(*text = json_stringn((const char *)body.ptr, body.len)))
        err = sdjwt_say(detail, len, MOBID_ERR_ISSUER_METADATA_INVALID, "type metadata at %s is not text", vct);
    else
        sdjwt_cache_put(c, (const char *)key.ptr, *text, now);
done:
    mobid_buf_free(&key);
    mobid_buf_free(&body);
    return err;
}

mobid_err mobid_sdjwt_type_metadata(mobid_sdjwt_issuer_cache *c, const char *vct,
                                    const char *integrity, mobid_time now, json_t **out,
                                    char *detail, size_t detail_len)
{
    json_t *text = NULL;
    if (!c || !vct || !out)
        return MOBID_ERR_INVALID_ARG;
    *out = NULL;
    if ((strncmp(vct, "https://", 8) && strncmp(vct, "http://", 7)) || strchr(vct, '#'))
        return sdjwt_say(detail, detail_len, MOBID_ERR_ISSUER_METADATA_INVALID,
                   "vct %s is not an https URL", vct);
    mobid_err err = type_text(c, vct, now, &text, detail, detail_len);
    if (!err) {
        err = mobid_sdjwt_type_metadata_check(
            mobid_view_make(json_string_value(text), json_string_length(text)), vct, integrity, out);
        if (err == MOBID_ERR_DIGEST_MISMATCH)
            sdjwt_say(detail, detail_len, err, "the type metadata at %s does not match vct#integrity", vct);
        else if (err == MOBID_ERR_MALFORMED)
            sdjwt_say(detail, detail_len, err, "vct#integrity names no sha256, sha384 or sha512 digest");
        else if (err)
            sdjwt_say(detail, detail_len, err, "the document at %s is not the type metadata of %s", vct, vct);
    }
    json_decref(text);
    return err;
}
