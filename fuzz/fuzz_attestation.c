// mobid-module: oid4vci
/*
 * libFuzzer target for what an authorization server takes from a wallet in the HAIP
 * profile: the input is the OAuth-Client-Attestation header value, a newline, and the
 * OAuth-Client-Attestation-PoP value (without a newline: both are the whole input).
 * The check must return a documented code, leave its output zeroed on failure, and
 * accept only an attestation signed by the one trusted provider key below with a PoP
 * by the attested key; the input is also tried as a PKCE code_verifier.
 *
 * Seeds in fuzz/corpus/attestation/ were made with `mobid jws sign` (iat 1800000000):
 * a valid pair under the provider key below, one by an untrusted provider, a PoP by
 * another key, the two swapped, RFC 7636's verifier and junk.
 */
#include <mobid/jose.h>
#include <mobid/oid4vci.h>

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                                   \
    do {                                                                                   \
        if (!(cond))                                                                       \
            abort();                                                                       \
    } while (0)

static const char PROVIDER[] =
    "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"_uzwru111yjyURTfIny7tZmauJTQzF4Uf6HMq3Ju6RU\","
    "\"y\":\"ybuLY7kEPD_SEjGlEXOOadWc3o8WefQ-MZ2wNOJGz8o\"}";
static mobid_key *provider;

static bool documented(mobid_err e)
{
    static const mobid_err ok[] = {
        MOBID_OK, MOBID_ERR_MALFORMED, MOBID_ERR_BAD_BASE64, MOBID_ERR_TOO_BIG,
        MOBID_ERR_TOO_DEEP, MOBID_ERR_TYPE_MISMATCH, MOBID_ERR_ALG_NOT_ALLOWED,
        MOBID_ERR_UNTRUSTED_ISSUER, MOBID_ERR_EXPIRED, MOBID_ERR_KEY_INVALID,
        MOBID_ERR_SIGNATURE_INVALID, MOBID_ERR_AUDIENCE_MISMATCH, MOBID_ERR_SUBJECT_MISMATCH,
        MOBID_ERR_KB_IAT_INVALID, MOBID_ERR_POINT_NOT_ON_CURVE, MOBID_ERR_UNSUPPORTED,
        MOBID_ERR_CRITICAL_HEADER, MOBID_ERR_CERT_INVALID, MOBID_ERR_NOMEM,
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (e == ok[i])
            return true;
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const mobid_oid4vci_attestation zero;
    mobid_oid4vci_attestation a;
    char ch[44], *v;
    const uint8_t *nl = memchr(data, '\n', size);
    if (!provider && mobid_jwk_parse(mobid_view_str(PROVIDER), &provider) != MOBID_OK)
        abort();
    mobid_key *trusted[] = { provider };
    mobid_oid4vci_attestation_check_params p = { .aud = "https://issuer.example",
                                                 .providers = trusted, .n_providers = 1,
                                                 .now = 1800000000 };
    mobid_view att = mobid_view_make(data, nl ? (size_t)(nl - data) : size);
    mobid_view pop = nl ? mobid_view_make(nl + 1, size - (size_t)(nl - data) - 1)
                        : mobid_view_make(NULL, 0);
    mobid_err e = mobid_oid4vci_attestation_check(att, pop, &p, &a);
    FUZZ_CHECK(documented(e));
    if (e != MOBID_OK)
        FUZZ_CHECK(!memcmp(&a, &zero, sizeof a));
    else
        FUZZ_CHECK(a.client_id[0] && strlen(a.jkt) == 43 && strlen(a.jti) >= 8);
    if ((v = malloc(size + 1)) != NULL) { /* as a PKCE verifier */
        memcpy(v, data, size);
        v[size] = 0;
        e = mobid_oid4vci_pkce_s256(v, ch);
        FUZZ_CHECK(e == MOBID_OK || e == MOBID_ERR_MALFORMED || e == MOBID_ERR_NOMEM);
        FUZZ_CHECK(e != MOBID_OK || strlen(ch) == 43);
        free(v);
    }
    return 0;
}
