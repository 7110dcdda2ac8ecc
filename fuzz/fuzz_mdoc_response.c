// mobid-module: mdoc
/*
 * Fuzz target: DeviceResponse parsing and verification. The verifier pins a
 * document signer certificate made by mobid for the seed corpus, so seeds get
 * past issuerAuth into the MSO, the digests and device authentication; the
 * reader key lets deviceMac seeds reach the MAC check. Also feeds every
 * verified element value through the JSON bridge.
 */
#include <mobid/mdoc.h>

#include <stdlib.h>
#include <string.h>

#define FUZZ_AT 1767225600 /* 2026-01-01T00:00:00Z, inside the seeds' validity */

static const char ds_cert_hex[] =
    "3082018f30820135a00302010202107c8a9afdd3567637b309d7a0c4500298300a06082a8648ce3d"
    "04030230143112301006035504030c0946757a7a20494143413020170d3230303130313030303030"
    "305a180f32303530303130313030303030305a30123110300e06035504030c0746757a7a20445330"
    "59301306072a8648ce3d020106082a8648ce3d030107034200045546177509d0346552ee5995ce30"
    "5d15430674c576dd77efd51917a4820d462d19d26b110e8c27641e3eedc97ffc07466bcd09d86e78"
    "7a5f6c9aa30387e61cfaa3693067301d0603551d0e041604142e44b993294258155a6b0f7feef003"
    "e398773350301f0603551d230418301680148da8ba801148358d26979a826d8f349f3a055436300e"
    "0603551d0f0101ff04040302078030150603551d250101ff040b3009060728818c5d050102300a06"
    "082a8648ce3d0403020348003045022100a9c7cb4fc1184aa974eadf279806f01e86c869fa5ae3fb"
    "f67891f73820662bb002202dc3f91958e184b57bfb774bab4f5ee1069aea1f002946649d266b54a7"
    "dd39aa";
static const char reader_x[] = "ebfbc1efdad2f16b7c4a139f2e9abbd29655b6dcdfe0cf65527f5d19cdea5998";
static const char reader_y[] = "9050dc13c16584cf1027a2b0b602e35412d5f8ea7cbd938cfe56baa2d1702eb6";
static const char reader_d[] = "522b1ef8f22b0c386021b25960cbf3c214ffe63e3ceb36dc5ad452ad8d493efc";

static mobid_trust *trust;
static mobid_mdoc_verifier *verifier;
static mobid_key *reader;
static mobid_buf transcript;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static mobid_err hex_view(const char *hex, mobid_buf *out)
{
    mobid_buf_init(out, 0);
    return mobid_hex_decode(mobid_view_str(hex), out);
}

static void init_once(void)
{
    mobid_buf der, x, y, d;
    mobid_cert *ds = NULL;
    if (verifier)
        return;
    if (hex_view(ds_cert_hex, &der) != MOBID_OK || hex_view(reader_x, &x) != MOBID_OK ||
        hex_view(reader_y, &y) != MOBID_OK || hex_view(reader_d, &d) != MOBID_OK ||
        mobid_cert_parse(mobid_buf_view(&der), &ds) != MOBID_OK ||
        mobid_trust_new(&trust) != MOBID_OK || mobid_trust_add(trust, ds) != MOBID_OK ||
        mobid_mdoc_verifier_new(trust, &verifier) != MOBID_OK ||
        mobid_key_from_coords(MOBID_CURVE_P256, mobid_buf_view(&x), mobid_buf_view(&y),
                              mobid_buf_view(&d), &reader) != MOBID_OK ||
        mobid_mdoc_transcript_oid4vp("x509_san_dns:fuzz.example", "fuzz-nonce",
                                     mobid_view_make(NULL, 0), "https://fuzz.example/post",
                                     &transcript) != MOBID_OK)
        abort();
    mobid_cert_free(ds);
    mobid_buf_free(&der);
    mobid_buf_free(&x);
    mobid_buf_free(&y);
    mobid_buf_free(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mobid_mdoc_result res;
    init_once();
    mobid_mdoc_verify_opts o = { mobid_buf_view(&transcript), reader, FUZZ_AT, NULL };
    if (mobid_mdoc_verify(verifier, mobid_view_make(data, size), &o, &res) == MOBID_OK) {
        for (size_t i = 0; i < res.n_docs; i++) {
            json_t *claims = NULL;
            if (mobid_mdoc_doc_claims_json(&res.docs[i], &claims) == MOBID_OK)
                json_decref(claims);
        }
    }
    mobid_mdoc_result_free(&res);
    return 0;
}
