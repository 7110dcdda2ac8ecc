// mobid-module: cose
/*
 * Fuzz target for lib/cose: every input is tried as a COSE_Sign1 (parsed, its
 * x5chain certificates parsed, verified with a fixed P-256 key), a COSE_Mac0
 * (parsed, verified with a fixed secret) and a COSE_Key (decoded).
 * Seeds in fuzz/corpus/cose/ were written by mobid itself with the fixed key,
 * so the fuzzer starts from messages that reach the successful paths.
 */
#include <stddef.h>
#include <stdint.h>

#include <mobid/cose.h>

/* The P-256 key "11" of the COSE-WG examples (public part). */
static const uint8_t key_x[32] = {
    0xba, 0xc5, 0xb1, 0x1c, 0xad, 0x8f, 0x99, 0xf9, 0xc7, 0x2b, 0x05, 0xcf, 0x4b, 0x9e, 0x26, 0xd2,
    0x44, 0xdc, 0x18, 0x9f, 0x74, 0x52, 0x28, 0x25, 0x5a, 0x21, 0x9a, 0x86, 0xd6, 0xa0, 0x9e, 0xff
};
static const uint8_t key_y[32] = {
    0x20, 0x13, 0x8b, 0xf8, 0x2d, 0xc1, 0xb6, 0xd5, 0x62, 0xbe, 0x0f, 0xa5, 0x4a, 0xb7, 0x80, 0x4a,
    0x3a, 0x64, 0xb6, 0xd7, 0x2c, 0xcf, 0xed, 0x6b, 0x6f, 0xb6, 0xed, 0x28, 0xbb, 0xfc, 0x11, 0x7e
};
static const uint8_t mac_key[32] = "mobid fuzz mac key 0123456789ab";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Results are counted so the calls cannot be optimised away or ignored. */
static volatile size_t verified;

static mobid_key *fixed_key(void)
{
    static mobid_key *key;
    if (!key && mobid_key_from_coords(MOBID_CURVE_P256, mobid_view_make(key_x, 32),
                                      mobid_view_make(key_y, 32), mobid_view_make(NULL, 0),
                                      &key) != MOBID_OK)
        key = NULL;
    return key;
}

static void try_sign1(mobid_view in)
{
    mobid_cose_sign1 s;
    mobid_cbor_item v;
    if (mobid_cose_sign1_parse(in, &s) != MOBID_OK)
        return;
    for (size_t i = 0; i < s.x5chain_count; i++) {
        mobid_cert *c = NULL;
        if (mobid_cert_parse(s.x5chain[i], &c) == MOBID_OK)
            mobid_cert_free(c);
    }
    (void)mobid_cose_sign1_header(&s, MOBID_COSE_HDR_TYP, &v);
    /* A detached message is checked against the input itself as payload. */
    mobid_key *k = fixed_key();
    if (k)
        verified += mobid_cose_sign1_verify(&s, k, mobid_view_make(NULL, 0), in,
                                            mobid_cose_algs_all) == MOBID_OK;
}

static void try_mac0(mobid_view in)
{
    mobid_cose_mac0 m;
    if (mobid_cose_mac0_parse(in, &m) != MOBID_OK)
        return;
    verified += mobid_cose_mac0_verify(&m, mobid_view_make(mac_key, 32), mobid_view_make(NULL, 0),
                                       in) == MOBID_OK;
}

static void try_cose_key(mobid_view in)
{
    mobid_cbor_item item;
    mobid_key *k = NULL;
    if (mobid_cbor_decode_exact(in, NULL, &item) != MOBID_OK)
        return;
    if (mobid_cose_key_decode(&item, &k) == MOBID_OK) {
        mobid_buf out;
        mobid_cbor_enc e;
        mobid_buf_init(&out, 0);
        mobid_cbor_enc_init(&e, &out);
        (void)mobid_cose_key_encode(k, true, &e);
        verified += mobid_cbor_enc_finish(&e) == MOBID_OK;
        mobid_buf_free(&out);
    }
    mobid_key_free(k);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mobid_view in = mobid_view_make(data, size);
    try_sign1(in);
    try_mac0(in);
    try_cose_key(in);
    return 0;
}
