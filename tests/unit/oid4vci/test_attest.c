/* lib/oid4vci: wallet attestations and their PoPs (attestation-based client
 * authentication) built and checked, the ones refused, and PKCE S256 (RFC 7636). */
#include "../../common/testutil.h"

#include <string.h>
#include <mobid/jose.h>
#include <mobid/oid4vci.h>

#define AS "https://issuer.example"
#define NOW 1800000000

typedef struct fx {
    mobid_key *provider, *instance, *other;
    mobid_buf att, pop;
} fx;

static void fx_init(fx *f)
{
    memset(f, 0, sizeof *f);
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &f->provider), MOBID_OK);
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &f->instance), MOBID_OK);
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &f->other), MOBID_OK);
}

static void fx_free(fx *f)
{
    mobid_key_free(f->provider);
    mobid_key_free(f->instance);
    mobid_key_free(f->other);
    mobid_buf_free(&f->att);
    mobid_buf_free(&f->pop);
}

static void attest(fx *f, const mobid_key *signer, const mobid_key *instance, mobid_time iat,
                   int64_t lifetime)
{
    mobid_oid4vci_attestation_spec s = { signer, NULL, "urn:test:provider", "app-1", instance,
                                         iat, lifetime };
    f->att.len = 0;
    assert_int_equal(mobid_oid4vci_attestation_build(&s, &f->att), MOBID_OK);
}

static void pop(fx *f, const mobid_key *k, const char *cid, const char *aud, mobid_time iat)
{
    f->pop.len = 0;
    assert_int_equal(mobid_oid4vci_attestation_pop_build(k, cid, aud, NULL, iat, &f->pop), MOBID_OK);
}

static mobid_err check(fx *f, mobid_key *const *trusted, size_t n, mobid_trust *roots,
                       mobid_oid4vci_attestation *out)
{
    mobid_oid4vci_attestation_check_params p = { .aud = AS, .providers = trusted,
                                                 .n_providers = n, .provider_roots = roots,
                                                 .now = NOW };
    return mobid_oid4vci_attestation_check(mobid_view_str((const char *)f->att.ptr),
                                           mobid_view_str((const char *)f->pop.ptr), &p, out);
}

static void attestation_round_trip(void **state)
{
    fx f;
    mobid_oid4vci_attestation a;
    mobid_buf jkt = { 0 };
    (void)state;
    fx_init(&f);
    attest(&f, f.provider, f.instance, NOW - 60, 3600);
    pop(&f, f.instance, "app-1", AS, NOW);
    assert_int_equal(check(&f, &f.provider, 1, NULL, &a), MOBID_OK);
    assert_string_equal(a.client_id, "app-1");
    assert_int_equal(a.exp, NOW - 60 + 3600);
    assert_true(strlen(a.jti) >= 8);
    assert_int_equal(mobid_jwk_thumbprint_key(f.instance, &jkt), MOBID_OK);
    assert_memory_equal(jkt.ptr, a.jkt, jkt.len);
    /* the provider found among several trusted ones */
    mobid_key *two[] = { f.other, f.provider };
    assert_int_equal(check(&f, two, 2, NULL, &a), MOBID_OK);
    mobid_buf_free(&jkt);
    fx_free(&f);
}

static void attestation_refused(void **state)
{
    fx f;
    mobid_oid4vci_attestation a;
    (void)state;
    fx_init(&f);
    /* an untrusted provider, or the app attesting itself */
    attest(&f, f.other, f.instance, NOW, 3600);
    pop(&f, f.instance, "app-1", AS, NOW);
    assert_int_equal(check(&f, &f.provider, 1, NULL, &a), MOBID_ERR_UNTRUSTED_ISSUER);
    assert_string_equal(a.client_id, "");
    attest(&f, f.instance, f.instance, NOW, 3600);
    assert_int_equal(check(&f, &f.provider, 1, NULL, &a), MOBID_ERR_UNTRUSTED_ISSUER);
    /* expired */
    attest(&f, f.provider, f.instance, NOW - 7200, 3600);
    assert_int_equal(check(&f, &f.provider, 1, NULL, &a), MOBID_ERR_EXPIRED);
    /* a PoP by another key than the attested one */
    attest(&f, f.provider, f.instance, NOW, 3600);
    pop(&f, f.other, "app-1", AS, NOW);
    assert_int_equal(check(&f, &f.provider, 1, NULL, &a), MOBID_ERR_SIGNATURE_INVALID);
    /* for another server, another client, too old */
    pop(&f, f.instance, "app-1", "https://other.example", NOW);
    assert_int_equal(check(&f, &f.provider, 1, NULL, &a), MOBID_ERR_AUDIENCE_MISMATCH);
    pop(&f, f.instance, "app-2", AS, NOW);
    assert_int_equal(check(&f, &f.provider, 1, NULL, &a), MOBID_ERR_SUBJECT_MISMATCH);
    pop(&f, f.instance, "app-1", AS, NOW - 3600);
    assert_int_equal(check(&f, &f.provider, 1, NULL, &a), MOBID_ERR_KB_IAT_INVALID);
    /* the two swapped: each has its own typ */
    pop(&f, f.instance, "app-1", AS, NOW);
    mobid_buf t = f.att;
    f.att = f.pop;
    f.pop = t;
    assert_int_equal(check(&f, &f.provider, 1, NULL, &a), MOBID_ERR_TYPE_MISMATCH);
    fx_free(&f);
}

/* An attestation signed by a provider's key certified by a trusted provider CA, with
 * the chain in x5c; the same without the CA trusted is refused. */
static void attestation_x5c(void **state)
{
    fx f;
    mobid_oid4vci_attestation a;
    mobid_key *ca_key = NULL;
    mobid_cert *ca = NULL, *leaf = NULL;
    mobid_trust *roots = NULL, *empty = NULL;
    json_t *x5c = NULL;
    (void)state;
    fx_init(&f);
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &ca_key), MOBID_OK);
    mobid_cert_spec cs = { .subject_cn = "Provider CA", .not_before = NOW - 86400,
                           .not_after = NOW + 86400, .is_ca = true, .path_len = -1 };
    assert_int_equal(mobid_cert_issue(&cs, ca_key, ca_key, NULL, &ca), MOBID_OK);
    mobid_cert_spec ls = { .subject_cn = "Provider attester", .not_before = NOW - 86400,
                           .not_after = NOW + 86400 };
    assert_int_equal(mobid_cert_issue(&ls, f.provider, ca_key, ca, &leaf), MOBID_OK);
    assert_int_equal(mobid_jose_x5c_from_certs(&leaf, 1, &x5c), MOBID_OK);
    mobid_oid4vci_attestation_spec s = { f.provider, x5c, "urn:test:provider", "app-1",
                                         f.instance, NOW, 3600 };
    assert_int_equal(mobid_oid4vci_attestation_build(&s, &f.att), MOBID_OK);
    pop(&f, f.instance, "app-1", AS, NOW);
    assert_int_equal(mobid_trust_new(&roots), MOBID_OK);
    assert_int_equal(mobid_trust_new(&empty), MOBID_OK);
    assert_int_equal(mobid_trust_add(roots, ca), MOBID_OK);
    assert_int_equal(check(&f, NULL, 0, roots, &a), MOBID_OK);
    assert_string_equal(a.client_id, "app-1");
    assert_int_equal(check(&f, NULL, 0, empty, &a), MOBID_ERR_UNTRUSTED_ISSUER);
    assert_int_equal(check(&f, &f.provider, 1, NULL, &a), MOBID_ERR_UNTRUSTED_ISSUER);
    json_decref(x5c);
    mobid_trust_free(roots);
    mobid_trust_free(empty);
    mobid_cert_free(ca);
    mobid_cert_free(leaf);
    mobid_key_free(ca_key);
    fx_free(&f);
}

/* RFC 7636 Appendix B, and verifiers out of the allowed length or alphabet. */
static void pkce(void **state)
{
    char ch[44], v[44], v2[44];
    (void)state;
    assert_int_equal(mobid_oid4vci_pkce_s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", ch),
                     MOBID_OK);
    assert_string_equal(ch, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    assert_int_equal(mobid_oid4vci_pkce_s256("short", ch), MOBID_ERR_MALFORMED);
    assert_int_equal(mobid_oid4vci_pkce_s256("dBjftJeZ4CVP+mB92K27uhbUJU1p1r/wW1gFWFOEjXk", ch),
                     MOBID_ERR_MALFORMED);
    assert_int_equal(mobid_oid4vci_pkce_s256(NULL, ch), MOBID_ERR_MALFORMED);
    assert_int_equal(mobid_oid4vci_pkce_verifier(v), MOBID_OK);
    assert_int_equal(mobid_oid4vci_pkce_verifier(v2), MOBID_OK);
    assert_int_equal(strlen(v), 43);
    assert_string_not_equal(v, v2);
    assert_int_equal(mobid_oid4vci_pkce_s256(v, ch), MOBID_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(attestation_round_trip),
        cmocka_unit_test(attestation_refused),
        cmocka_unit_test(attestation_x5c),
        cmocka_unit_test(pkce),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
