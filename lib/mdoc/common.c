/* Pieces shared by the issuer, holder and verifier: limits, lookups, dates, EMacKey. */
#include "mdoc_internal.h"

#include <string.h>

const mobid_cbor_limits mdoc_limits = {
    .max_depth = 24,
    .max_items = 100000,
    .max_string = 4 * 1024 * 1024,
};

mobid_err mdoc_map_need(const mobid_cbor_item *map, const char *key, mobid_cbor_item *out)
{
    mobid_err err = mobid_cbor_map_get_text(map, key, out);
    return err == MOBID_OK ? MOBID_OK : MOBID_ERR_MALFORMED;
}

mobid_err mdoc_map_text(const mobid_cbor_item *map, const char *key, mobid_view *out)
{
    mobid_cbor_item it;
    if (mdoc_map_need(map, key, &it) != MOBID_OK || mobid_cbor_get_text(&it, out) != MOBID_OK)
        return MOBID_ERR_MALFORMED;
    return MOBID_OK;
}

mobid_err mdoc_embedded(const mobid_cbor_item *it, bool allow_plain, mobid_cbor_item *out)
{
    if (it->type == MOBID_CBOR_TAG && it->arg == 24)
        return mobid_cbor_get_embedded(it, &mdoc_limits, out, NULL) == MOBID_OK
                   ? MOBID_OK
                   : MOBID_ERR_MALFORMED;
    if (!allow_plain || it->type == MOBID_CBOR_TAG)
        return MOBID_ERR_MALFORMED;
    *out = *it;
    return MOBID_OK;
}

mobid_err mdoc_issuer_signed_find(mobid_view in, mobid_cbor_item *issuer_signed)
{
    mobid_cbor_item top, inner;
    if (mobid_cbor_decode_exact(in, &mdoc_limits, &top) != MOBID_OK || top.type != MOBID_CBOR_MAP)
        return MOBID_ERR_MALFORMED;
    if (mobid_cbor_map_get_text(&top, "issuerSigned", &inner) == MOBID_OK)
        top = inner; /* a whole Document */
    if (top.type != MOBID_CBOR_MAP)
        return MOBID_ERR_MALFORMED;
    *issuer_signed = top;
    return MOBID_OK;
}

static void put_device_auth(mobid_cbor_enc *e, mobid_view st, mobid_view doctype,
                            mobid_view dns)
{
    mobid_cbor_put_tag(e, 24);
    mobid_cbor_bstr_begin(e);
    mobid_cbor_put_array_head(e, 4);
    mobid_cbor_put_cstr(e, "DeviceAuthentication");
    mobid_cbor_put_raw(e, st);
    mobid_cbor_put_text(e, doctype);
    mobid_cbor_put_raw(e, dns);
    mobid_cbor_bstr_end(e);
}

mobid_err mdoc_device_auth_bytes(mobid_view st, mobid_view doctype, mobid_view dns,
                                 mobid_buf *out)
{
    mobid_cbor_enc e;
    /* A size-only pass first, so the buffer is allocated once (verifier hot path). */
    mobid_cbor_enc_init(&e, NULL);
    put_device_auth(&e, st, doctype, dns);
    if (e.err == MOBID_OK)
        mobid_buf_reserve(out, e.size);
    mobid_cbor_enc_init(&e, out);
    put_device_auth(&e, st, doctype, dns);
    return mobid_cbor_enc_finish(&e);
}

mobid_err mobid_mdoc_get_tdate(const mobid_cbor_item *it, mobid_time *out)
{
    mobid_cbor_item inner;
    mobid_view s;
    int64_t n;
    if (it->type != MOBID_CBOR_TAG || mobid_cbor_tag_content(it, &inner) != MOBID_OK)
        return MOBID_ERR_MALFORMED;
    if (it->arg == 0 && mobid_cbor_get_text(&inner, &s) == MOBID_OK)
        return mobid_time_parse_rfc3339(s, out, NULL) == MOBID_OK ? MOBID_OK
                                                                   : MOBID_ERR_BAD_TIME;
    if (it->arg == 1 && mobid_cbor_get_int64(&inner, &n) == MOBID_OK) {
        *out = n;
        return MOBID_OK;
    }
    return MOBID_ERR_MALFORMED;
}

mobid_err mobid_mdoc_get_full_date(const mobid_cbor_item *it, int64_t *days)
{
    mobid_cbor_item inner = *it;
    mobid_view s;
    if (it->type == MOBID_CBOR_TAG) {
        if (mobid_cbor_tag_content(it, &inner) != MOBID_OK)
            return MOBID_ERR_MALFORMED;
        if (it->arg == 100)
            return mobid_cbor_get_int64(&inner, days) == MOBID_OK ? MOBID_OK
                                                                  : MOBID_ERR_MALFORMED;
        if (it->arg != 1004)
            return MOBID_ERR_MALFORMED;
    }
    if (mobid_cbor_get_text(&inner, &s) != MOBID_OK)
        return MOBID_ERR_MALFORMED;
    return mobid_date_parse(s, days) == MOBID_OK ? MOBID_OK : MOBID_ERR_BAD_TIME;
}

/* CBOR head of a byte string of len bytes; returns its size. */
static size_t bstr_head(size_t len, uint8_t head[9])
{
    size_t n = len < 24 ? 0 : len < 256 ? 1 : len < 65536 ? 2 : 4;
    head[0] = (uint8_t)(0x40 | (n == 0 ? len : n == 1 ? 24 : n == 2 ? 25 : 26));
    for (size_t i = 0; i < n; i++)
        head[1 + i] = (uint8_t)(len >> (8 * (n - 1 - i)));
    return 1 + n;
}

mobid_err mobid_mdoc_emac_key(const mobid_key *priv, const mobid_key *peer,
                              mobid_view transcript, uint8_t key[32])
{
    mobid_buf z;
    mobid_view st;
    uint8_t head[9], salt[MOBID_HASH_MAX];
    mobid_view parts[3];
    mobid_err err = mobid_mdoc_transcript_unwrap(transcript, &st);
    if (err != MOBID_OK)
        return err;
    /* salt = SHA-256(SessionTranscriptBytes), the tag-24 wrapping of the array. */
    parts[0] = mobid_view_make("\xd8\x18", 2);
    parts[1] = mobid_view_make(head, bstr_head(st.len, head));
    parts[2] = st;
    err = mobid_hash_parts(MOBID_HASH_SHA256, parts, 3, salt);
    if (err != MOBID_OK)
        return err;
    mobid_buf_init(&z, 0);
    err = mobid_ecdh(priv, peer, &z);
    if (err == MOBID_OK)
        err = mobid_hkdf(MOBID_HASH_SHA256, mobid_view_make(salt, 32), mobid_buf_view(&z),
                         mobid_view_str("EMacKey"), key, 32);
    mobid_buf_free(&z);
    return err;
}

mobid_err mdoc_map_fields(const mobid_cbor_item *map, mdoc_field *f, size_t n)
{
    mobid_cbor_iter it;
    mobid_cbor_item k, v;
    size_t lens[MDOC_MAX_FIELDS];
    if (map->type != MOBID_CBOR_MAP || n > MDOC_MAX_FIELDS)
        return MOBID_ERR_MALFORMED;
    for (size_t i = 0; i < n; i++) {
        f[i].found = false;
        lens[i] = strlen(f[i].key);
    }
    mobid_cbor_iter_init(&it, map);
    while (mobid_cbor_iter_next(&it, &k) == MOBID_OK) {
        if (mobid_cbor_iter_next(&it, &v) != MOBID_OK)
            return MOBID_ERR_MALFORMED;
        if (k.type != MOBID_CBOR_TEXT || k.indefinite)
            continue;
        for (size_t i = 0; i < n; i++) {
            if (k.str.len != lens[i] || memcmp(k.str.ptr, f[i].key, lens[i]))
                continue;
            if (f[i].found)
                return MOBID_ERR_MALFORMED; /* a duplicate key is ambiguous */
            f[i].val = v;
            f[i].found = true;
            break;
        }
    }
    return MOBID_OK;
}
