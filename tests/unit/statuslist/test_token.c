/* lib/statuslist: status list tokens (JWT and CWT) signed and verified against a
 * certificate chain; every rejection has its own code. */
#include "testutil.h"

#include <mobid/cose.h>
#include <mobid/jose.h>
#include <mobid/statuslist.h>

#include <string.h>

#define T0 ((mobid_time)1750000000) /* verification time of the tests */
#define URI "https://issuer.example/statuslists/7"

typedef struct pki {
    mobid_key *root_key, *signer_key;
    mobid_cert *root, *signer;
} pki;

static pki good, other;

static void make_pki(pki *p, const char *name)
{
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &p->root_key), MOBID_OK);
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &p->signer_key), MOBID_OK);
    mobid_cert_spec root = { .subject_cn = name, .subject_c = "KR",
                             .not_before = T0 - 86400 * 365, .not_after = T0 + 86400 * 3650,
                             .is_ca = true, .path_len = 0 };
    assert_int_equal(mobid_cert_issue(&root, p->root_key, p->root_key, NULL, &p->root), MOBID_OK);
    mobid_cert_spec leaf = { .subject_cn = "status list signer", .subject_c = "KR",
                             .not_before = T0 - 86400, .not_after = T0 + 86400 * 365,
                             .purpose = MOBID_PURPOSE_SIGNING, .path_len = -1 };
    assert_int_equal(mobid_cert_issue(&leaf, p->signer_key, p->root_key, p->root, &p->signer),
                     MOBID_OK);
}

static void free_pki(pki *p)
{
    mobid_key_free(p->root_key);
    mobid_key_free(p->signer_key);
    mobid_cert_free(p->root);
    mobid_cert_free(p->signer);
}

static int setup(void **state)
{
    (void)state;
    make_pki(&good, "Ministry Root");
    make_pki(&other, "Somebody Else");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free_pki(&good);
    free_pki(&other);
    return 0;
}

static mobid_statuslist *sample_list(void)
{
    mobid_statuslist *l = NULL;
    assert_int_equal(mobid_statuslist_new(2, 1000, &l), MOBID_OK);
    assert_int_equal(mobid_statuslist_set(l, 3, MOBID_STATUS_INVALID), MOBID_OK);
    assert_int_equal(mobid_statuslist_set(l, 42, MOBID_STATUS_SUSPENDED), MOBID_OK);
    assert_int_equal(mobid_statuslist_set(l, 999, 3), MOBID_OK);
    return l;
}

/* Sign the sample list with signer p at T0, exp T0 + 1 day, ttl 1 hour. */
static void sign_sample(mobid_statuslist_format fmt, const pki *p, const char *uri, mobid_buf *out)
{
    mobid_statuslist *l = sample_list();
    mobid_cert *chain[1] = { p->signer };
    mobid_statuslist_sign_params sp = { .format = fmt, .key = p->signer_key, .chain = chain,
                                        .chain_len = 1, .uri = uri, .iat = T0,
                                        .exp = T0 + 86400, .ttl = 3600 };
    mobid_buf_init(out, 0);
    assert_int_equal(mobid_statuslist_token_sign(l, &sp, out), MOBID_OK);
    mobid_statuslist_free(l);
}

static mobid_trust *trust_of(const pki *p)
{
    mobid_trust *t = NULL;
    assert_int_equal(mobid_trust_new(&t), MOBID_OK);
    assert_int_equal(mobid_trust_add(t, p->root), MOBID_OK);
    return t;
}

static mobid_err verify_at(mobid_view tok, mobid_trust *trust, mobid_time at, const char *uri,
                           mobid_statuslist_token **out)
{
    mobid_statuslist_verify_params vp = { trust, at, uri, NULL };
    *out = NULL;
    return mobid_statuslist_token_verify(tok, &vp, out);
}

static void roundtrip(mobid_statuslist_format fmt)
{
    mobid_buf tok;
    sign_sample(fmt, &good, URI, &tok);
    assert_int_equal(mobid_statuslist_detect_format(mobid_buf_view(&tok)), fmt);
    mobid_trust *trust = trust_of(&good);
    mobid_statuslist_token *t = NULL;
    assert_int_equal(verify_at(mobid_buf_view(&tok), trust, T0 + 60, URI, &t), MOBID_OK);
    assert_int_equal(t->format, fmt);
    assert_string_equal(t->sub, URI);
    assert_int_equal(t->iat, T0);
    assert_true(t->has_exp && t->has_ttl);
    assert_int_equal(t->exp, T0 + 86400);
    assert_int_equal(t->ttl, 3600);
    unsigned v;
    assert_int_equal(mobid_statuslist_get(t->list, 3, &v), MOBID_OK);
    assert_int_equal(v, MOBID_STATUS_INVALID);
    assert_int_equal(mobid_statuslist_get(t->list, 42, &v), MOBID_OK);
    assert_int_equal(v, MOBID_STATUS_SUSPENDED);
    assert_int_equal(mobid_statuslist_get(t->list, 999, &v), MOBID_OK);
    assert_int_equal(v, 3);
    assert_int_equal(mobid_statuslist_get(t->list, 0, &v), MOBID_OK);
    assert_int_equal(v, MOBID_STATUS_VALID);
    assert_int_equal(mobid_statuslist_get(t->list, 1000, &v), MOBID_ERR_STATUS_INDEX_OUT_OF_RANGE);
    mobid_statuslist_token_free(t);
    /* Without an expected URI the subject is not compared. */
    assert_int_equal(verify_at(mobid_buf_view(&tok), trust, T0, NULL, &t), MOBID_OK);
    mobid_statuslist_token_free(t);
    mobid_trust_free(trust);
    mobid_buf_free(&tok);
}

static void test_roundtrip_jwt(void **state)
{
    (void)state;
    roundtrip(MOBID_STATUSLIST_JWT);
}

static void test_roundtrip_cwt(void **state)
{
    (void)state;
    roundtrip(MOBID_STATUSLIST_CWT);
}

/* JWT with the payload replaced (a list where nobody is revoked), header and
 * signature kept. */
static void test_tampered_jwt(void **state)
{
    (void)state;
    mobid_buf tok, forged, clean;
    sign_sample(MOBID_STATUSLIST_JWT, &good, URI, &tok);
    mobid_statuslist *empty = NULL;
    assert_int_equal(mobid_statuslist_new(2, 1000, &empty), MOBID_OK);
    mobid_buf_init(&clean, 0);
    mobid_buf_append_str(&clean, "{\"iat\":1750000000,\"exp\":1750086400,\"status_list\":");
    assert_int_equal(mobid_statuslist_to_json(empty, MOBID_STATUSLIST_ZLIB_AUTO, &clean), MOBID_OK);
    mobid_buf_append_str(&clean, ",\"sub\":\"" URI "\",\"ttl\":3600}");
    const char *d1 = memchr(tok.ptr, '.', tok.len);
    const char *d2 = memchr(d1 + 1, '.', tok.len - (size_t)(d1 + 1 - (const char *)tok.ptr));
    mobid_buf_init(&forged, 0);
    mobid_buf_append(&forged, tok.ptr, (size_t)(d1 + 1 - (const char *)tok.ptr));
    mobid_b64url_encode(mobid_buf_view(&clean), &forged);
    mobid_buf_append(&forged, d2, tok.len - (size_t)(d2 - (const char *)tok.ptr));
    mobid_trust *trust = trust_of(&good);
    mobid_statuslist_token *t = NULL;
    assert_int_equal(verify_at(mobid_buf_view(&forged), trust, T0, URI, &t),
                     MOBID_ERR_SIGNATURE_INVALID);
    assert_null(t);
    /* Decoding without verification shows the forged content. */
    assert_int_equal(mobid_statuslist_token_decode(mobid_buf_view(&forged), NULL, &t), MOBID_OK);
    mobid_statuslist_token_free(t);
    mobid_trust_free(trust);
    mobid_statuslist_free(empty);
    mobid_buf_free(&tok);
    mobid_buf_free(&forged);
    mobid_buf_free(&clean);
}

/* CWT with one byte of the compressed list flipped, and with the signature's
 * last byte flipped. */
static void test_tampered_cwt(void **state)
{
    (void)state;
    mobid_buf tok;
    sign_sample(MOBID_STATUSLIST_CWT, &good, URI, &tok);
    mobid_trust *trust = trust_of(&good);
    mobid_statuslist_token *t = NULL;
    uint8_t *zl = NULL;
    for (size_t i = 0; i + 1 < tok.len && !zl; i++)
        if (tok.ptr[i] == 0x78 && tok.ptr[i + 1] == 0xda)
            zl = tok.ptr + i;
    assert_non_null(zl);
    zl[4] ^= 0x01;
    assert_int_equal(verify_at(mobid_buf_view(&tok), trust, T0, URI, &t),
                     MOBID_ERR_SIGNATURE_INVALID);
    zl[4] ^= 0x01;
    assert_int_equal(verify_at(mobid_buf_view(&tok), trust, T0, URI, &t), MOBID_OK);
    mobid_statuslist_token_free(t);
    tok.ptr[tok.len - 1] ^= 0x80;
    assert_int_equal(verify_at(mobid_buf_view(&tok), trust, T0, URI, &t),
                     MOBID_ERR_SIGNATURE_INVALID);
    mobid_trust_free(trust);
    mobid_buf_free(&tok);
}

/* Signed by a signer of another root: untrusted, in both forms. */
static void test_wrong_signer(void **state)
{
    (void)state;
    const mobid_statuslist_format fmts[] = { MOBID_STATUSLIST_JWT, MOBID_STATUSLIST_CWT };
    mobid_trust *trust = trust_of(&good);
    for (int i = 0; i < 2; i++) {
        mobid_buf tok;
        sign_sample(fmts[i], &other, URI, &tok);
        mobid_statuslist_token *t = NULL;
        assert_int_equal(verify_at(mobid_buf_view(&tok), trust, T0, URI, &t),
                         MOBID_ERR_UNTRUSTED_ISSUER);
        assert_null(t);
        mobid_buf_free(&tok);
    }
    mobid_trust_free(trust);
}

/* A chain naming the good signer but signed by another key. */
static void test_key_not_matching_chain(void **state)
{
    (void)state;
    mobid_statuslist *l = sample_list();
    mobid_cert *chain[1] = { good.signer };
    mobid_trust *trust = trust_of(&good);
    const mobid_statuslist_format fmts[] = { MOBID_STATUSLIST_JWT, MOBID_STATUSLIST_CWT };
    for (int i = 0; i < 2; i++) {
        mobid_statuslist_sign_params sp = { .format = fmts[i], .key = other.signer_key,
                                            .chain = chain, .chain_len = 1, .uri = URI,
                                            .iat = T0 };
        mobid_buf tok;
        mobid_buf_init(&tok, 0);
        assert_int_equal(mobid_statuslist_token_sign(l, &sp, &tok), MOBID_OK);
        mobid_statuslist_token *t = NULL;
        assert_int_equal(verify_at(mobid_buf_view(&tok), trust, T0, URI, &t),
                         MOBID_ERR_SIGNATURE_INVALID);
        mobid_buf_free(&tok);
    }
    mobid_trust_free(trust);
    mobid_statuslist_free(l);
}

static void test_times_and_subject(void **state)
{
    (void)state;
    const mobid_statuslist_format fmts[] = { MOBID_STATUSLIST_JWT, MOBID_STATUSLIST_CWT };
    mobid_trust *trust = trust_of(&good);
    for (int i = 0; i < 2; i++) {
        mobid_buf tok;
        sign_sample(fmts[i], &good, URI, &tok);
        mobid_view v = mobid_buf_view(&tok);
        mobid_statuslist_token *t = NULL;
        assert_int_equal(verify_at(v, trust, T0 + 86400, URI, &t), MOBID_ERR_EXPIRED);
        assert_int_equal(verify_at(v, trust, T0 + 86399, URI, &t), MOBID_OK);
        mobid_statuslist_token_free(t);
        assert_int_equal(verify_at(v, trust, T0 - 301, URI, &t), MOBID_ERR_NOT_YET_VALID);
        assert_int_equal(verify_at(v, trust, T0, "https://issuer.example/statuslists/8", &t),
                         MOBID_ERR_SUBJECT_MISMATCH);
        /* Past the signer certificate's validity. */
        assert_int_equal(verify_at(v, trust, T0 + 86400 * 400, URI, &t), MOBID_ERR_CERT_EXPIRED);
        assert_null(t);
        mobid_buf_free(&tok);
    }
    mobid_trust_free(trust);
}

/* A JWT whose typ is not statuslist+jwt, and one without x5c. */
static void test_jwt_header_rules(void **state)
{
    (void)state;
    mobid_buf tok;
    sign_sample(MOBID_STATUSLIST_JWT, &good, URI, &tok);
    mobid_statuslist_token *t = NULL;
    assert_int_equal(mobid_statuslist_token_decode(mobid_buf_view(&tok), NULL, &t), MOBID_OK);
    mobid_statuslist_token_free(t);
    t = NULL;
    /* Reuse the payload under other headers. */
    const char *d1 = memchr(tok.ptr, '.', tok.len);
    const char *d2 = memchr(d1 + 1, '.', tok.len - (size_t)(d1 + 1 - (const char *)tok.ptr));
    mobid_buf payload;
    mobid_buf_init(&payload, 0);
    assert_int_equal(mobid_b64url_decode(mobid_view_make(d1 + 1, (size_t)(d2 - d1 - 1)), &payload),
                     MOBID_OK);
    mobid_cert *chain[1] = { good.signer };
    json_t *x5c = NULL;
    assert_int_equal(mobid_jose_x5c_from_certs(chain, 1, &x5c), MOBID_OK);
    json_t *wrong_typ = json_pack("{s:s,s:O}", "typ", "JWT", "x5c", x5c);
    json_t *no_x5c = json_pack("{s:s}", "typ", "statuslist+jwt");
    mobid_trust *trust = trust_of(&good);
    mobid_buf a, b;
    mobid_buf_init(&a, 0);
    mobid_buf_init(&b, 0);
    assert_int_equal(mobid_jws_sign(good.signer_key, MOBID_ALG_ES256, wrong_typ,
                                    mobid_buf_view(&payload), &a), MOBID_OK);
    assert_int_equal(mobid_jws_sign(good.signer_key, MOBID_ALG_ES256, no_x5c,
                                    mobid_buf_view(&payload), &b), MOBID_OK);
    assert_int_equal(verify_at(mobid_buf_view(&a), trust, T0, URI, &t), MOBID_ERR_TYPE_MISMATCH);
    assert_int_equal(verify_at(mobid_buf_view(&b), trust, T0, URI, &t),
                     MOBID_ERR_UNTRUSTED_ISSUER);
    mobid_buf_free(&a);
    mobid_buf_free(&b);
    json_decref(wrong_typ);
    json_decref(no_x5c);
    json_decref(x5c);
    mobid_trust_free(trust);
    mobid_buf_free(&payload);
    mobid_buf_free(&tok);
}

/* A COSE_Sign1 over a valid claims map but without the statuslist typ. */
static void test_cwt_header_rules(void **state)
{
    (void)state;
    mobid_buf tok;
    sign_sample(MOBID_STATUSLIST_CWT, &good, URI, &tok);
    mobid_cose_sign1 s;
    assert_int_equal(mobid_cose_sign1_parse(mobid_buf_view(&tok), &s), MOBID_OK);
    mobid_view der = mobid_cert_der(good.signer);
    mobid_cose_sign1_params cp = { .alg = MOBID_ALG_ES256, .x5chain = &der, .x5chain_count = 1,
                                   .tagged = true };
    mobid_buf notyp;
    mobid_buf_init(&notyp, 0);
    assert_int_equal(mobid_cose_sign1_create(good.signer_key, &cp, s.payload, &notyp), MOBID_OK);
    mobid_trust *trust = trust_of(&good);
    mobid_statuslist_token *t = NULL;
    assert_int_equal(verify_at(mobid_buf_view(&notyp), trust, T0, URI, &t),
                     MOBID_ERR_TYPE_MISMATCH);
    mobid_trust_free(trust);
    mobid_buf_free(&notyp);
    mobid_buf_free(&tok);
}

static void test_sign_args(void **state)
{
    (void)state;
    mobid_statuslist *l = sample_list();
    mobid_cert *chain[1] = { good.signer };
    mobid_buf out;
    mobid_buf_init(&out, 0);
    mobid_statuslist_sign_params sp = { .format = MOBID_STATUSLIST_JWT, .key = good.signer_key,
                                        .chain = chain, .chain_len = 1, .uri = NULL };
    assert_int_equal(mobid_statuslist_token_sign(l, &sp, &out), MOBID_ERR_INVALID_ARG);
    sp.uri = URI;
    sp.chain_len = 0;
    assert_int_equal(mobid_statuslist_token_sign(l, &sp, &out), MOBID_ERR_INVALID_ARG);
    sp.chain_len = 1;
    sp.format = (mobid_statuslist_format)9;
    assert_int_equal(mobid_statuslist_token_sign(l, &sp, &out), MOBID_ERR_INVALID_ARG);
    assert_int_equal(out.len, 0);
    mobid_statuslist_verify_params vp = { NULL, T0, NULL, NULL };
    mobid_statuslist_token *t = NULL;
    assert_int_equal(mobid_statuslist_token_verify(mobid_view_str("eyJ"), &vp, &t),
                     MOBID_ERR_INVALID_ARG);
    assert_int_equal(mobid_statuslist_detect_format(mobid_view_str("{\"bits\":1}")), 0);
    mobid_buf_free(&out);
    mobid_statuslist_free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_jwt),
        cmocka_unit_test(test_roundtrip_cwt),
        cmocka_unit_test(test_tampered_jwt),
        cmocka_unit_test(test_tampered_cwt),
        cmocka_unit_test(test_wrong_signer),
        cmocka_unit_test(test_key_not_matching_chain),
        cmocka_unit_test(test_times_and_subject),
        cmocka_unit_test(test_jwt_header_rules),
        cmocka_unit_test(test_cwt_header_rules),
        cmocka_unit_test(test_sign_args),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
