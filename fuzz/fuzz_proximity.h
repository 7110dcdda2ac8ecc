/*
 * Shared by the proximity fuzz targets: fixed keys and a pinned reader certificate
 * (made by mobid for the seed corpora; nothing secret), so seeds made with them get
 * past the session decryption into DeviceRequest parsing and reader authentication.
 * Everything is set up once; each input gets fresh sessions (counters start at 1).
 */
#ifndef MOBID_FUZZ_PROXIMITY_H
#define MOBID_FUZZ_PROXIMITY_H

#include <mobid/cose.h>
#include <mobid/proximity.h>

#include <stdlib.h>

#define FUZZ_PX_AT 1767225600 /* 2026-01-01T00:00:00Z, inside the reader certificate */

static const char fz_device_x[] =
    "ac09860e09d3ba031d644549474f0955dd3cbb7b6a26972aa877c8c48b49fcf6";
static const char fz_device_y[] =
    "3e418e3506056411c95a1e73f1c8b5653926539f5c5b8fd830e80e6ec5cb8e4a";
static const char fz_device_d[] =
    "6eac4257539d9667a5e1e23b44eae9ea8b3bba648dc4b2845196f70d84508dee";
static const char fz_reader_x[] =
    "709e1365aeb47abee8acb2aaa6920e4d63bdb2e6f6b5241220fc9ed7383dff9b";
static const char fz_reader_y[] =
    "3b4d8c742509a8667bd738cfe06a02adbd4c3728d68000834d48eb255eaf10be";
static const char fz_reader_d[] =
    "c6e16d5d07756c145a5ba28914089ca024c493192666c41017217b739204048b";
static const char fz_sdevice_x[] =
    "b4cb94cf2dc8fd50e5fd178ca58a5aae833165f22f2fc414a7a7acc943550526";
static const char fz_sdevice_y[] =
    "7c2896b554fa542d29033df06a60eac42e67532a894dd98c238f5328c4e9e35d";
static const char fz_sdevice_d[] =
    "294efaa1580fecc27dc808cb6951319554732a93cad4707ab7a7853ffb4c62f2";
static const char fz_rauth_x[] =
    "3b63642d69ad9e6be8b86917089fdd84db5129d2cb592a75e18e1aab775c8d29";
static const char fz_rauth_y[] =
    "fd983d7fb500222ccfe654200504367911c0a06cd045b204e8feed0d34c9217f";
static const char fz_rauth_d[] =
    "0a619245991d6d41b9c3af5c1a5e3bc712bd0104d7fea3429123d3b3902a9972";
static const char fz_rauth_cert[] =
    "3082018f30820134a00302010202105258df34b3ea16bd874a94d3e61eae8a300a06082a8648ce3d"
    "0403023023310b3009060355040613024b523114301206035504030c0b46757a7a20726561646572"
    "3020170d3230303130313030303030305a180f32303530303130313030303030305a3023310b3009"
    "060355040613024b523114301206035504030c0b46757a7a207265616465723059301306072a8648"
    "ce3d020106082a8648ce3d030107034200043b63642d69ad9e6be8b86917089fdd84db5129d2cb59"
    "2a75e18e1aab775c8d29fd983d7fb500222ccfe654200504367911c0a06cd045b204e8feed0d34c9"
    "217fa3483046301d0603551d0e0416041444a3fe2da39b5df257398bafa212fa5eeba4a6b7300e06"
    "03551d0f0101ff04040302078030150603551d250101ff040b3009060728818c5d050106300a0608"
    "2a8648ce3d0403020349003046022100a2a79e5ee36ba93bc1847e54f5b6a90f83d02aeccd48a245"
    "ae3f31a6db40f4e5022100c7b6bcbb795af2f0402e76664fa669e46b43c2a0e037207e83ff2025a1"
    "2235da";

typedef struct fuzz_px {
    mobid_key *device, *reader, *sdevice, *rauth;
    mobid_cert *rauth_cert;
    mobid_trust *trust;
    mobid_buf engagement, reader_cose, transcript;
} fuzz_px;

static fuzz_px fz;

static mobid_key *fz_key(const char *x, const char *y, const char *d)
{
    mobid_buf bx, by, bd;
    mobid_key *k = NULL;
    mobid_buf_init(&bx, 0);
    mobid_buf_init(&by, 0);
    mobid_buf_init(&bd, 0);
    if (mobid_hex_decode(mobid_view_str(x), &bx) || mobid_hex_decode(mobid_view_str(y), &by) ||
        mobid_hex_decode(mobid_view_str(d), &bd) ||
        mobid_key_from_coords(MOBID_CURVE_P256, mobid_buf_view(&bx), mobid_buf_view(&by),
                              mobid_buf_view(&bd), &k))
        abort();
    mobid_buf_free(&bx);
    mobid_buf_free(&by);
    mobid_buf_free(&bd);
    return k;
}

/* The engagement (TCP 127.0.0.1:1), the reader's COSE_Key and the QR transcript. */
static void fz_init(void)
{
    mobid_px_retrieval m = { .type = MOBID_PX_RETRIEVAL_TCP, .version = 1,
                             .host = "127.0.0.1", .port = 1 };
    mobid_buf der;
    mobid_cbor_enc e;
    if (fz.device)
        return;
    fz.device = fz_key(fz_device_x, fz_device_y, fz_device_d);
    fz.reader = fz_key(fz_reader_x, fz_reader_y, fz_reader_d);
    fz.sdevice = fz_key(fz_sdevice_x, fz_sdevice_y, fz_sdevice_d);
    fz.rauth = fz_key(fz_rauth_x, fz_rauth_y, fz_rauth_d);
    mobid_buf_init(&der, 0);
    mobid_buf_init(&fz.engagement, 0);
    mobid_buf_init(&fz.reader_cose, 0);
    mobid_buf_init(&fz.transcript, 0);
    mobid_cbor_enc_init(&e, &fz.reader_cose);
    if (mobid_hex_decode(mobid_view_str(fz_rauth_cert), &der) ||
        mobid_cert_parse(mobid_buf_view(&der), &fz.rauth_cert) ||
        mobid_trust_new(&fz.trust) || mobid_trust_add(fz.trust, fz.rauth_cert) ||
        mobid_px_engagement_encode(fz.device, &m, 1, &fz.engagement) ||
        mobid_cose_key_encode(fz.reader, false, &e) || mobid_cbor_enc_finish(&e) ||
        mobid_px_transcript_qr(mobid_buf_view(&fz.engagement), mobid_buf_view(&fz.reader_cose),
                               &fz.transcript))
        abort();
    mobid_buf_free(&der);
}

/* A fresh session for one side. */
static mobid_px_session *fz_session(mobid_px_role role)
{
    mobid_px_session *s = NULL;
    if (role == MOBID_PX_DEVICE
            ? mobid_px_session_new(role, fz.device, fz.reader, mobid_buf_view(&fz.transcript), &s)
            : mobid_px_session_new(role, fz.reader, fz.device, mobid_buf_view(&fz.transcript), &s))
        abort();
    return s;
}

/* Everything a holder does with a decrypted DeviceRequest short of answering it. */
static void fz_device_request(mobid_view in, const mobid_px_session *s)
{
    mobid_px_device_request r;
    if (mobid_px_device_request_parse(in, &r) == MOBID_OK) {
        for (size_t i = 0; i < r.n_docs; i++) {
            mobid_buf irb;
            mobid_cert *leaf = NULL;
            mobid_px_doc_spec spec = { "x", r.docs[i].items, r.docs[i].n_items,
                                       r.docs[i].request_info, NULL, NULL, 0 };
            mobid_buf_init(&irb, 0);
            (void)mobid_px_items_request_encode(&spec, &irb);
            if (mobid_px_reader_auth_verify(&r.docs[i], mobid_px_session_transcript(s), fz.trust,
                                            FUZZ_PX_AT, &leaf) == MOBID_OK)
                mobid_cert_free(leaf);
            mobid_buf_free(&irb);
        }
    }
    mobid_px_device_request_clear(&r);
}

#endif
