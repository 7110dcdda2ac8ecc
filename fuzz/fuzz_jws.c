// mobid-module: jose
/*
 * libFuzzer target for lib/jose. Every input is tried as a compact JWS, a JWK, a
 * compact JWE and plain JSON:
 * - a parsed JWS must describe its input exactly (parts, signing input, strict
 *   base64url round trip), an alg mobid does not verify must give ALG_NOT_ALLOWED,
 *   and verification with fixed keys must return a documented code;
 * - a parsed JWK must survive export and import, and have a thumbprint;
 * - a JWE decrypt that fails must leave the output empty;
 * - JSON that parses must re-serialize to a fixed point.
 * Small inputs are also signed and encrypted as payloads and must round-trip.
 *
 * The seed corpus fuzz/corpus/jws/ was produced with the mobid command (`mobid jws
 * sign`, `mobid jwe encrypt`, `mobid jwk generate`) using the keys below, plus a few
 * hand-written malformed tokens.
 */
#include <mobid/jose.h>

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                                   \
    do {                                                                                   \
        if (!(cond))                                                                       \
            abort();                                                                       \
    } while (0)

/* RFC 7515 A.3 (P-256), RFC 8037 A.1 (Ed25519) and RFC 7518 C (Bob, P-256) keys. */
static const char *const KEY_JWKS[] = {
    "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
    "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\","
    "\"d\":\"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI\"}",
    "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"d\":\"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A\","
    "\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}",
    "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"weNJy2HscCSM6AEDTDg04biOvhFhyyWvOHQfeF_PxMQ\","
    "\"y\":\"e8lnCO-AlStT-NJVX-crhB7QRYhiix03illJOVAOyck\","
    "\"d\":\"VEmDZpDXXK8p8N0Cndsxs924q6nS1RXFASRl6BfUqdw\"}",
};
#define N_KEYS 3
static mobid_key *keys[N_KEYS];

static void load_keys(void)
{
    for (int i = 0; i < N_KEYS; i++)
        if (!keys[i] && mobid_jwk_parse(mobid_view_str(KEY_JWKS[i]), &keys[i]) != MOBID_OK)
            abort();
}

static bool verify_code_ok(mobid_err e)
{
    return e == MOBID_OK || e == MOBID_ERR_ALG_NOT_ALLOWED || e == MOBID_ERR_KEY_INVALID ||
           e == MOBID_ERR_SIGNATURE_INVALID;
}

static void check_b64_part(mobid_view b64, const mobid_buf *decoded)
{
    mobid_buf again;
    mobid_buf_init(&again, 0);
    FUZZ_CHECK(mobid_b64url_encode(mobid_buf_view(decoded), &again) == MOBID_OK);
    FUZZ_CHECK(mobid_view_eq(mobid_buf_view(&again), b64)); /* strict: one spelling only */
    mobid_buf_free(&again);
}

static void fuzz_jws(mobid_view in)
{
    mobid_jws jws;
    if (mobid_jws_parse(in, &jws) != MOBID_OK)
        return;
    FUZZ_CHECK(json_is_object(jws.header));
    FUZZ_CHECK(jws.header_b64.ptr == in.ptr);
    FUZZ_CHECK(jws.header_b64.len + jws.payload_b64.len + jws.signature_b64.len + 2 == in.len);
    FUZZ_CHECK(jws.signing_input.ptr == in.ptr &&
               jws.signing_input.len == jws.header_b64.len + 1 + jws.payload_b64.len);
    check_b64_part(jws.payload_b64, &jws.payload);
    check_b64_part(jws.signature_b64, &jws.sig);
    for (int i = 0; i < N_KEYS; i++) {
        mobid_err e = mobid_jws_verify(&jws, keys[i], mobid_jose_algs_all);
        FUZZ_CHECK(verify_code_ok(e));
        if (jws.alg == MOBID_ALG_NONE)
            FUZZ_CHECK(e == MOBID_ERR_ALG_NOT_ALLOWED);
    }
    mobid_cert **certs = NULL;
    size_t n = 0;
    if (mobid_jose_header_x5c(jws.header, &certs, &n) == MOBID_OK)
        mobid_cert_list_free(certs, n);
    else
        FUZZ_CHECK(certs == NULL && n == 0);
    mobid_jws_clear(&jws);
}

static void fuzz_jwk(mobid_view in)
{
    mobid_key *k = NULL, *back = NULL;
    json_t *jwk = NULL;
    mobid_buf tp;
    mobid_buf_init(&tp, 0);
    if (mobid_jwk_parse(in, &k) != MOBID_OK) {
        FUZZ_CHECK(k == NULL);
        return;
    }
    FUZZ_CHECK(mobid_jwk_from_key(k, true, &jwk) == MOBID_OK);
    FUZZ_CHECK(mobid_jwk_to_key(jwk, &back) == MOBID_OK);
    FUZZ_CHECK(mobid_key_public_eq(k, back));
    FUZZ_CHECK(mobid_key_has_private(k) == mobid_key_has_private(back));
    FUZZ_CHECK(mobid_jwk_thumbprint_b64url(jwk, &tp) == MOBID_OK && tp.len == 43);
    mobid_buf_free(&tp);
    json_decref(jwk);
    mobid_key_free(back);
    mobid_key_free(k);
}

static void fuzz_jwe(mobid_view in)
{
    mobid_buf pt;
    json_t *hdr = NULL;
    mobid_buf_init(&pt, 0);
    mobid_err e = mobid_jwe_decrypt(in, keys[2], &hdr, &pt);
    if (e != MOBID_OK)
        FUZZ_CHECK(pt.len == 0 && hdr == NULL);
    json_decref(hdr);
    mobid_buf_free(&pt);
}

static void fuzz_json(mobid_view in)
{
    json_t *j = NULL, *j2 = NULL;
    mobid_buf a, b;
    mobid_buf_init(&a, 0);
    mobid_buf_init(&b, 0);
    mobid_err e = mobid_json_parse(in, 0, &j);
    FUZZ_CHECK(e != MOBID_ERR_NOMEM); /* bad input is MALFORMED, never "out of memory" */
    if (e != MOBID_OK)
        return;
    /* NaN cannot come from text, so every parsed value serializes. */
    FUZZ_CHECK(mobid_json_dump(j, true, &a) == MOBID_OK);
    FUZZ_CHECK(mobid_json_parse(mobid_buf_view(&a), 0, &j2) == MOBID_OK);
    FUZZ_CHECK(mobid_json_dump(j2, true, &b) == MOBID_OK);
    FUZZ_CHECK(mobid_view_eq(mobid_buf_view(&a), mobid_buf_view(&b)));
    json_decref(j);
    json_decref(j2);
    mobid_buf_free(&a);
    mobid_buf_free(&b);
}

/* Arbitrary bytes as a payload: sign/verify and encrypt/decrypt must round-trip. */
static void fuzz_roundtrip(mobid_view in)
{
    static const mobid_alg eddsa[] = { MOBID_ALG_EDDSA, MOBID_ALG_NONE };
    mobid_buf out, pt;
    mobid_jws jws;
    mobid_buf_init(&out, 0);
    mobid_buf_init(&pt, 0);
    FUZZ_CHECK(mobid_jws_sign(keys[1], MOBID_ALG_EDDSA, NULL, in, &out) == MOBID_OK);
    FUZZ_CHECK(mobid_jws_parse(mobid_buf_view(&out), &jws) == MOBID_OK);
    FUZZ_CHECK(mobid_view_eq(mobid_buf_view(&jws.payload), in));
    FUZZ_CHECK(mobid_jws_verify(&jws, keys[1], eddsa) == MOBID_OK);
    mobid_jws_clear(&jws);
    out.len = 0;
    mobid_jwe_params p = { 0 };
    p.enc = in.len % 2 ? MOBID_JWE_A256GCM : MOBID_JWE_A128GCM;
    p.apv = in;
    FUZZ_CHECK(mobid_jwe_encrypt(keys[2], &p, in, &out) == MOBID_OK);
    FUZZ_CHECK(mobid_jwe_decrypt(mobid_buf_view(&out), keys[2], NULL, &pt) == MOBID_OK);
    FUZZ_CHECK(mobid_view_eq(mobid_buf_view(&pt), in));
    mobid_buf_free(&out);
    mobid_buf_free(&pt);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mobid_view in = mobid_view_make(data, size);
    load_keys();
    fuzz_jws(in);
    fuzz_jwk(in);
    fuzz_jwe(in);
    fuzz_json(in);
    /* Signing and key agreement cost far more than parsing: keep them to small inputs
     * so the fuzzer spends its time in the parsers. */
    if (size <= 64)
        fuzz_roundtrip(in);
    return 0;
}
