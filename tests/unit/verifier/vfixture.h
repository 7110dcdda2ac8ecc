/*
 * Test fixture for the verifier: a ministry root (IACA) with a document signer, a
 * status-list signer and a registration signer; an untrusted root with its own
 * document signer; a relying-party CA with an access certificate; a status list
 * (index 5 revoked, 6 suspended); a configuration file; credentials in both
 * formats; and a wallet that fetches the request object and answers it.
 */
#ifndef VFIXTURE_H
#define VFIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "testutil.h"
#include <mobid/cbor.h>
#include <mobid/jose.h>
#include <mobid/mdoc.h>
#include <mobid/oid4vp.h>
#include <mobid/sdjwt.h>
#include <mobid/statuslist.h>
#include "http/client.h"
#include "http/form.h"
#include "http/server.h"
#include "services/verifier/verifier.h"

/* The resident card's doctype and namespace as etc/card-types.json defines them. */
#define KR_RESIDENT_DOCTYPE "kr.go.mois.resident.1"
#define KR_RESIDENT_NS "kr.go.mois.resident.1"

#define VF_VCT "urn:mobid:kr:resident_card:1"
#define VF_STATUS_URI "https://status.example/lists/1"
#define VF_API_KEY "bank-api-key-0123456789abcdef"
#define VF_ISS "https://issuer.example"

typedef struct vf_pki {
    mobid_key *key;
    mobid_cert *cert;
} vf_pki;

typedef struct vfix {
    char dir[64];
    char db[256];             /* the store's URL */
    vf_pki iaca, ds, status_signer, reg_signer, other_root, other_ds, rp_ca, rp;
    mobid_key *holder;
    mobid_trust *rp_trust, *reg_trust;
    verifier_ctx *ctx;
    mobid_http_server *srv;
    mobid_http_client *http;  /* the relying party's */
    mobid_http_client *whttp; /* the wallet's */
} vfix;

static void vf_cert(vf_pki *p, const char *cn, const vf_pki *issuer, bool ca,
                    mobid_cert_purpose purpose, const char *uri_san)
{
    const char *sans[] = { uri_san, NULL };
    mobid_cert_spec spec = { 0 };
    spec.subject_cn = cn;
    spec.subject_c = "KR";
    spec.not_before = mobid_now() - 3600;
    spec.not_after = mobid_now() + 86400 * 400;
    spec.is_ca = ca;
    spec.path_len = ca ? 1 : 0;
    spec.purpose = purpose;
    spec.san_uris = uri_san ? sans : NULL;
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &p->key), MOBID_OK);
    assert_int_equal(mobid_cert_issue(&spec, p->key, issuer ? issuer->key : p->key,
                                      issuer ? issuer->cert : NULL, &p->cert),
                     MOBID_OK);
}

static void vf_write(const vfix *f, const char *name, mobid_view data)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", f->dir, name);
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(data.ptr, 1, data.len, fp), data.len);
    fclose(fp);
}

static void vf_write_pem(const vfix *f, const char *name, const vf_pki *p, bool with_key)
{
    mobid_buf b;
    mobid_buf_init(&b, 0);
    if (with_key)
        assert_int_equal(mobid_key_to_pem(p->key, true, &b), MOBID_OK);
    else
        assert_int_equal(mobid_cert_to_pem(p->cert, &b), MOBID_OK);
    vf_write(f, name, mobid_buf_view(&b));
    mobid_buf_free(&b);
}

static void vf_status_list(vfix *f)
{
    mobid_statuslist *l = NULL;
    mobid_buf tok;
    mobid_statuslist_sign_params sp = { 0 };
    char path[256];
    assert_int_equal(mobid_statuslist_new(2, 64, &l), MOBID_OK);
    assert_int_equal(mobid_statuslist_set(l, 5, MOBID_STATUS_INVALID), MOBID_OK);
    assert_int_equal(mobid_statuslist_set(l, 6, MOBID_STATUS_SUSPENDED), MOBID_OK);
    sp.format = MOBID_STATUSLIST_JWT;
    sp.key = f->status_signer.key;
    sp.chain = &f->status_signer.cert;
    sp.chain_len = 1;
    sp.uri = VF_STATUS_URI;
    sp.ttl = 300;
    mobid_buf_init(&tok, 0);
    assert_int_equal(mobid_statuslist_token_sign(l, &sp, &tok), MOBID_OK);
    snprintf(path, sizeof path, "%s/status.jwt", f->dir);
    vf_write(f, "status.jwt", mobid_buf_view(&tok));
    mobid_buf_free(&tok);
    mobid_statuslist_free(l);
}

/* The bank may ask for names, birth date and age_over_19 in both formats. */
static json_t *vf_allowed(void)
{
    return json_pack("[{s:s, s:s, s:[[s],[s],[s],[s]]}, {s:s, s:s, s:[[s,s],[s,s],[s,s],[s,s]]}]",
                     "format", "dc+sd-jwt", "type", VF_VCT, "claims", "given_name", "family_name",
                     "birth_date", "age_over_19", "format", "mso_mdoc", "type",
                     KR_RESIDENT_DOCTYPE, "claims", KR_RESIDENT_NS, "given_name",
                     KR_RESIDENT_NS, "family_name", KR_RESIDENT_NS, "birth_date",
                     KR_RESIDENT_NS, "age_over_19");
}

static void vf_registration(vfix *f)
{
    mobid_oid4vp_registration_params rp = { 0 };
    mobid_buf jwt, cid;
    json_t *allowed = vf_allowed();
    mobid_buf_init(&jwt, 0);
    mobid_buf_init(&cid, 0);
    assert_int_equal(mobid_oid4vp_client_id(f->rp.cert, &cid), MOBID_OK);
    assert_int_equal(mobid_buf_terminate(&cid), MOBID_OK);
    rp.key = f->reg_signer.key;
    rp.x5c = &f->reg_signer.cert;
    rp.x5c_len = 1;
    rp.rp_id = "bank";
    rp.name = "Example Bank";
    rp.legal_basis = "Act on Real Name Financial Transactions, art. 3";
    rp.allowed = allowed;
    rp.client_id = (const char *)cid.ptr;
    rp.exp = mobid_now() + 86400 * 365;
    assert_int_equal(mobid_oid4vp_registration_sign(&rp, &jwt), MOBID_OK);
    vf_write(f, "bank.reg.jwt", mobid_buf_view(&jwt));
    json_decref(allowed);
    mobid_buf_free(&jwt);
    mobid_buf_free(&cid);
}

static void vf_config(vfix *f)
{
    uint8_t h[MOBID_HASH_MAX];
    mobid_buf hex;
    char path[256];
    mobid_buf_init(&hex, 0);
    assert_int_equal(mobid_hash(MOBID_HASH_SHA256, mobid_view_str(VF_API_KEY), h), MOBID_OK);
    assert_int_equal(mobid_hex_encode(mobid_view_make(h, 32), &hex), MOBID_OK);
    assert_int_equal(mobid_buf_terminate(&hex), MOBID_OK);
    snprintf(path, sizeof path, "%s/status.jwt", f->dir);
    json_t *cfg = json_pack(
        "{s:s, s:[s], s:[s], s:{s:s}, s:[{s:s, s:s, s:s, s:s, s:s}], s:{s:{s:[{s:s, s:s, "
        "s:{s:[s]}, s:[{s:[s]}, {s:[s]}]}]}}}",
        "seal_key_file", "seal.hex", "trust_anchors", "iaca.pem", "registration_anchors",
        "iaca.pem", "status_map", VF_STATUS_URI, path, "relying_parties", "id", "bank",
        "api_key_sha256", (char *)hex.ptr, "key", "bank.key", "cert", "bank.pem", "registration",
        "bank.reg.jwt", "profiles", "bank-names", "credentials", "id", "card", "format",
        "dc+sd-jwt", "meta", "vct_values", VF_VCT, "claims", "path", "given_name", "path",
        "family_name");
    assert_non_null(cfg);
    char *text = json_dumps(cfg, JSON_INDENT(1));
    vf_write(f, "verifier.json", mobid_view_str(text));
    free(text);
    json_decref(cfg);
    mobid_buf_free(&hex);
    vf_write(f, "seal.hex",
             mobid_view_str("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n"));
}

static void vf_setup(vfix *f)
{
    char cfg[256], db[256];
    mobid_http_config hc = { .name = "verifier" };
    memset(f, 0, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/mobid-vf-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    vf_cert(&f->iaca, "Ministry IACA", NULL, true, MOBID_PURPOSE_ANY, NULL);
    vf_cert(&f->ds, "Ministry DS", &f->iaca, false, MOBID_PURPOSE_MDOC_DS, VF_ISS);
    vf_cert(&f->status_signer, "Ministry status lists", &f->iaca, false, MOBID_PURPOSE_SIGNING, NULL);
    vf_cert(&f->reg_signer, "Ministry RP registry", &f->iaca, false, MOBID_PURPOSE_REGISTRAR, NULL);
    vf_cert(&f->other_root, "Elsewhere IACA", NULL, true, MOBID_PURPOSE_ANY, NULL);
    vf_cert(&f->other_ds, "Elsewhere DS", &f->other_root, false, MOBID_PURPOSE_MDOC_DS, VF_ISS);
    vf_cert(&f->rp_ca, "RP CA", NULL, true, MOBID_PURPOSE_ANY, NULL);
    vf_cert(&f->rp, "Example Bank", &f->rp_ca, false, MOBID_PURPOSE_SIGNING, NULL);
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &f->holder), MOBID_OK);
    assert_int_equal(mobid_trust_new(&f->rp_trust), MOBID_OK);
    assert_int_equal(mobid_trust_add(f->rp_trust, f->rp_ca.cert), MOBID_OK);
    assert_int_equal(mobid_trust_new(&f->reg_trust), MOBID_OK);
    assert_int_equal(mobid_trust_add(f->reg_trust, f->iaca.cert), MOBID_OK);
    vf_write_pem(f, "iaca.pem", &f->iaca, false);
    vf_write_pem(f, "bank.pem", &f->rp, false);
    vf_write_pem(f, "bank.key", &f->rp, true);
    vf_status_list(f);
    vf_registration(f);
    vf_config(f);
    snprintf(cfg, sizeof cfg, "%s/verifier.json", f->dir);
    /* MOBID_PG_URL (tests/cli/verifier_pg.sh) puts the sessions in PostgreSQL. */
    if (getenv("MOBID_PG_URL"))
        snprintf(db, sizeof db, "%s", getenv("MOBID_PG_URL"));
    else
        snprintf(db, sizeof db, "sqlite:%s/verifier.db", f->dir);
    snprintf(f->db, sizeof f->db, "%s", db);
    assert_int_equal(verifier_ctx_new(cfg, db, &f->ctx), MOBID_OK);
    assert_int_equal(mobid_http_server_new(&hc, &f->srv), MOBID_OK);
    assert_int_equal(verifier_routes(f->ctx, f->srv), MOBID_OK);
    assert_int_equal(mobid_http_server_start(f->srv), MOBID_OK);
    assert_int_equal(verifier_set_public_url(f->ctx, mobid_http_server_url(f->srv)), MOBID_OK);
    /* The relying party's client outlasts the longest long-poll (VERIFIER_MAX_WAIT). */
    mobid_http_client_opts rp_opts = { .timeout_ms = (VERIFIER_MAX_WAIT + 30) * 1000L };
    assert_int_equal(mobid_http_client_new(&rp_opts, &f->http), MOBID_OK);
    assert_int_equal(mobid_http_client_new(NULL, &f->whttp), MOBID_OK);
}

static void vf_teardown(vfix *f)
{
    char cmd[128];
    vf_pki *all[] = { &f->iaca, &f->ds, &f->status_signer, &f->reg_signer,
                      &f->other_root, &f->other_ds, &f->rp_ca, &f->rp };
    mobid_http_client_free(f->http);
    mobid_http_client_free(f->whttp);
    mobid_http_server_free(f->srv);
    verifier_ctx_free(f->ctx);
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        mobid_key_free(all[i]->key);
        mobid_cert_free(all[i]->cert);
    }
    mobid_key_free(f->holder);
    mobid_trust_free(f->rp_trust);
    mobid_trust_free(f->reg_trust);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
}

#endif
