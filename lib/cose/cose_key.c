/*
 * COSE_Key (RFC 9052 §7, RFC 9053 §7) for EC2 and OKP public (and private)
 * keys, decoded into a mobid_key and encoded from one.
 */
#include "cose/cose_internal.h"

#include <string.h>

#define KEY_KTY 1
#define KEY_CRV (-1)
#define KEY_X (-2)
#define KEY_Y (-3)
#define KEY_D (-4)

#define KTY_OKP 1
#define KTY_EC2 2

static const struct {
    int64_t kty;
    int64_t crv;
    mobid_curve curve;
} curve_table[] = {
    { KTY_EC2, 1, MOBID_CURVE_P256 },
    { KTY_EC2, 2, MOBID_CURVE_P384 },
    { KTY_EC2, 3, MOBID_CURVE_P521 },
    { KTY_OKP, 4, MOBID_CURVE_X25519 },
    { KTY_OKP, 6, MOBID_CURVE_ED25519 },
};

#define N_CURVES (sizeof curve_table / sizeof curve_table[0])

/* The members this decoder reads must each appear once. */
static mobid_err check_no_duplicates(const mobid_cbor_item *map)
{
    static const int64_t labels[] = { KEY_KTY, KEY_CRV, KEY_X, KEY_Y, KEY_D };
    unsigned seen[5] = { 0 };
    mobid_cbor_iter it;
    mobid_cbor_item key, val;
    mobid_cbor_iter_init(&it, map);
    while (mobid_cbor_iter_next(&it, &key) == MOBID_OK) {
        int64_t label;
        if (mobid_cbor_iter_next(&it, &val) != MOBID_OK)
            return MOBID_ERR_MALFORMED;
        if (mobid_cbor_get_int64(&key, &label) != MOBID_OK)
            continue;
        for (size_t i = 0; i < 5; i++)
            if (labels[i] == label && ++seen[i] > 1)
                return MOBID_ERR_MALFORMED;
    }
    return MOBID_OK;
}

/* A coordinate member: a byte string of exactly `size` bytes. */
static mobid_err get_coord(const mobid_cbor_item *map, int64_t label, size_t size,
                           mobid_view *out)
{
    mobid_cbor_item v;
    mobid_err err = mobid_cbor_map_get_int(map, label, &v);
    if (err != MOBID_OK)
        return err;
    if (label == KEY_Y && v.type == MOBID_CBOR_SIMPLE)
        return MOBID_ERR_UNSUPPORTED; /* compressed point: sign bit only */
    if (mobid_cbor_get_bytes(&v, out) != MOBID_OK || out->len != size)
        return MOBID_ERR_MALFORMED;
    return MOBID_OK;
}

static mobid_err find_curve(const mobid_cbor_item *map, int64_t *kty, mobid_curve *curve)
{
    mobid_cbor_item v;
    int64_t crv;
    if (mobid_cbor_map_get_int(map, KEY_KTY, &v) != MOBID_OK ||
        mobid_cbor_get_int64(&v, kty) != MOBID_OK)
        return MOBID_ERR_MALFORMED; /* kty is required; text kty values are not used */
    if (*kty != KTY_EC2 && *kty != KTY_OKP)
        return MOBID_ERR_UNSUPPORTED;
    if (mobid_cbor_map_get_int(map, KEY_CRV, &v) != MOBID_OK ||
        mobid_cbor_get_int64(&v, &crv) != MOBID_OK)
        return MOBID_ERR_MALFORMED;
    for (size_t i = 0; i < N_CURVES; i++) {
        if (curve_table[i].crv != crv)
            continue;
        if (curve_table[i].kty != *kty)
            return MOBID_ERR_MALFORMED;
        *curve = curve_table[i].curve;
        return MOBID_OK;
    }
    return MOBID_ERR_UNSUPPORTED;
}

mobid_err mobid_cose_key_decode(const mobid_cbor_item *map, mobid_key **out)
{
    mobid_view x = { NULL, 0 }, y = { NULL, 0 }, d = { NULL, 0 };
    mobid_cbor_item v;
    mobid_curve curve = MOBID_CURVE_NONE;
    int64_t kty = 0;
    mobid_err err;

    if (!out)
        return MOBID_ERR_INVALID_ARG;
    *out = NULL;
    if (!map || map->type != MOBID_CBOR_MAP)
        return MOBID_ERR_MALFORMED;
    err = check_no_duplicates(map);
    if (err == MOBID_OK)
        err = find_curve(map, &kty, &curve);
    if (err != MOBID_OK)
        return err;
    size_t size = mobid_curve_size(curve);
    err = get_coord(map, KEY_X, size, &x);
    if (err == MOBID_OK && kty == KTY_EC2)
        err = get_coord(map, KEY_Y, size, &y);
    else if (err == MOBID_OK && mobid_cbor_map_get_int(map, KEY_Y, &v) == MOBID_OK)
        err = MOBID_ERR_MALFORMED; /* OKP keys have no y */
    if (err == MOBID_OK && mobid_cbor_map_get_int(map, KEY_D, &v) == MOBID_OK)
        err = get_coord(map, KEY_D, size, &d);
    if (err == MOBID_ERR_NOT_FOUND)
        err = MOBID_ERR_MALFORMED;
    if (err != MOBID_OK)
        return err;
    return mobid_key_from_coords(curve, x, y, d, out);
}

mobid_err mobid_cose_key_encode(const mobid_key *key, bool include_private,
                                mobid_cbor_enc *enc)
{
    mobid_buf x, y, d;
    mobid_err err = MOBID_ERR_UNSUPPORTED;
    size_t i = 0;

    mobid_buf_init(&x, 0);
    mobid_buf_init(&y, 0);
    mobid_buf_init(&d, 0);
    if (!key || !enc) {
        err = MOBID_ERR_INVALID_ARG;
        goto done;
    }
    while (i < N_CURVES && curve_table[i].curve != mobid_key_curve(key))
        i++;
    if (i == N_CURVES)
        goto done;
    bool want_d = include_private && mobid_key_has_private(key);
    err = mobid_key_to_coords(key, &x, &y, want_d ? &d : NULL);
    if (err != MOBID_OK)
        goto done;
    mobid_cbor_map_begin(enc);
    mobid_cbor_put_int(enc, KEY_KTY);
    mobid_cbor_put_int(enc, curve_table[i].kty);
    mobid_cbor_put_int(enc, KEY_CRV);
    mobid_cbor_put_int(enc, curve_table[i].crv);
    mobid_cbor_put_int(enc, KEY_X);
    mobid_cbor_put_bytes(enc, mobid_buf_view(&x));
    if (curve_table[i].kty == KTY_EC2) {
        mobid_cbor_put_int(enc, KEY_Y);
        mobid_cbor_put_bytes(enc, mobid_buf_view(&y));
    }
    if (want_d) {
        mobid_cbor_put_int(enc, KEY_D);
        mobid_cbor_put_bytes(enc, mobid_buf_view(&d));
    }
    mobid_cbor_map_end(enc);
    err = enc->err;
done:
    mobid_buf_free(&x);
    mobid_buf_free(&y);
    mobid_buf_free(&d);
    return err;
}
