/* lib/crypto X.509: issuance and path validation on generated chains
 * (root -> DS, root -> intermediate -> DS): valid, expired, not yet valid,
 * untrusted, missing CA flag, wrong key usage, wrong EKU, path length,
 * pinned-leaf anchors, the validation cache, accessors and PEM round trips. */
#include "testutil.h"

#include <mobid/crypto.h>

#include <stdlib.h>
#include <string.h>

#define DAY 86400
static const mobid_time T0 = 1767225600; /* 2026-01-01T00:00:00Z */

typedef struct pki {
    mobid_key *root_key, *ds_key;
    mobid_cert *root, *ds;
    mobid_trust *trust;
} pki;

static mobid_cert *issue(const mobid_cert_spec *spec, mobid_key *subject, mobid_key *issuer_key,
                         mobid_cert *issuer)
{
    mobid_cert *c = NULL;
    assert_int_equal(mobid_cert_issue(spec, subject, issuer_key, issuer, &c), MOBID_OK);
    return c;
}

static mobid_cert_spec root_spec(void)
{
    mobid_cert_spec s = { .subject_cn = "Test IACA", .subject_o = "Ministry", .subject_c = "KR",
                          .not_before = T0, .not_after = T0 + 3650 * DAY, .is_ca = true,
                          .path_len = 0 };
    return s;
}

static mobid_cert_spec ds_spec(void)
{
    mobid_cert_spec s = { .subject_cn = "Test DS", .subject_c = "KR", .not_before = T0 + DAY,
                          .not_after = T0 + 365 * DAY, .purpose = MOBID_PURPOSE_MDOC_DS };
    return s;
}

static void pki_make(pki *p, const mobid_cert_spec *ds)
{
    memset(p, 0, sizeof *p);
    mobid_cert_spec rs = root_spec();
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &p->root_key), MOBID_OK);
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &p->ds_key), MOBID_OK);
    p->root = issue(&rs, p->root_key, p->root_key, NULL);
    p->ds = issue(ds, p->ds_key, p->root_key, p->root);
    assert_int_equal(mobid_trust_new(&p->trust), MOBID_OK);
    assert_int_equal(mobid_trust_add(p->trust, p->root), MOBID_OK);
}

static void pki_free(pki *p)
{
    mobid_key_free(p->root_key);
    mobid_key_free(p->ds_key);
    mobid_cert_free(p->root);
    mobid_cert_free(p->ds);
    mobid_trust_free(p->trust);
}

static mobid_err check(pki *p, mobid_time at, mobid_cert_purpose purpose)
{
    return mobid_trust_verify_chain(p->trust, &p->ds, 1, at, purpose);
}

static void test_valid_chain(void **state)
{
    (void)state;
    pki p;
    mobid_cert_spec ds = ds_spec();
    pki_make(&p, &ds);
    assert_int_equal(mobid_trust_count(p.trust), 1);
    assert_int_equal(check(&p, T0 + 30 * DAY, MOBID_PURPOSE_MDOC_DS), MOBID_OK);
    assert_int_equal(check(&p, T0 + 30 * DAY, MOBID_PURPOSE_SIGNING), MOBID_OK);
    /* The anchor may be included in the chain. */
    mobid_cert *chain[2] = { p.ds, p.root };
    assert_int_equal(mobid_trust_verify_chain(p.trust, chain, 2, T0 + DAY, MOBID_PURPOSE_MDOC_DS),
                     MOBID_OK);
    /* Validity edges are inclusive. */
    assert_int_equal(check(&p, T0 + 365 * DAY, MOBID_PURPOSE_MDOC_DS), MOBID_OK);
    pki_free(&p);
}

static void test_expired_and_not_yet_valid(void **state)
{
    (void)state;
    pki p;
    mobid_cert_spec ds = ds_spec();
    pki_make(&p, &ds);
    assert_int_equal(check(&p, T0 + 365 * DAY + 1, MOBID_PURPOSE_MDOC_DS), MOBID_ERR_CERT_EXPIRED);
    assert_int_equal(check(&p, T0 + DAY - 1, MOBID_PURPOSE_MDOC_DS), MOBID_ERR_CERT_NOT_YET_VALID);
    /* The root's own validity counts too. */
    assert_int_equal(check(&p, T0 - 1, MOBID_PURPOSE_MDOC_DS), MOBID_ERR_CERT_NOT_YET_VALID);
    pki_free(&p);
}

static void test_untrusted(void **state)
{
    (void)state;
    pki p, other;
    mobid_cert_spec ds = ds_spec();
    pki_make(&p, &ds);
    pki_make(&other, &ds);
    /* other's DS does not chain to p's root, even with its own root attached. */
    mobid_cert *chain[2] = { other.ds, other.root };
    assert_int_equal(mobid_trust_verify_chain(p.trust, chain, 1, T0 + 2 * DAY, MOBID_PURPOSE_MDOC_DS),
                     MOBID_ERR_UNTRUSTED_ISSUER);
    assert_int_equal(mobid_trust_verify_chain(p.trust, chain, 2, T0 + 2 * DAY, MOBID_PURPOSE_MDOC_DS),
                     MOBID_ERR_UNTRUSTED_ISSUER);
    /* An empty trust set trusts nothing. */
    mobid_trust *empty = NULL;
    assert_int_equal(mobid_trust_new(&empty), MOBID_OK);
    assert_int_equal(mobid_trust_verify_chain(empty, &p.ds, 1, T0 + 2 * DAY, MOBID_PURPOSE_ANY),
                     MOBID_ERR_UNTRUSTED_ISSUER);
    mobid_trust_free(empty);
    pki_free(&p);
    pki_free(&other);
}

static void test_missing_ca_flag(void **state)
{
    (void)state;
    /* The "root" may sign certificates by key usage but lacks CA:true. */
    mobid_key *k = NULL, *leaf_key = NULL;
    mobid_trust *t = NULL;
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &k), MOBID_OK);
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &leaf_key), MOBID_OK);
    mobid_cert_spec rs = root_spec();
    rs.is_ca = false;
    rs.key_usage = MOBID_KU_SIGN_AND_CERT;
    mobid_cert *root = issue(&rs, k, k, NULL);
    mobid_cert_spec ds = ds_spec();
    mobid_cert *leaf = issue(&ds, leaf_key, k, root);
    assert_int_equal(mobid_trust_new(&t), MOBID_OK);
    assert_int_equal(mobid_trust_add(t, root), MOBID_OK);
    assert_int_equal(mobid_trust_verify_chain(t, &leaf, 1, T0 + 2 * DAY, MOBID_PURPOSE_MDOC_DS),
                     MOBID_ERR_CERT_USAGE);
    mobid_trust_free(t);
    mobid_cert_free(root);
    mobid_cert_free(leaf);
    mobid_key_free(k);
    mobid_key_free(leaf_key);
}

static void test_wrong_key_usage_and_eku(void **state)
{
    (void)state;
    pki p;
    mobid_cert_spec ds = ds_spec();
    ds.key_usage = MOBID_KU_KEY_AGREEMENT;
    pki_make(&p, &ds);
    assert_int_equal(check(&p, T0 + 2 * DAY, MOBID_PURPOSE_MDOC_DS), MOBID_ERR_CERT_USAGE);
    assert_int_equal(check(&p, T0 + 2 * DAY, MOBID_PURPOSE_SIGNING), MOBID_ERR_CERT_USAGE);
    assert_int_equal(check(&p, T0 + 2 * DAY, MOBID_PURPOSE_ANY), MOBID_OK);
    pki_free(&p);
    /* A reader certificate is not a document signer, and the reverse. */
    ds = ds_spec();
    ds.purpose = MOBID_PURPOSE_MDOC_READER;
    pki_make(&p, &ds);
    assert_int_equal(check(&p, T0 + 2 * DAY, MOBID_PURPOSE_MDOC_DS), MOBID_ERR_CERT_USAGE);
    assert_int_equal(check(&p, T0 + 2 * DAY, MOBID_PURPOSE_MDOC_READER), MOBID_OK);
    pki_free(&p);
    /* No EKU at all: fine for plain signing; a DS under a CA passes with a
     * warning (test_trust_policy.c), a reader does not. */
    ds = ds_spec();
    ds.purpose = MOBID_PURPOSE_SIGNING;
    pki_make(&p, &ds);
    assert_int_equal(check(&p, T0 + 2 * DAY, MOBID_PURPOSE_SIGNING), MOBID_OK);
    assert_int_equal(check(&p, T0 + 2 * DAY, MOBID_PURPOSE_MDOC_DS), MOBID_OK);
    assert_int_equal(check(&p, T0 + 2 * DAY, MOBID_PURPOSE_MDOC_READER), MOBID_ERR_CERT_USAGE);
    pki_free(&p);
}

static void test_intermediate_and_path_len(void **state)
{
    (void)state;
    mobid_key *rk = NULL, *ik = NULL, *lk = NULL;
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P384, &rk), MOBID_OK);
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &ik), MOBID_OK);
    assert_int_equal(mobid_key_generate(MOBID_CURVE_ED25519, &lk), MOBID_OK);
    mobid_cert_spec rs = root_spec(), is = root_spec(), ls = ds_spec();
    rs.path_len = 1;
    is.subject_cn = "Test intermediate";
    mobid_cert *root = issue(&rs, rk, rk, NULL);
    mobid_cert *inter = issue(&is, ik, rk, root);
    mobid_cert *leaf = issue(&ls, lk, ik, inter);
    mobid_trust *t = NULL;
    assert_int_equal(mobid_trust_new(&t), MOBID_OK);
    assert_int_equal(mobid_trust_add(t, root), MOBID_OK);
    mobid_cert *chain[2] = { leaf, inter };
    assert_int_equal(mobid_trust_verify_chain(t, chain, 2, T0 + 2 * DAY, MOBID_PURPOSE_MDOC_DS),
                     MOBID_OK);
    /* Without the intermediate there is no path. */
    assert_int_equal(mobid_trust_verify_chain(t, chain, 1, T0 + 2 * DAY, MOBID_PURPOSE_MDOC_DS),
                     MOBID_ERR_UNTRUSTED_ISSUER);
    /* A root limited to path length 0 cannot have an intermediate below it. */
    mobid_cert_spec rs0 = root_spec();
    mobid_cert *root0 = issue(&rs0, rk, rk, NULL);
    mobid_cert *inter0 = issue(&is, ik, rk, root0);
    mobid_cert *leaf0 = issue(&ls, lk, ik, inter0);
    mobid_trust *t0 = NULL;
    assert_int_equal(mobid_trust_new(&t0), MOBID_OK);
    assert_int_equal(mobid_trust_add(t0, root0), MOBID_OK);
    mobid_cert *chain0[2] = { leaf0, inter0 };
    assert_int_equal(mobid_trust_verify_chain(t0, chain0, 2, T0 + 2 * DAY, MOBID_PURPOSE_MDOC_DS),
                     MOBID_ERR_CERT_USAGE);
    mobid_cert *certs[] = { root, inter, leaf, root0, inter0, leaf0 };
    for (size_t i = 0; i < 6; i++)
        mobid_cert_free(certs[i]);
    mobid_trust_free(t);
    mobid_trust_free(t0);
    mobid_key_free(rk);
    mobid_key_free(ik);
    mobid_key_free(lk);
}

static void test_pinned_leaf(void **state)
{
    (void)state;
    pki p;
    mobid_cert_spec ds = ds_spec();
    pki_make(&p, &ds);
    mobid_trust *pinned = NULL;
    assert_int_equal(mobid_trust_new(&pinned), MOBID_OK);
    assert_int_equal(mobid_trust_add(pinned, p.ds), MOBID_OK);
    assert_int_equal(mobid_trust_verify_chain(pinned, &p.ds, 1, T0 + 2 * DAY, MOBID_PURPOSE_MDOC_DS),
                     MOBID_OK);
    assert_int_equal(mobid_trust_verify_chain(pinned, &p.ds, 1, T0 + 400 * DAY,
                                              MOBID_PURPOSE_MDOC_DS), MOBID_ERR_CERT_EXPIRED);
    /* Pinning one leaf trusts no other leaf of the same root. */
    mobid_key *k2 = NULL;
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &k2), MOBID_OK);
    mobid_cert *other = issue(&ds, k2, p.root_key, p.root);
    assert_int_equal(mobid_trust_verify_chain(pinned, &other, 1, T0 + 2 * DAY,
                                              MOBID_PURPOSE_MDOC_DS), MOBID_ERR_UNTRUSTED_ISSUER);
    mobid_cert_free(other);
    mobid_key_free(k2);
    mobid_trust_free(pinned);
    pki_free(&p);
}

static void test_cache(void **state)
{
    (void)state;
    pki p;
    mobid_cert_spec ds = ds_spec();
    pki_make(&p, &ds);
    unsigned long hits = 0, builds = 0;
    assert_int_equal(check(&p, T0 + 2 * DAY, MOBID_PURPOSE_MDOC_DS), MOBID_OK);
    assert_int_equal(check(&p, T0 + 3 * DAY, MOBID_PURPOSE_MDOC_DS), MOBID_OK);
    assert_int_equal(check(&p, T0 + 4 * DAY, MOBID_PURPOSE_MDOC_DS), MOBID_OK);
    mobid_trust_cache_stats(p.trust, &hits, &builds);
    assert_int_equal(builds, 1);
    assert_int_equal(hits, 2);
    /* Outside the window the cached success does not apply. */
    assert_int_equal(check(&p, T0 + 366 * DAY, MOBID_PURPOSE_MDOC_DS), MOBID_ERR_CERT_EXPIRED);
    /* Another purpose is another entry, and failures are never cached. */
    assert_int_equal(check(&p, T0 + 2 * DAY, MOBID_PURPOSE_MDOC_READER), MOBID_ERR_CERT_USAGE);
    assert_int_equal(check(&p, T0 + 2 * DAY, MOBID_PURPOSE_MDOC_READER), MOBID_ERR_CERT_USAGE);
    mobid_trust_cache_stats(p.trust, &hits, &builds);
    assert_int_equal(builds, 4);
    assert_int_equal(hits, 2);
    pki_free(&p);
}

static void test_accessors_and_pem(void **state)
{
    (void)state;
    pki p;
    mobid_cert_spec ds = ds_spec();
    const char *uris[] = { "https://issuer.example/a,b", NULL };
    const char *dns[] = { "issuer.example", NULL };
    ds.san_uris = uris;
    ds.san_dns = dns;
    ds.subject_o = "Ministry";
    pki_make(&p, &ds);
    mobid_buf text;
    mobid_buf_init(&text, 0);
    assert_int_equal(mobid_cert_subject(p.ds, &text), MOBID_OK);
    assert_true(mobid_view_eq_str(mobid_buf_view(&text), "CN=Test DS,O=Ministry,C=KR"));
    text.len = 0;
    assert_int_equal(mobid_cert_issuer(p.ds, &text), MOBID_OK);
    assert_true(mobid_view_eq_str(mobid_buf_view(&text), "CN=Test IACA,O=Ministry,C=KR"));
    mobid_time nb, na;
    mobid_cert_validity(p.ds, &nb, &na);
    assert_int_equal(nb, T0 + DAY);
    assert_int_equal(na, T0 + 365 * DAY);
    char **san = NULL;
    size_t n = 0;
    assert_int_equal(mobid_cert_san(p.ds, &san, &n), MOBID_OK);
    assert_int_equal(n, 2);
    assert_string_equal(san[0], "issuer.example");
    assert_string_equal(san[1], "https://issuer.example/a,b");
    for (size_t i = 0; i < n; i++)
        free(san[i]);
    free(san);
    /* Serial: a positive 16-byte INTEGER right after the version (DER offset 15). */
    mobid_view der = mobid_cert_der(p.ds);
    assert_true(der.len > 300 && der.ptr[1] == 0x82 && der.ptr[5] == 0x82);
    assert_memory_equal(der.ptr + 8, "\xa0\x03\x02\x01\x02\x02\x10", 7);
    assert_int_equal(der.ptr[15] & 0x80, 0);
    assert_int_not_equal(der.ptr[15], 0);
    mobid_key *k = NULL;
    assert_int_equal(mobid_cert_public_key(p.ds, &k), MOBID_OK);
    assert_true(mobid_key_public_eq(k, p.ds_key));
    mobid_key_free(k);
    /* A DER certificate is also a key source for mobid_key_from_pem. */
    k = NULL;
    assert_int_equal(mobid_key_from_pem(mobid_cert_der(p.ds), &k), MOBID_OK);
    assert_true(mobid_key_public_eq(k, p.ds_key));
    assert_false(mobid_key_has_private(k));
    mobid_key_free(k);
    /* PEM bundle round trip keeps the exact DER. */
    text.len = 0;
    assert_int_equal(mobid_cert_to_pem(p.ds, &text), MOBID_OK);
    assert_int_equal(mobid_cert_to_pem(p.root, &text), MOBID_OK);
    mobid_cert **certs = NULL;
    assert_int_equal(mobid_cert_parse_all(mobid_buf_view(&text), &certs, &n), MOBID_OK);
    assert_int_equal(n, 2);
    assert_true(mobid_view_eq(mobid_cert_der(certs[0]), mobid_cert_der(p.ds)));
    assert_true(mobid_view_eq(mobid_cert_der(certs[1]), mobid_cert_der(p.root)));
    mobid_cert *one = NULL;
    assert_int_equal(mobid_cert_parse(mobid_cert_der(p.root), &one), MOBID_OK);
    assert_true(mobid_view_eq(mobid_cert_der(one), mobid_cert_der(p.root)));
    mobid_trust *t = NULL;
    assert_int_equal(mobid_trust_new(&t), MOBID_OK);
    assert_int_equal(mobid_trust_add_pem(t, mobid_buf_view(&text)), MOBID_OK);
    assert_int_equal(mobid_trust_count(t), 2);
    /* A damaged second certificate fails the whole bundle. */
    mobid_buf bad;
    mobid_buf_init(&bad, 0);
    mobid_buf_append_view(&bad, mobid_buf_view(&text));
    assert_int_equal(mobid_buf_terminate(&bad), MOBID_OK);
    char *second = strstr(strstr((char *)bad.ptr, "-----END") + 8, "-----BEGIN CERTIFICATE-----");
    assert_non_null(second);
    memcpy(second + 28 + 40, "!!!!", 4); /* not base64 */
    mobid_cert **broken = NULL;
    size_t nbad = 7;
    assert_int_equal(mobid_cert_parse_all(mobid_buf_view(&bad), &broken, &nbad),
                     MOBID_ERR_CERT_INVALID);
    assert_null(broken);
    assert_int_equal(nbad, 0);
    mobid_buf_free(&bad);
    mobid_trust_free(t);
    mobid_cert_free(one);
    mobid_cert_list_free(certs, n);
    mobid_buf_free(&text);
    pki_free(&p);
}

static void test_parse_cache(void **state)
{
    (void)state;
    pki p;
    mobid_cert_spec ds = ds_spec();
    pki_make(&p, &ds);
    mobid_buf der;
    mobid_buf_init(&der, 0);
    assert_int_equal(mobid_buf_append_view(&der, mobid_cert_der(p.ds)), MOBID_OK);
    mobid_cert *a = NULL, *b = NULL, *c = NULL;
    assert_int_equal(mobid_cert_parse(mobid_buf_view(&der), &a), MOBID_OK);
    mobid_key *ka = NULL;
    assert_int_equal(mobid_cert_public_key(a, &ka), MOBID_OK);
    mobid_cert_free(a); /* the cache keeps its own reference */
    assert_int_equal(mobid_cert_parse(mobid_buf_view(&der), &b), MOBID_OK);
    assert_true(mobid_view_eq(mobid_cert_der(b), mobid_buf_view(&der)));
    mobid_key *kb = NULL;
    assert_int_equal(mobid_cert_public_key(b, &kb), MOBID_OK);
    assert_ptr_equal(ka, kb); /* same certificate object, same lazily built key */
    /* Other bytes are another certificate, even when they parse. */
    der.ptr[der.len - 3] ^= 0x01;
    assert_int_equal(mobid_cert_parse(mobid_buf_view(&der), &c), MOBID_OK);
    assert_ptr_not_equal(b, c);
    assert_true(mobid_view_eq(mobid_cert_der(c), mobid_buf_view(&der)));
    mobid_key_free(ka);
    mobid_key_free(kb);
    mobid_cert_free(b);
    mobid_cert_free(c);
    mobid_buf_free(&der);
    pki_free(&p);
}

/* Made with the openssl tool for this test: a version 1 self-signed root (no
 * extensions at all) and a DS leaf under it, valid 2026-11-27 to 2126-11-03. */
static const char v1_root[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBJjCBzgIBATAKBggqhkjOPQQDAjAfMRAwDgYDVQQDDAd2MSByb290MQswCQYD\n"
    "VQQGEwJLUjAgFw0yNjExMjcwNDQ3MjFaGA8yMTI2MTEwMzA0NDcyMVowHzEQMA4G\n"
    "A1UEAwwHdjEgcm9vdDELMAkGA1UEBhMCS1IwWTATBgcqhkjOPQIBBggqhkjOPQMB\n"
    "BwNCAAQT35ZWymTesITTN/Tz+BwKcw6tXhINQ2XRIQtxJXms9M1MStuYZe615bro\n"
    "l2DyQKAEjl+tXfKB2B4ClVBCFDCAMAoGCCqGSM49BAMCA0cAMEQCIGOFv1J36sr6\n"
    "mCRZzaXFTBft9tZWumYGihj6fcNhusLOAiB1T2VNQRRsUaBebBmOrfncDHtMkn7M\n"
    "avtjykT3I4gcGA==\n"
    "-----END CERTIFICATE-----\n";
static const char v1_leaf[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBqTCCAVCgAwIBAgIBAjAKBggqhkjOPQQDAjAfMRAwDgYDVQQDDAd2MSByb290\n"
    "MQswCQYDVQQGEwJLUjAgFw0yNjExMjcwNDQ3MjJaGA8yMTI2MTEwMzA0NDcyMlow\n"
    "HzEQMA4GA1UEAwwHdjEgbGVhZjELMAkGA1UEBhMCS1IwWTATBgcqhkjOPQIBBggq\n"
    "hkjOPQMBBwNCAAR+Qb/HopQuhuUWJdLPMO/IwrD9zaMGloeVHfSDTpAXVxnQroxO\n"
    "7AtXLiGaOcOqGzOohsFj9UTq2Hl1fzfu4yMbo3sweTAOBgNVHQ8BAf8EBAMCB4Aw\n"
    "FQYDVR0lAQH/BAswCQYHKIGMXQUBAjAdBgNVHQ4EFgQURqNoMNjFlHyZBBMuUA66\n"
    "KtBSgLYwMQYDVR0jBCowKKEjpCEwHzEQMA4GA1UEAwwHdjEgcm9vdDELMAkGA1UE\n"
    "BhMCS1KCAQEwCgYIKoZIzj0EAwIDRwAwRAIgRwr/XI4ZRcUzng3WzV/EBg0LtKWc\n"
    "Ms7ab1d6ockKAl0CIGdnGroCZKV9xYMQmJ9SRo+04+UkxSUqIiEmQGSe6QNW\n"
    "-----END CERTIFICATE-----\n";

static void test_v1_root_anchor(void **state)
{
    (void)state;
    mobid_trust *t = NULL;
    mobid_cert *leaf = NULL;
    mobid_time at = 1798761600; /* 2027-01-01 */
    assert_int_equal(mobid_trust_new(&t), MOBID_OK);
    assert_int_equal(mobid_trust_add_pem(t, mobid_view_str(v1_root)), MOBID_OK);
    assert_int_equal(mobid_cert_parse(mobid_view_str(v1_leaf), &leaf), MOBID_OK);
    assert_int_equal(mobid_trust_verify_chain(t, &leaf, 1, at, MOBID_PURPOSE_MDOC_DS), MOBID_OK);
    assert_int_equal(mobid_trust_verify_chain(t, &leaf, 1, at, MOBID_PURPOSE_MDOC_READER),
                     MOBID_ERR_CERT_USAGE);
    mobid_cert_free(leaf);
    mobid_trust_free(t);
}

static void test_bad_certs(void **state)
{
    (void)state;
    mobid_cert *c = NULL;
    pki p;
    mobid_cert_spec ds = ds_spec();
    pki_make(&p, &ds);
    mobid_view der = mobid_cert_der(p.ds);
    /* Truncated DER, DER with trailing bytes, a flipped signature bit. */
    assert_int_equal(mobid_cert_parse(mobid_view_make(der.ptr, der.len - 1), &c),
                     MOBID_ERR_CERT_INVALID);
    mobid_buf copy;
    mobid_buf_init(&copy, 0);
    mobid_buf_append_view(&copy, der);
    mobid_buf_append_byte(&copy, 0);
    assert_int_equal(mobid_cert_parse(mobid_buf_view(&copy), &c), MOBID_ERR_CERT_INVALID);
    copy.len--;
    copy.ptr[copy.len - 3] ^= 0x01;
    assert_int_equal(mobid_cert_parse(mobid_buf_view(&copy), &c), MOBID_OK);
    assert_int_equal(mobid_trust_verify_chain(p.trust, &c, 1, T0 + 2 * DAY, MOBID_PURPOSE_MDOC_DS),
                     MOBID_ERR_UNTRUSTED_ISSUER);
    mobid_cert_free(c);
    c = NULL;
    assert_int_equal(mobid_cert_parse(mobid_view_str("-----BEGIN CERTIFICATE-----\nAAAA\n"), &c),
                     MOBID_ERR_CERT_INVALID);
    assert_null(c);
    mobid_cert **list = NULL;
    size_t n = 9;
    assert_int_equal(mobid_cert_parse_all(mobid_view_str("-----BEGIN X-----\n"), &list, &n),
                     MOBID_ERR_CERT_INVALID);
    assert_int_equal(n, 0);
    /* A self-signed certificate must use its own key. */
    mobid_cert_spec rs = root_spec();
    assert_int_equal(mobid_cert_issue(&rs, p.ds_key, p.root_key, NULL, &c), MOBID_ERR_KEY_INVALID);
    mobid_buf_free(&copy);
    pki_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_chain),
        cmocka_unit_test(test_expired_and_not_yet_valid),
        cmocka_unit_test(test_untrusted),
        cmocka_unit_test(test_missing_ca_flag),
        cmocka_unit_test(test_wrong_key_usage_and_eku),
        cmocka_unit_test(test_intermediate_and_path_len),
        cmocka_unit_test(test_pinned_leaf),
        cmocka_unit_test(test_cache),
        cmocka_unit_test(test_accessors_and_pem),
        cmocka_unit_test(test_parse_cache),
        cmocka_unit_test(test_v1_root_anchor),
        cmocka_unit_test(test_bad_certs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
