/*
 * `mobid up`, first start: the relying parties of the demo and the verifier's
 * configuration. Each party gets a P-256 access certificate from the RP CA that
 * `mobid pki init` made (DIR/pki/rp-ca.{pem,key}) and a registration (the claims
 * it may ask for) signed by a ministry registration signer under the IACA; its API
 * key is random and only its SHA-256 goes into verifier.json.
 *
 *   gov24     Government 24: the whole resident card, with the registration number
 *   overseas  the Overseas Korean portal: the same
 *   bank      a bank: name, birth date and age_over_19 only
 */
#include "cli.h"
#include "cmd_up.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <mobid/oid4vp.h>

#define NS "kr.go.mois.resident.1"
#define VCT "urn:mobid:kr:resident_card:1"
#define CERT_DAYS 825
#define REG_DAYS 365

typedef struct up_rp_def {
    const char *id, *name, *legal_basis;
    bool full;    /* the whole card; else name, birth date, age_over_19 */
} up_rp_def;

static const up_rp_def RPS[] = {
    { "gov24", "Government 24", "Electronic Government Act, Art. 9 (identity check)", true },
    { "overseas", "Overseas Korean portal", "Overseas Koreans Act (consular services)", true },
    { "bank", "Example Bank", "Real Name Financial Transactions Act (customer due diligence)",
      false },
};

static const char *const BANK_CLAIMS[] = { "family_name", "given_name", "birth_date",
                                           "age_over_19", NULL };

typedef struct pki_pair {
    mobid_key *key;
    mobid_cert *cert;
} pki_pair;

static void pair_free(pki_pair *p)
{
    mobid_key_free(p->key);
    mobid_cert_free(p->cert);
    p->key = NULL;
    p->cert = NULL;
}

static mobid_err load_pair(const up_opts *o, const char *stem, pki_pair *p)
{
    char path[UP_PATH_MAX];
    mobid_buf b;
    mobid_err err;
    mobid_buf_init(&b, 0);
    snprintf(path, sizeof path, "%s/pki/%s.key", o->dir, stem);
    if (!(err = cli_read_file(path, &b)))
        err = mobid_key_from_pem(mobid_buf_view(&b), &p->key);
    mobid_buf_free(&b);
    mobid_buf_init(&b, 0);
    snprintf(path, sizeof path, "%s/pki/%s.pem", o->dir, stem);
    if (!err && !(err = cli_read_file(path, &b)))
        err = mobid_cert_parse(mobid_buf_view(&b), &p->cert);
    mobid_buf_free(&b);
    return err;
}

/* A fresh key and certificate under issuer; key and chain (leaf, issuer) written to
 * DIR/rp/<stem>.{key,pem}. */
static mobid_err issue_pair(const up_opts *o, const char *stem, const char *cn,
                            const pki_pair *issuer, pki_pair *out)
{
    char path[UP_PATH_MAX];
    mobid_cert_spec spec = { .subject_cn = cn, .subject_c = "KR",
                             .not_before = mobid_now() - 60,
                             .not_after = mobid_now() + (mobid_time)CERT_DAYS * 86400,
                             .purpose = MOBID_PURPOSE_SIGNING };
    mobid_buf b;
    mobid_err err;

    mobid_buf_init(&b, 0);
    if ((err = mobid_key_generate(MOBID_CURVE_P256, &out->key)) ||
        (err = mobid_cert_issue(&spec, out->key, issuer->key, issuer->cert, &out->cert)) ||
        (err = mobid_key_to_pem(out->key, true, &b)))
        goto done;
    snprintf(path, sizeof path, "%s/rp/%s.key", o->dir, stem);
    if ((err = cli_write_file(path, mobid_buf_view(&b), 0600)))
        goto done;
    b.len = 0;
    if ((err = mobid_cert_to_pem(out->cert, &b)) || (err = mobid_cert_to_pem(issuer->cert, &b)))
        goto done;
    snprintf(path, sizeof path, "%s/rp/%s.pem", o->dir, stem);
    err = cli_write_file(path, mobid_buf_view(&b), 0644);
done:
    mobid_buf_free(&b);
    return err;
}

/* The "allowed" list of a registration: both formats of the resident card. */
static json_t *allowed_claims(bool full)
{
    json_t *mdoc = json_array(), *sd = json_array();
    if (full) {
        json_array_append_new(mdoc, json_pack("[s]", NS));
        json_array_append_new(sd, json_pack("[s]", "resident_registration_number"));
    }
    for (size_t i = 0; BANK_CLAIMS[i]; i++) {
        json_array_append_new(mdoc, json_pack("[s, s]", NS, BANK_CLAIMS[i]));
        json_array_append_new(sd, json_pack("[s]", BANK_CLAIMS[i]));
    }
    if (full) {
        static const char *const more[] = { "family_name_hangul", "given_name_hangul", "sex",
                                            "nationality", "resident_country",
                                            "residence_status", "passport_number",
                                            "issuing_office", "age_over_14", "portrait", NULL };
        for (size_t i = 0; more[i]; i++)
            json_array_append_new(sd, json_pack("[s]", more[i]));
    }
    return json_pack("[{s:s, s:s, s:o}, {s:s, s:s, s:o}]", "format", "mso_mdoc", "type", NS,
                     "claims", mdoc, "format", "dc+sd-jwt", "type", VCT, "claims", sd);
}

static mobid_err sign_registration(const up_opts *o, const up_rp_def *d, const pki_pair *registrar,
                                   const pki_pair *access)
{
    char path[UP_PATH_MAX];
    mobid_buf jwt, cid;
    json_t *allowed = allowed_claims(d->full);
    mobid_err err;

    mobid_buf_init(&jwt, 0);
    mobid_buf_init(&cid, 0);
    if ((err = mobid_oid4vp_client_id(access->cert, &cid)) || (err = mobid_buf_terminate(&cid)))
        goto done;
    mobid_oid4vp_registration_params p = {
        .key = registrar->key, .x5c = &registrar->cert, .x5c_len = 1, .rp_id = d->id,
        .name = d->name, .legal_basis = d->legal_basis, .allowed = allowed,
        .client_id = (const char *)cid.ptr,
        .exp = mobid_now() + (mobid_time)REG_DAYS * 86400,
    };
    if ((err = mobid_oid4vp_registration_sign(&p, &jwt)))
        goto done;
    snprintf(path, sizeof path, "%s/rp/%s.registration.jwt", o->dir, d->id);
    err = cli_write_file(path, mobid_buf_view(&jwt), 0644);
done:
    json_decref(allowed);
    mobid_buf_free(&jwt);
    mobid_buf_free(&cid);
    return err;
}

/* The verifier's profiles: what each party asks for by name. */
static json_t *profiles(void)
{
    json_t *full = json_array(), *bank = json_array();
    static const char *const all[] = { "family_name", "given_name", "family_name_hangul",
                                       "given_name_hangul", "birth_date",
                                       "resident_registration_number", "nationality",
                                       "resident_country", NULL };
    for (size_t i = 0; all[i]; i++)
        json_array_append_new(full, json_pack("{s:[s, s]}", "path", NS, all[i]));
    for (size_t i = 0; BANK_CLAIMS[i]; i++)
        json_array_append_new(bank, json_pack("{s:[s, s]}", "path", NS, BANK_CLAIMS[i]));
    return json_pack("{s:{s:[{s:s, s:s, s:{s:s}, s:o}]}, s:{s:[{s:s, s:s, s:{s:s}, s:o}]}}",
                     "resident_full", "credentials", "id", "resident_card", "format", "mso_mdoc",
                     "meta", "doctype_value", NS, "claims", full, "bank_basic", "credentials",
                     "id", "resident_card", "format", "mso_mdoc", "meta", "doctype_value", NS,
                     "claims", bank);
}

static mobid_err add_party(const up_opts *o, const up_rp_def *d, const pki_pair *rp_ca,
                           const pki_pair *registrar, json_t *cfg_rps, json_t *rps)
{
    char key[65], stem[96], cert[128], keyf[128], reg[128];
    uint8_t h[MOBID_HASH_MAX];
    mobid_buf hex;
    pki_pair access = { 0 };
    mobid_err err;

    mobid_buf_init(&hex, 0);
    snprintf(stem, sizeof stem, "%s", d->id);
    if ((err = issue_pair(o, stem, d->name, rp_ca, &access)) ||
        (err = sign_registration(o, d, registrar, &access)) || (err = up_random_hex(key)) ||
        (err = mobid_hash(MOBID_HASH_SHA256, mobid_view_str(key), h)) ||
        (err = mobid_hex_encode(mobid_view_make(h, 32), &hex)) || (err = mobid_buf_terminate(&hex)))
        goto done;
    snprintf(cert, sizeof cert, "rp/%s.pem", d->id);
    snprintf(keyf, sizeof keyf, "rp/%s.key", d->id);
    snprintf(reg, sizeof reg, "rp/%s.registration.jwt", d->id);
    json_array_append_new(cfg_rps, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "id", d->id,
                                             "api_key_sha256", (const char *)hex.ptr, "key", keyf,
                                             "cert", cert, "registration", reg, "response_mode",
                                             "direct_post.jwt"));
    json_array_append_new(rps, json_pack("{s:s, s:s, s:s}", "id", d->id, "name", d->name,
                                         "api_key", key));
done:
    mobid_wipe(key, sizeof key);
    pair_free(&access);
    mobid_buf_free(&hex);
    return err;
}

static mobid_err write_verifier_config(const up_opts *o, const up_service *svc, json_t *cfg_rps)
{
    char path[UP_PATH_MAX];
    json_t *j = json_pack("{s:s, s:s, s:[s], s:[s], s:O, s:o}", "public_url", svc[1].url,
                          "seal_key_file", "verifier-seal.key", "trust_anchors", "pki/iaca.pem",
                          "registration_anchors", "pki/iaca.pem", "relying_parties", cfg_rps,
                          "profiles", profiles());
    char *text = j ? json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
    mobid_err err = text ? MOBID_OK : MOBID_ERR_NOMEM;
    up_path(o, "verifier.json", path);
    if (!err)
        err = up_write_secret(path, text);
    free(text);
    json_decref(j);
    return err;
}

mobid_err up_rp_setup(const up_opts *o, const up_service *svc, json_t **rps)
{
    char dir[UP_PATH_MAX];
    pki_pair iaca = { 0 }, rp_ca = { 0 }, registrar = { 0 };
    json_t *cfg_rps = json_array();
    mobid_err err;

    *rps = json_array();
    up_path(o, "rp", dir);
    mkdir(dir, 0700);
    if ((err = load_pair(o, "iaca", &iaca)) || (err = load_pair(o, "rp-ca", &rp_ca)) ||
        (err = issue_pair(o, "registrar", "Ministry relying-party registry", &iaca, &registrar)))
        goto done;
    for (size_t i = 0; !err && i < sizeof RPS / sizeof RPS[0]; i++)
        err = add_party(o, &RPS[i], &rp_ca, &registrar, cfg_rps, *rps);
    if (!err)
        err = write_verifier_config(o, svc, cfg_rps);
done:
    if (err)
        fprintf(stderr, "mobid up: relying-party setup failed: %s\n", mobid_err_name(err));
    pair_free(&iaca);
    pair_free(&rp_ca);
    pair_free(&registrar);
    json_decref(cfg_rps);
    return err;
}
