/*
 * `mobid up`, first start: the relying parties of the demo and the verifier's
 * configuration, as the provisioning policy (etc/provisioning.example.json) and the
 * card types (etc/card-types.json) say. Each party gets a P-256 access certificate
 * from the RP CA that `mobid pki init` made (DIR/pki/rp-ca.{pem,key}) and a
 * registration (the claims it is granted) signed by a ministry registration signer
 * under the IACA; its API key is random: the key itself goes to DIR/rp/<id>.api-key
 * (0600, for the party: the portal reads its two from there), only its SHA-256 into
 * verifier.json.
 */
#include "cli.h"
#include "cmd_up.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <mobid/oid4vp.h>

#include "services/provision/provision.h"

#define CERT_DAYS 825
#define REG_DAYS 365

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
    /* the registrar gets its own EKU: no other key under the root signs registrations;
     * valid from a minute back, so a checker whose clock lags a little accepts it at once */
    mobid_cert_spec spec = { .subject_cn = cn, .subject_c = "KR",
                             .not_before = mobid_now() - 60,
                             .not_after = mobid_now() + (mobid_time)CERT_DAYS * 86400,
                             .purpose = strcmp(stem, "registrar") ? MOBID_PURPOSE_SIGNING
                                                                  : MOBID_PURPOSE_REGISTRAR };
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

static const char *str(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static mobid_err sign_registration(const up_opts *o, const json_t *cts, const json_t *d,
                                   const pki_pair *registrar, const pki_pair *access)
{
    char path[UP_PATH_MAX];
    mobid_buf jwt, cid;
    json_t *allowed = NULL;
    mobid_err err;

    mobid_buf_init(&jwt, 0);
    mobid_buf_init(&cid, 0);
    if ((err = prov_allowed(cts, json_object_get(d, "grants"), &allowed)) ||
        (err = mobid_oid4vp_client_id(access->cert, &cid)) || (err = mobid_buf_terminate(&cid)))
        goto done;
    mobid_oid4vp_registration_params p = {
        .key = registrar->key, .x5c = &registrar->cert, .x5c_len = 1, .rp_id = str(d, "id"),
        .name = str(d, "name"), .legal_basis = str(d, "legal_basis"), .allowed = allowed,
        .client_id = (const char *)cid.ptr,
        .exp = mobid_now() + (mobid_time)REG_DAYS * 86400,
    };
    if ((err = mobid_oid4vp_registration_sign(&p, &jwt)))
        goto done;
    snprintf(path, sizeof path, "%s/rp/%s.registration.jwt", o->dir, str(d, "id"));
    err = cli_write_file(path, mobid_buf_view(&jwt), 0644);
done:
    json_decref(allowed);
    mobid_buf_free(&jwt);
    mobid_buf_free(&cid);
    return err;
}

static mobid_err add_party(const up_opts *o, const json_t *cts, const json_t *d,
                           const pki_pair *rp_ca, const pki_pair *registrar, json_t *cfg_rps,
                           json_t *rps)
{
    char key[66], cert[128], keyf[128], reg[128], keypath[UP_PATH_MAX];
    const char *id = str(d, "id"), *name = str(d, "name"), *mode = str(d, "response_mode");
    uint8_t h[MOBID_HASH_MAX];
    mobid_buf hex;
    pki_pair access = { 0 };
    mobid_err err = id && name && strspn(id, "abcdefghijklmnopqrstuvwxyz0123456789-_") == strlen(id)
                        ? MOBID_OK : MOBID_ERR_MALFORMED;

    mobid_buf_init(&hex, 0);
    if (err || (err = issue_pair(o, id, name, rp_ca, &access)) ||
        (err = sign_registration(o, cts, d, registrar, &access)) || (err = up_random_hex(key)) ||
        (err = mobid_hash(MOBID_HASH_SHA256, mobid_view_str(key), h)) ||
        (err = mobid_hex_encode(mobid_view_make(h, 32), &hex)) || (err = mobid_buf_terminate(&hex)))
        goto done;
    up_api_key_path(o, id, keypath);
    key[64] = '\n';
    key[65] = 0;
    if ((err = up_write_secret(keypath, key)))
        goto done;
    snprintf(cert, sizeof cert, "rp/%s.pem", id);
    snprintf(keyf, sizeof keyf, "rp/%s.key", id);
    snprintf(reg, sizeof reg, "rp/%s.registration.jwt", id);
    json_array_append_new(cfg_rps, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "id", id,
                                             "api_key_sha256", (const char *)hex.ptr, "key", keyf,
                                             "cert", cert, "registration", reg, "response_mode",
                                             mode ? mode : "direct_post.jwt"));
    json_array_append_new(rps, json_pack("{s:s, s:s}", "id", id, "name", name));
done:
    if (err == MOBID_ERR_MALFORMED)
        fprintf(stderr, "mobid up: a relying party needs an id (a-z, 0-9, - and _) and a name\n");
    mobid_wipe(key, sizeof key);
    pair_free(&access);
    mobid_buf_free(&hex);
    return err;
}

static mobid_err write_verifier_config(const up_opts *o, const up_service *svc, json_t *cfg_rps,
                                       json_t *profiles)
{
    char path[UP_PATH_MAX];
    json_t *j = json_pack("{s:s, s:s, s:[s], s:[s], s:O, s:O, s:s?}", "public_url",
                          svc[1].public_url, "seal_key_file", "verifier-seal.key",
                          "trust_anchors", "pki/iaca.pem", "registration_anchors", "pki/iaca.pem",
                          "relying_parties", cfg_rps, "profiles", profiles, "tls_ca_file",
                          o->ca_file);
    char *text = j ? json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
    mobid_err err = text ? MOBID_OK : MOBID_ERR_NOMEM;
    up_path(o, "verifier.json", path);
    if (!err)
        err = up_write_secret(path, text);
    free(text);
    json_decref(j);
    return err;
}

mobid_err up_rp_setup(const up_opts *o, const up_service *svc, const json_t *cts,
                      const json_t *policy, json_t **rps)
{
    char dir[UP_PATH_MAX];
    pki_pair iaca = { 0 }, rp_ca = { 0 }, registrar = { 0 };
    json_t *cfg_rps = json_array(), *profiles = NULL, *d;
    size_t i;
    mobid_err err;

    *rps = json_array();
    up_path(o, "rp", dir);
    mkdir(dir, 0700);
    if ((err = prov_profiles(policy, cts, &profiles)) || (err = load_pair(o, "iaca", &iaca)) ||
        (err = load_pair(o, "rp-ca", &rp_ca)) ||
        (err = issue_pair(o, "registrar", "Ministry relying-party registry", &iaca, &registrar)))
        goto done;
    json_array_foreach (json_object_get(policy, "relying_parties"), i, d)
        if ((err = add_party(o, cts, d, &rp_ca, &registrar, cfg_rps, *rps)))
            goto done;
    err = write_verifier_config(o, svc, cfg_rps, profiles);
done:
    if (err)
        fprintf(stderr, "mobid up: relying-party setup failed: %s\n", mobid_svc_err_name(err));
    pair_free(&iaca);
    pair_free(&rp_ca);
    pair_free(&registrar);
    json_decref(cfg_rps);
    json_decref(profiles);
    return err;
}
