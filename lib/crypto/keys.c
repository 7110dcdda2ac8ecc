/* Key handles: cached curve groups, import from coordinates (the verifier's hot
 * path), generation, comparison and coordinate export. */
#include "crypto_internal.h"

#include <pthread.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/objects.h>

/* ---- cached groups: EC_GROUP_new_by_curve_name costs more than the whole
 * import, so each curve's group is built once and shared (read-only). ---- */

static EC_GROUP *groups[3];
static uint8_t field_primes[3][66]; /* p, big-endian, curve-size bytes */
static pthread_once_t groups_once = PTHREAD_ONCE_INIT;

static int curve_nid(mobid_curve c)
{
    switch (c) {
    case MOBID_CURVE_P256: return NID_X9_62_prime256v1;
    case MOBID_CURVE_P384: return NID_secp384r1;
    case MOBID_CURVE_P521: return NID_secp521r1;
    default: return NID_undef;
    }
}

mobid_curve mobid_crypto_curve_from_nid(int nid)
{
    for (mobid_curve c = MOBID_CURVE_P256; c <= MOBID_CURVE_P521; c++)
        if (curve_nid(c) == nid)
            return c;
    return MOBID_CURVE_NONE;
}

static void groups_init(void)
{
    for (mobid_curve c = MOBID_CURVE_P256; c <= MOBID_CURVE_P521; c++) {
        EC_GROUP *g = EC_GROUP_new_by_curve_name(curve_nid(c));
        BIGNUM *p = BN_new();
        if (g && p && EC_GROUP_get_curve(g, p, NULL, NULL, NULL) &&
            BN_bn2binpad(p, field_primes[c - 1], (int)mobid_curve_size(c)) > 0) {
            groups[c - 1] = g;
            g = NULL;
        }
        EC_GROUP_free(g);
        BN_free(p);
    }
}

const EC_GROUP *mobid_crypto_group(mobid_curve c)
{
    if (curve_nid(c) == NID_undef)
        return NULL;
    pthread_once(&groups_once, groups_init);
    return groups[c - 1];
}

/* ---- per-thread scratch: a BN_CTX and an ECDSA_SIG reused by every call on
 * the thread, so a verification allocates nothing of its own. It is OpenSSL-side
 * state that lives as long as the thread, so it bypasses mobid's allocation hook
 * (a failing-allocator run must not count or fail it). ---- */

typedef struct scratch {
    BN_CTX *bn;
    ECDSA_SIG *sig;
} scratch;

static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;
static _Thread_local scratch *tls_scratch; /* keeps it reachable for leak checkers */

static void scratch_free(void *p)
{
    scratch *s = p;
    BN_CTX_free(s->bn);
    ECDSA_SIG_free(s->sig);
    free(s);
}

static void scratch_key_init(void) { (void)pthread_key_create(&scratch_key, scratch_free); }

static scratch *scratch_get(void)
{
    if (tls_scratch)
        return tls_scratch;
    pthread_once(&scratch_once, scratch_key_init);
    scratch *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->bn = BN_CTX_new();
    s->sig = ECDSA_SIG_new();
    BIGNUM *r = BN_new(), *sv = BN_new();
    if (!s->bn || !s->sig || !r || !sv || !ECDSA_SIG_set0(s->sig, r, sv)) {
        BN_free(r);
        BN_free(sv);
        scratch_free(s);
        return NULL;
    }
    (void)pthread_setspecific(scratch_key, s);
    tls_scratch = s;
    return s;
}

BN_CTX *mobid_crypto_bn_ctx(void)
{
    scratch *s = scratch_get();
    return s ? s->bn : NULL;
}

ECDSA_SIG *mobid_crypto_ecdsa_sig(void)
{
    scratch *s = scratch_get();
    return s ? s->sig : NULL;
}

/* ---- handles ---- */

mobid_err mobid_crypto_key_wrap(mobid_curve c, EC_KEY *ec, EVP_PKEY *okp, bool priv,
                                mobid_key **out)
{
    mobid_key *k = mobid_calloc(1, sizeof *k);
    if (!k) {
        EC_KEY_free(ec);
        EVP_PKEY_free(okp);
        return MOBID_ERR_NOMEM;
    }
    atomic_init(&k->refs, 1);
    k->curve = c;
    k->ec = ec;
    k->okp = okp;
    k->has_private = priv;
    *out = k;
    return MOBID_OK;
}

void mobid_key_free(mobid_key *k)
{
    if (!k || atomic_fetch_sub(&k->refs, 1) != 1)
        return;
    EC_KEY_free(k->ec);
    EVP_PKEY_free(k->okp);
    EC_GROUP_free(atomic_load(&k->table));
    mobid_free(k);
}

mobid_key *mobid_key_ref(mobid_key *k)
{
    if (k)
        atomic_fetch_add(&k->refs, 1);
    return k;
}

mobid_curve mobid_key_curve(const mobid_key *k) { return k ? k->curve : MOBID_CURVE_NONE; }

bool mobid_key_has_private(const mobid_key *k) { return k && k->has_private; }

bool mobid_key_public_eq(const mobid_key *a, const mobid_key *b)
{
    if (!a || !b || a->curve != b->curve)
        return false;
    if (a->ec) {
        const EC_GROUP *g = EC_KEY_get0_group(a->ec);
        return EC_POINT_cmp(g, EC_KEY_get0_public_key(a->ec), EC_KEY_get0_public_key(b->ec),
                            mobid_crypto_bn_ctx()) == 0;
    }
    uint8_t pa[32], pb[32];
    size_t la = sizeof pa, lb = sizeof pb;
    return EVP_PKEY_get_raw_public_key(a->okp, pa, &la) == 1 &&
           EVP_PKEY_get_raw_public_key(b->okp, pb, &lb) == 1 && la == lb &&
           memcmp(pa, pb, la) == 0;
}

/* ---- import from coordinates ---- */

/* A field element must be exactly curve-size bytes and below p: BN_bin2bn
 * would otherwise accept x + p as an alias of x. */
static bool coord_ok(mobid_curve c, mobid_view v)
{
    size_t n = mobid_curve_size(c);
    return v.len == n && memcmp(v.ptr, field_primes[c - 1], n) < 0;
}

/* Private scalar d in [1, n-1]; sets it on ec and checks it matches the public point:
 * d*G == Q, one fixed-base multiplication. EC_KEY_check_key would also multiply Q by
 * the group order, a variable-base multiplication that proves nothing more on these
 * prime-order curves (cofactor 1: every point on the curve, which oct2key checked,
 * has order n) and cost as much as an ECDSA verify on each sealed-key load. */
static mobid_err set_private(EC_KEY *ec, mobid_view d, BN_CTX *bn)
{
    const EC_GROUP *g = EC_KEY_get0_group(ec);
    mobid_err err = MOBID_ERR_KEY_INVALID;
    BIGNUM *bd = BN_bin2bn(d.ptr, (int)d.len, NULL);
    EC_POINT *q = EC_POINT_new(g);
    if (!bd || !q) {
        err = MOBID_ERR_NOMEM;
        goto done;
    }
    BN_set_flags(bd, BN_FLG_CONSTTIME);
    if (BN_is_zero(bd) || BN_cmp(bd, EC_GROUP_get0_order(g)) >= 0)
        goto done;
    if (!BN_is_one(EC_GROUP_get0_cofactor(g)))
        goto done;
    if (!EC_POINT_mul(g, q, bd, NULL, NULL, bn) ||
        EC_POINT_cmp(g, q, EC_KEY_get0_public_key(ec), bn) != 0 ||
        !EC_KEY_set_private_key(ec, bd))
        goto done;
    err = MOBID_OK;
done:
    EC_POINT_clear_free(q);
    BN_clear_free(bd);
    return err;
}

/* The point is decoded straight into the key (EC_KEY_oct2key), which saves the
 * separate EC_POINT and its copy; the group is the cached one. */
static mobid_err ec_from_coords(mobid_curve c, mobid_view x, mobid_view y, mobid_view d,
                                mobid_key **out)
{
    const EC_GROUP *g = mobid_crypto_group(c);
    BN_CTX *bn = mobid_crypto_bn_ctx();
    size_t n = mobid_curve_size(c);
    if (!g || !bn)
        return MOBID_ERR_CRYPTO;
    if (!coord_ok(c, x) || !coord_ok(c, y) || (d.len && d.len != n))
        return MOBID_ERR_KEY_INVALID;
    uint8_t pt[1 + 2 * 66];
    pt[0] = 0x04;
    memcpy(pt + 1, x.ptr, n);
    memcpy(pt + 1 + n, y.ptr, n);
    mobid_err err = MOBID_ERR_NOMEM;
    EC_KEY *ec = EC_KEY_new();
    if (!ec || !EC_KEY_set_group(ec, g))
        goto done;
    /* OpenSSL refuses (and we report) a point that is not on the curve here. */
    err = MOBID_ERR_POINT_NOT_ON_CURVE;
    if (!EC_KEY_oct2key(ec, pt, 1 + 2 * n, bn))
        goto done;
    if (d.len && (err = set_private(ec, d, bn)) != MOBID_OK)
        goto done;
    err = mobid_crypto_key_wrap(c, ec, NULL, d.len != 0, out);
    ec = NULL;
    if (err == MOBID_OK) {
        memcpy((*out)->xy, pt + 1, 2 * n);
        (*out)->xy_len = (uint8_t)(2 * n);
    }
done:
    if (err != MOBID_OK)
        ERR_clear_error();
    EC_KEY_free(ec);
    return err;
}

static mobid_err okp_from_coords(mobid_curve c, mobid_view x, mobid_view y, mobid_view d,
                                 mobid_key **out)
{
    if (x.len != 32 || y.len != 0 || (d.len != 0 && d.len != 32))
        return MOBID_ERR_KEY_INVALID;
    int type = c == MOBID_CURVE_ED25519 ? EVP_PKEY_ED25519 : EVP_PKEY_X25519;
    EVP_PKEY *pk = d.len ? EVP_PKEY_new_raw_private_key(type, NULL, d.ptr, d.len)
                         : EVP_PKEY_new_raw_public_key(type, NULL, x.ptr, x.len);
    if (!pk)
        return MOBID_ERR_KEY_INVALID;
    if (d.len) { /* the public half is derived from d: it must match the given x */
        uint8_t pub[32];
        size_t len = sizeof pub;
        if (EVP_PKEY_get_raw_public_key(pk, pub, &len) != 1 || len != 32 ||
            memcmp(pub, x.ptr, 32) != 0) {
            EVP_PKEY_free(pk);
            return MOBID_ERR_KEY_INVALID;
        }
    }
    return mobid_crypto_key_wrap(c, NULL, pk, d.len != 0, out);
}

mobid_err mobid_key_from_coords(mobid_curve c, mobid_view x, mobid_view y, mobid_view d,
                                mobid_key **out)
{
    if (!out)
        return MOBID_ERR_INVALID_ARG;
    *out = NULL;
    if (c == MOBID_CURVE_ED25519 || c == MOBID_CURVE_X25519)
        return okp_from_coords(c, x, y, d, out);
    if (!mobid_crypto_group(c))
        return MOBID_ERR_UNSUPPORTED;
    return ec_from_coords(c, x, y, d, out);
}

mobid_err mobid_key_from_sec1_point(mobid_curve c, mobid_view pt, mobid_key **out)
{
    size_t n = mobid_curve_size(c);
    if (!out)
        return MOBID_ERR_INVALID_ARG;
    *out = NULL;
    if (!mobid_crypto_group(c))
        return MOBID_ERR_UNSUPPORTED;
    if (pt.len != 1 + 2 * n || pt.ptr[0] != 0x04)
        return MOBID_ERR_KEY_INVALID;
    return ec_from_coords(c, mobid_view_make(pt.ptr + 1, n), mobid_view_make(pt.ptr + 1 + n, n),
                          mobid_view_make(NULL, 0), out);
}

/* ---- generation and export ---- */

static mobid_err append_bn(const BIGNUM *v, size_t n, mobid_buf *out)
{
    if (mobid_buf_reserve(out, n) != MOBID_OK)
        return out->err;
    if (BN_bn2binpad(v, out->ptr + out->len, (int)n) != (int)n)
        return MOBID_ERR_CRYPTO;
    out->len += n;
    return MOBID_OK;
}

/* The public point's affine coordinates, n bytes each, appended to x and y (either
 * may be NULL), computed from the point. bn is started by the caller. */
static mobid_err ec_xy(const mobid_key *k, BN_CTX *bn, mobid_buf *x, mobid_buf *y)
{
    size_t n = mobid_curve_size(k->curve);
    BIGNUM *bx = BN_CTX_get(bn), *by = BN_CTX_get(bn);
    mobid_err err = MOBID_OK;
    if (!by || !EC_POINT_get_affine_coordinates(EC_KEY_get0_group(k->ec),
                                                EC_KEY_get0_public_key(k->ec), bx, by, bn))
        return MOBID_ERR_CRYPTO;
    if (x)
        err = append_bn(bx, n, x);
    if (err == MOBID_OK && y)
        err = append_bn(by, n, y);
    return err;
}

/* Keep a new key's affine coordinates (see struct mobid_key): computed once, before
 * the key is shared. */
static mobid_err remember_xy(mobid_key *k)
{
    size_t n = mobid_curve_size(k->curve);
    BN_CTX *bn = mobid_crypto_bn_ctx();
    mobid_err err = MOBID_ERR_CRYPTO;
    if (!bn)
        return MOBID_ERR_NOMEM;
    BN_CTX_start(bn);
    BIGNUM *bx = BN_CTX_get(bn), *by = BN_CTX_get(bn);
    if (by && 2 * n <= sizeof k->xy &&
        EC_POINT_get_affine_coordinates(EC_KEY_get0_group(k->ec), EC_KEY_get0_public_key(k->ec),
                                        bx, by, bn) &&
        BN_bn2binpad(bx, k->xy, (int)n) == (int)n && BN_bn2binpad(by, k->xy + n, (int)n) == (int)n) {
        k->xy_len = (uint8_t)(2 * n);
        err = MOBID_OK;
    }
    BN_CTX_end(bn);
    return err;
}

mobid_err mobid_key_generate(mobid_curve c, mobid_key **out)
{
    if (!out)
        return MOBID_ERR_INVALID_ARG;
    *out = NULL;
    if (c == MOBID_CURVE_ED25519 || c == MOBID_CURVE_X25519) {
        EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, c == MOBID_CURVE_ED25519 ? "ED25519" : "X25519");
        if (!pk)
            return MOBID_ERR_CRYPTO;
        return mobid_crypto_key_wrap(c, NULL, pk, true, out);
    }
    const EC_GROUP *g = mobid_crypto_group(c);
    if (!g)
        return MOBID_ERR_UNSUPPORTED;
    EC_KEY *ec = EC_KEY_new();
    if (!ec || !EC_KEY_set_group(ec, g) || !EC_KEY_generate_key(ec)) {
        EC_KEY_free(ec);
        return MOBID_ERR_CRYPTO;
    }
    mobid_err err = mobid_crypto_key_wrap(c, ec, NULL, true, out);
    if (err == MOBID_OK)
        err = remember_xy(*out);
    if (err != MOBID_OK) {
        mobid_key_free(*out);
        *out = NULL;
    }
    return err;
}

static mobid_err okp_to_coords(const mobid_key *k, mobid_buf *x, mobid_buf *d)
{
    uint8_t raw[32];
    size_t len = sizeof raw;
    mobid_err err = MOBID_OK;
    if (x && (EVP_PKEY_get_raw_public_key(k->okp, raw, &len) != 1 || len != 32))
        return MOBID_ERR_CRYPTO;
    if (x)
        err = mobid_buf_append(x, raw, len);
    len = sizeof raw;
    if (err == MOBID_OK && d && k->has_private) {
        if (EVP_PKEY_get_raw_private_key(k->okp, raw, &len) != 1 || len != 32)
            err = MOBID_ERR_CRYPTO;
        else
            err = mobid_buf_append(d, raw, len);
    }
    mobid_wipe(raw, sizeof raw);
    return err;
}

mobid_err mobid_key_to_coords(const mobid_key *k, mobid_buf *x, mobid_buf *y, mobid_buf *d)
{
    if (!k)
        return MOBID_ERR_INVALID_ARG;
    if (k->okp)
        return okp_to_coords(k, x, d);
    size_t n = mobid_curve_size(k->curve);
    BN_CTX *bn = mobid_crypto_bn_ctx();
    if (!bn)
        return MOBID_ERR_NOMEM;
    mobid_err err = MOBID_ERR_CRYPTO;
    BN_CTX_start(bn);
    if (!k->xy_len && (err = ec_xy(k, bn, x, y)) != MOBID_OK)
        goto done;
    err = MOBID_OK;
    if (k->xy_len && x)
        err = mobid_buf_append(x, k->xy, n);
    if (k->xy_len && err == MOBID_OK && y)
        err = mobid_buf_append(y, k->xy + n, n);
    if (err == MOBID_OK && d && k->has_private) /* a token key has no scalar here */
        err = EC_KEY_get0_private_key(k->ec) ? append_bn(EC_KEY_get0_private_key(k->ec), n, d)
                                             : MOBID_ERR_UNSUPPORTED;
done:
    BN_CTX_end(bn);
    return err;
}
