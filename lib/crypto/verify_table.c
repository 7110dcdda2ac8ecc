/*
 * ECDSA verification with a public key's own table of multiples. A verification
 * computes u1·G + u2·Q: OpenSSL has a table for the curve's generator G, so u1·G is
 * cheap, but u2·Q starts from Q alone every time and is most of the cost. A key that
 * keeps verifying (an issuer's, a document signer's: one signature in every
 * presentation) gets a table of its own: a copy of the curve's group with Q as its
 * generator and that generator's multiples precomputed. Both products are then
 * table lookups and additions, about half the instructions of a verification.
 *
 * The equation is the one of SEC 1 §4.1.4 (and of OpenSSL's own verify): e from the
 * digest, w = s^-1, u1 = e·w, u2 = r·w mod n, R = u1·G + u2·Q, valid iff R is not
 * the point at infinity and R.x mod n = r. r and s were checked to lie in [1, n-1]
 * by the caller. Only public values are involved, so nothing here needs to be
 * constant-time.
 */
#include "crypto_internal.h"

#include <openssl/err.h>

/* A table costs about 280 million instructions and 150 KB (P-256), once per key
 * object; a key verifying its 16th signature is one that keeps coming back. */
#define MOBID_KEY_TABLE_AFTER 16

static EC_GROUP *build_table(const mobid_key *k)
{
    const EC_GROUP *g = mobid_crypto_group(k->curve);
    const EC_POINT *q = EC_KEY_get0_public_key(k->ec);
    EC_GROUP *t = g && q ? EC_GROUP_dup(g) : NULL;
    if (!t || !EC_GROUP_set_generator(t, q, EC_GROUP_get0_order(g), EC_GROUP_get0_cofactor(g)) ||
        !EC_GROUP_precompute_mult(t, NULL)) {
        EC_GROUP_free(t);
        ERR_clear_error();
        return NULL;
    }
    return t;
}

/* The key's table: built here by the call that makes the count, kept by the first
 * thread to store it. */
static const EC_GROUP *table_of(const mobid_key *k)
{
    mobid_key *mk = (mobid_key *)k; /* the table is invisible to callers */
    EC_GROUP *t = atomic_load(&mk->table);
    if (t || atomic_fetch_add(&mk->verifies, 1) + 1 != MOBID_KEY_TABLE_AFTER)
        return t;
    EC_GROUP *mine = build_table(k), *none = NULL;
    if (mine && !atomic_compare_exchange_strong(&mk->table, &none, mine)) {
        EC_GROUP_free(mine);
        mine = none;
    }
    return mine;
}

/* e: the leftmost bits of the digest, as many as the order has. */
static int digest_int(const uint8_t *dg, size_t dlen, const BIGNUM *n, BIGNUM *e)
{
    int bits = BN_num_bits(n);
    if (8 * dlen > (size_t)bits)
        dlen = ((size_t)bits + 7) / 8;
    if (!BN_bin2bn(dg, (int)dlen, e))
        return 0;
    return 8 * dlen > (size_t)bits ? BN_rshift(e, e, 8 - (bits & 7)) : 1;
}

static int check(const EC_GROUP *g, const EC_GROUP *t, const uint8_t *dg, size_t dlen,
                 const ECDSA_SIG *sig, BN_CTX *ctx)
{
    const BIGNUM *n = EC_GROUP_get0_order(g), *r = ECDSA_SIG_get0_r(sig);
    BIGNUM *e = BN_CTX_get(ctx), *w = BN_CTX_get(ctx), *u1 = BN_CTX_get(ctx),
           *u2 = BN_CTX_get(ctx), *x = BN_CTX_get(ctx);
    EC_POINT *p = EC_POINT_new(g), *pq = EC_POINT_new(g);
    int ok = -1;
    if (!x || !p || !pq || !digest_int(dg, dlen, n, e) ||
        !BN_mod_inverse(w, ECDSA_SIG_get0_s(sig), n, ctx) || !BN_mod_mul(u1, e, w, n, ctx) ||
        !BN_mod_mul(u2, r, w, n, ctx) || !EC_POINT_mul(g, p, u1, NULL, NULL, ctx) ||
        !EC_POINT_mul(t, pq, u2, NULL, NULL, ctx) || !EC_POINT_add(g, p, p, pq, ctx))
        goto done;
    ok = 0;
    if (EC_POINT_is_at_infinity(g, p))
        goto done;
    ok = -1;
    if (!EC_POINT_get_affine_coordinates(g, p, x, NULL, ctx) || !BN_nnmod(x, x, n, ctx))
        goto done;
    ok = BN_cmp(x, r) == 0;
done:
    EC_POINT_free(p);
    EC_POINT_free(pq);
    return ok;
}

int mobid_crypto_verify_table(const mobid_key *k, const uint8_t *dg, size_t dlen,
                              const ECDSA_SIG *sig)
{
    const EC_GROUP *t = k->ec ? table_of(k) : NULL;
    BN_CTX *ctx = t ? mobid_crypto_bn_ctx() : NULL;
    if (!ctx)
        return -1;
    BN_CTX_start(ctx);
    int ok = check(mobid_crypto_group(k->curve), t, dg, dlen, sig, ctx);
    BN_CTX_end(ctx);
    if (ok < 0)
        ERR_clear_error();
    return ok;
}

bool mobid_key_has_table(const mobid_key *k)
{
    return k && atomic_load(&((mobid_key *)k)->table) != NULL;
}

void mobid_key_no_table(mobid_key *k)
{
    /* past the count: table_of never reaches it again (short of 2^32 verifications) */
    if (k)
        atomic_store(&k->verifies, MOBID_KEY_TABLE_AFTER);
}
