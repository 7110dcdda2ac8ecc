// mobid-module: sdjwt
/*
 * Fuzz target for SD-JWT presentation parsing: splitting, disclosure decoding and the
 * claim-processing walk (through the holder's present, which checks no signature, so
 * mutated payloads reach the walk), and the verifier end to end.
 */
#include <mobid/crypto.h>
#include <mobid/sdjwt.h>

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static mobid_key *issuer;
    if (!issuer && mobid_key_generate(MOBID_CURVE_P256, &issuer) != MOBID_OK)
        abort();
    mobid_view in = mobid_view_make(data, size);
    mobid_sdjwt_parts parts;
    mobid_view discs[8];
    mobid_err err = mobid_sdjwt_split(in, &parts, discs, 8);
    if (err == MOBID_OK && (parts.jwt.len == 0 || parts.n_disclosures > 8))
        abort();

    static const char *const reveal_all[] = { "*", "*/*", "*/*/*", NULL };
    mobid_sdjwt_present_params pp = { .reveal = reveal_all };
    mobid_buf out;
    mobid_buf_init(&out, 0);
    err = mobid_sdjwt_present(in, &pp, &out);
    if (err == MOBID_OK && (out.len == 0 || out.ptr[out.len - 1] != '~'))
        abort(); /* without a holder key a presentation ends with '~' */
    mobid_buf_free(&out);

    mobid_sdjwt_verify_opts vo = { .issuer_key = issuer, .now = 1767225600, .skew = -1,
                                   .typ = "" };
    mobid_sdjwt_result res;
    err = mobid_sdjwt_verify(in, &vo, &res);
    if ((err == MOBID_OK) != json_is_object(res.claims))
        abort(); /* claims exactly when valid */
    mobid_sdjwt_result_clear(&res);
    return 0;
}
