// mobid-module: wallet
/*
 * libFuzzer target for what the wallet takes from the network: the first byte picks a
 * flow, the rest is what every HTTP exchange answers (200) — or the link itself.
 *   0: receive by credential_offer_uri (offer, issuer metadata, token, nonce and
 *      credential responses are all the fuzz bytes);
 *   1: present by request_uri (the request object is the fuzz bytes);
 *   2: the bytes are the openid4vp:// link; 3: the openid-credential-offer:// link.
 * Nothing may crash or leak, and no flow may succeed on bytes no issuer or relying
 * party signed: the wallet's trust anchors are a fresh root no one else has. The
 * wallet blob is restored before each input, so a saved change never carries over.
 * Seeds in fuzz/corpus/wallet/ are written by hand.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <mobid/crypto.h>
#include <mobid/wallet.h>

typedef struct fz {
    mobid_view answer;
    mobid_buf blob;
    bool has_blob;
} fz;

static mobid_err fz_load(void *ctx, mobid_buf *out)
{
    fz *f = ctx;
    return f->has_blob ? mobid_buf_append_view(out, mobid_buf_view(&f->blob))
                       : MOBID_ERR_NOT_FOUND;
}

static mobid_err fz_save(void *ctx, mobid_view blob)
{
    fz *f = ctx;
    f->blob.len = 0;
    f->has_blob = true;
    return mobid_buf_append_view(&f->blob, blob);
}

static mobid_err fz_http(void *ctx, const mobid_wallet_http_req *req, long *status,
                         mobid_buf *body)
{
    fz *f = ctx;
    (void)req;
    *status = 200;
    return mobid_buf_append_view(body, f->answer);
}

static mobid_err fz_pin(void *ctx, const char *why, char pin[MOBID_WALLET_PIN_LEN + 1])
{
    (void)ctx;
    (void)why;
    memcpy(pin, "112233", MOBID_WALLET_PIN_LEN + 1);
    return MOBID_OK;
}

static mobid_err fz_tx(void *ctx, unsigned len, const char *desc, char *out, size_t cap)
{
    (void)ctx;
    (void)len;
    (void)desc;
    if (cap > 4)
        memcpy(out, "1234", 5);
    return MOBID_OK;
}

static mobid_err fz_consent(void *ctx, const mobid_wallet_consent *c)
{
    (void)ctx;
    (void)c;
    return MOBID_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static mobid_buf pristine;

/* One wallet sealed under a root of its own (cheap scrypt), made once. */
static void make_wallet(fz *f, mobid_wallet_io *io)
{
    mobid_cert_spec s = { 0 };
    mobid_key *k = NULL;
    mobid_cert *c = NULL;
    mobid_buf pem;
    mobid_wallet_init_opts o = { 0 };

    mobid_buf_init(&pem, 0);
    s.subject_cn = "fuzz root";
    s.not_before = 0;
    s.not_after = 4102444800;
    s.is_ca = true;
    s.path_len = -1;
    if (mobid_key_generate(MOBID_CURVE_P256, &k) || mobid_cert_issue(&s, k, k, NULL, &c) ||
        mobid_cert_to_pem(c, &pem) || mobid_buf_terminate(&pem))
        abort();
    o.issuer_roots_pem = o.rp_roots_pem = o.reg_roots_pem = (const char *)pem.ptr;
    o.scrypt_n = MOBID_WALLET_SCRYPT_N_MIN; /* the least a wallet accepts */
    o.scrypt_r = 8;
    o.scrypt_p = 1;
    if (mobid_wallet_init(io, &o))
        abort();
    mobid_buf_init(&pristine, 0);
    if (mobid_buf_append_view(&pristine, mobid_buf_view(&f->blob)))
        abort();
    mobid_buf_free(&pem);
    mobid_cert_free(c);
    mobid_key_free(k);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static fz f;
    static bool ready;
    mobid_wallet_io io = { &f, fz_load, fz_save, fz_http, NULL, fz_pin, fz_tx, fz_consent, NULL, NULL };
    char detail[256];
    json_t *summary = NULL;
    char *link = NULL;
    mobid_err err = MOBID_ERR_MALFORMED;

    if (!ready) {
        mobid_buf_init(&f.blob, 0);
        make_wallet(&f, &io);
        ready = true;
    }
    if (size < 1)
        return 0;
    f.blob.len = 0;
    if (mobid_buf_append_view(&f.blob, mobid_buf_view(&pristine)))
        abort();
    f.answer = mobid_view_make(data + 1, size - 1);
    link = mobid_view_strdup(f.answer);
    if (!link)
        return 0;
    switch (data[0] & 3) {
    case 0:
        err = mobid_wallet_receive(&io, "openid-credential-offer://?credential_offer_uri="
                                        "https%3A%2F%2Fissuer.fuzz%2Foffer",
                                   &summary, detail, sizeof detail);
        break;
    case 1:
        err = mobid_wallet_present(&io, "openid4vp://?client_id=x509_hash%3Aabc&request_uri="
                                        "https%3A%2F%2Frp.fuzz%2Fr",
                                   &summary, detail, sizeof detail);
        break;
    case 2:
        err = mobid_wallet_present(&io, link, &summary, detail, sizeof detail);
        break;
    default:
        err = mobid_wallet_receive(&io, link, &summary, detail, sizeof detail);
        break;
    }
    if (err == MOBID_OK) /* nothing here is signed by the wallet's root */
        abort();
    json_decref(summary);
    free(link);
    return 0;
}
