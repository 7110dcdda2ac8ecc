/*
 * issuer: the ministry PKI on disk.
 *
 * DIR/iaca.{pem,key}      the root (IACA), self-signed CA
 * DIR/ds-NNNN.{pem,key}   document signers (18013-5 DS EKU), newest = highest NNNN;
 *                         DIR/ds-NNNN.retired marks one that no longer signs
 * DIR/status.{pem,key}    the status-list signer; DIR/status-NNNN.{pem,key} rolled in
 *                         later (`mobid pki add-status`), the newest valid one signs
 * DIR/rp-ca.{pem,key}     the relying-party CA (its key is only used by `mobid pki`)
 * Private keys are PKCS#8 PEM written with mode 0600; nothing is ever overwritten.
 * With a PKCS#11 token (`mobid pki init --pkcs11-module`) the keys are made inside
 * the token and DIR/NAME.uri holds the RFC 7512 URI that names each one instead of
 * NAME.key; the issuer's configuration may also name any key by URI ("signing_keys").
 */
#include "services/issuer/issuer.h"
#include "http/resource.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define YEAR_S ((int64_t)365 * 86400)
#define PKI_MAX_FILE ((size_t)1 << 20)
#define PKI_MAX_DS 64
#define DS_LIFETIME_S ((int64_t)457 * 86400)
#define STATUS_LIFETIME_S (5 * YEAR_S)
#define CRL_DAYS 30 /* a CRL written by `mobid pki init` / `mobid pki crl` */

static mobid_err write_new(const char *dir, const char *name, mobid_view data, mode_t mode)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode);
    if (fd < 0) {
        fprintf(stderr, "pki: cannot create %s: %s\n", path, strerror(errno));
        return MOBID_ERR_IO;
    }
    size_t off = 0;
    while (off < data.len) {
        ssize_t w = write(fd, data.ptr + off, data.len - off);
        if (w <= 0) {
            close(fd);
            return MOBID_ERR_IO;
        }
        off += (size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0)
        return MOBID_ERR_IO;
    return MOBID_OK;
}

static mobid_err read_all(const char *dir, const char *name, mobid_buf *out)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    mobid_buf_init(out, PKI_MAX_FILE);
    mobid_err err = mobid_file_read(path, PKI_MAX_FILE, out);
    return err == MOBID_ERR_IO ? MOBID_ERR_NOT_FOUND : err;
}

/* Write NAME.pem and NAME.key (0600) for a fresh key certified by issuer (NULL: self). */
/* A new key: in the token (its URI into kpem) or in software (PKCS#8 into kpem). */
static mobid_err new_key(const char *name, const issuer_pki_keys *keys, mobid_key **key,
                         mobid_buf *kpem)
{
    mobid_err err;
    if (!keys || !keys->token) {
        err = mobid_key_generate(MOBID_CURVE_P256, key);
        return err == MOBID_OK ? mobid_key_to_pem(*key, true, kpem) : err;
    }
    err = mobid_pkcs11_generate(keys->module, keys->token, keys->pin, name, MOBID_CURVE_P256, key);
    if (err != MOBID_OK)
        fprintf(stderr, "pki: cannot make key %s in token %s: %s\n", name, keys->token,
                mobid_svc_err_name(err));
    if (err == MOBID_OK)
        err = mobid_pkcs11_uri_make(keys->module, keys->token, name, kpem);
    return err == MOBID_OK ? mobid_buf_append_str(kpem, "\n") : err;
}

static mobid_err make_pair(const char *dir, const char *name, const mobid_cert_spec *spec,
                           const mobid_key *ikey, const mobid_cert *icert,
                           const issuer_pki_keys *keys, mobid_key **key_out,
                           mobid_cert **cert_out)
{
    mobid_key *key = NULL;
    mobid_cert *cert = NULL;
    mobid_buf pem = { 0 }, kpem = { 0 };
    char fname[256];
    bool token = keys && keys->token;
    mobid_err err = new_key(name, keys, &key, &kpem);
    if (err == MOBID_OK)
        err = mobid_cert_issue(spec, key, ikey ? ikey : key, icert, &cert);
    if (err == MOBID_OK)
        err = mobid_cert_to_pem(cert, &pem);
    snprintf(fname, sizeof fname, "%s.%s", name, token ? "uri" : "key");
    if (err == MOBID_OK)
        err = write_new(dir, fname, mobid_buf_view(&kpem), token ? 0644 : 0600);
    snprintf(fname, sizeof fname, "%s.pem", name);
    if (err == MOBID_OK)
        err = write_new(dir, fname, mobid_buf_view(&pem), 0644);
    if (err == MOBID_OK && key_out) {
        *key_out = key;
        key = NULL;
    }
    if (err == MOBID_OK && cert_out) {
        *cert_out = cert;
        cert = NULL;
    }
    mobid_key_free(key);
    mobid_cert_free(cert);
    mobid_buf_free(&pem);
    mobid_buf_free(&kpem);
    return err;
}

static mobid_err key_from_uri(const char *uri, const issuer_pki_keys *keys, mobid_key **key)
{
    if (!keys || !keys->pin) {
        fprintf(stderr, "pki: %s is in a token: give its PIN (--pin-file, pkcs11_pin_file "
                        "or MOBID_PKCS11_PIN)\n", uri);
        return MOBID_ERR_PIN_WRONG;
    }
    mobid_err err = mobid_key_from_pkcs11(uri, keys->module, keys->pin, key);
    if (err != MOBID_OK)
        fprintf(stderr, "pki: cannot use %s: %s\n", uri, mobid_svc_err_name(err));
    return err;
}

/* DIR/NAME.uri as a C string without its line end. */
static mobid_err read_uri(const char *dir, const char *name, mobid_buf *b)
{
    char fname[256];
    snprintf(fname, sizeof fname, "%s.uri", name);
    mobid_err err = read_all(dir, fname, b);
    while (err == MOBID_OK && b->len && (b->ptr[b->len - 1] == '\n' || b->ptr[b->len - 1] == '\r'))
        b->len--;
    return err == MOBID_OK ? mobid_buf_append_byte(b, 0) : err;
}

/* NAME's private key: the configuration's URI, DIR/NAME.key, or DIR/NAME.uri. */
static mobid_err load_key(const char *dir, const char *name, const issuer_pki_keys *keys,
                          mobid_key **key)
{
    mobid_buf b = { 0 };
    char fname[256];
    const json_t *u = keys && keys->uris ? json_object_get(keys->uris, name) : NULL;
    if (json_is_string(u))
        return key_from_uri(json_string_value(u), keys, key);
    snprintf(fname, sizeof fname, "%s.key", name);
    mobid_err err = read_all(dir, fname, &b);
    if (err == MOBID_OK)
        err = mobid_key_from_pem(mobid_buf_view(&b), key);
    if (err == MOBID_ERR_NOT_FOUND) {
        mobid_buf_free(&b);
        if ((err = read_uri(dir, name, &b)) == MOBID_OK)
            err = key_from_uri((const char *)b.ptr, keys, key);
    }
    mobid_buf_free(&b);
    return err;
}

static mobid_err load_pair(const char *dir, const char *name, const issuer_pki_keys *keys,
                           mobid_key **key, mobid_cert **cert)
{
    mobid_buf b = { 0 };
    char fname[256];
    snprintf(fname, sizeof fname, "%s.pem", name);
    mobid_err err = read_all(dir, fname, &b);
    if (err == MOBID_OK)
        err = mobid_cert_parse(mobid_buf_view(&b), cert);
    mobid_buf_free(&b);
    return err != MOBID_OK || !key ? err : load_key(dir, name, keys, key);
}

static mobid_err make_ds(const char *dir, const char *id, const char *issuer_url,
                         const char *country, int64_t life_s, const mobid_key *iaca_key,
                         const mobid_cert *iaca, const issuer_pki_keys *keys)
{
    const char *sans[] = { issuer_url, NULL };
    mobid_time now = mobid_now();
    /* Annex B: a document signer lives at most 457 days (rotate with add-ds) */
    if (life_s <= 0 || life_s > DS_LIFETIME_S)
        life_s = DS_LIFETIME_S;
    mobid_cert_spec ds = { .subject_cn = id, .subject_o = "mobid issuer", .subject_c = country,
                           .not_before = now - 3600, .not_after = now - 3600 + life_s,
                           .purpose = MOBID_PURPOSE_MDOC_DS, .san_uris = sans };
    return make_pair(dir, id, &ds, iaca_key, iaca, keys, NULL, NULL);
}

/* A status-list signer rolled in by add-status (init makes the first, "status"). */
static mobid_err make_status(const char *dir, const char *id, const char *issuer_url,
                             const char *country, int64_t life_s, const mobid_key *iaca_key,
                             const mobid_cert *iaca, const issuer_pki_keys *keys)
{
    const char *sans[] = { issuer_url, NULL };
    mobid_time now = mobid_now();
    if (life_s <= 0 || life_s > STATUS_LIFETIME_S)
        life_s = STATUS_LIFETIME_S;
    mobid_cert_spec st = { .subject_cn = "status list signer", .subject_o = "mobid issuer",
                           .subject_c = country, .not_before = now - 3600,
                           .not_after = now - 3600 + life_s,
                           .purpose = MOBID_PURPOSE_SIGNING, .san_uris = sans };
    return make_pair(dir, id, &st, iaca_key, iaca, keys, NULL, NULL);
}

/* DIR/NAME.crl: a CRL valid CRL_DAYS listing the signers marked DIR/<id>.revoked
 * (replacing the file: a CRL is meant to be rewritten). */
static mobid_err write_crl(const char *dir, const char *name, const mobid_cert *ca,
                           const mobid_key *key)
{
    mobid_buf der = { 0 };
    char path[4096], tmp[4200];
    mobid_time now = mobid_now();
    mobid_err err = issuer_pki_crl(dir, ca, key, now, now + CRL_DAYS * 86400, &der);
    snprintf(path, sizeof path, "%s/%s.crl", dir, name);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    (void)unlink(tmp);
    if (err == MOBID_OK)
        err = write_new(dir, strrchr(tmp, '/') + 1, mobid_buf_view(&der), 0644);
    if (err == MOBID_OK && rename(tmp, path) != 0)
        err = MOBID_ERR_IO;
    mobid_buf_free(&der);
    return err;
}

mobid_err issuer_pki_init(const char *dir, const char *name, const char *issuer_url,
                          const char *country, const issuer_pki_keys *keys)
{
    mobid_key *iaca_key = NULL;
    mobid_cert *iaca = NULL;
    mobid_time now = mobid_now();
    const char *sans[] = { issuer_url, NULL };
    char cn[256];
    if (!dir || !name || !issuer_url)
        return MOBID_ERR_INVALID_ARG;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return MOBID_ERR_IO;
    char iaca_crl[2048], rp_crl[2048];
    snprintf(iaca_crl, sizeof iaca_crl, "%s/pki/iaca.crl", issuer_url);
    snprintf(rp_crl, sizeof rp_crl, "%s/pki/rp-ca.crl", issuer_url);
    snprintf(cn, sizeof cn, "%s IACA", name);
    /* Annex B: IssuerAltName (the issuer's URL as contact) and the CRL the issuer
     * serves; every certificate issued under a CA copies both */
    mobid_cert_spec root = { .subject_cn = cn, .subject_o = name, .subject_c = country,
                             .not_before = now - 3600, .not_after = now + 15 * YEAR_S,
                             .is_ca = true, .path_len = 0, .issuer_alt_uri = issuer_url,
                             .crl_uri = iaca_crl };
    mobid_err err = make_pair(dir, "iaca", &root, NULL, NULL, keys, &iaca_key, &iaca);
    if (err == MOBID_OK)
        err = make_ds(dir, "ds-0001", issuer_url, country, 0, iaca_key, iaca, keys);
    mobid_cert_spec st = { .subject_cn = "status list signer", .subject_o = name,
                           .subject_c = country, .not_before = now - 3600,
                           .not_after = now + STATUS_LIFETIME_S, .purpose = MOBID_PURPOSE_SIGNING,
                           .san_uris = sans };
    if (err == MOBID_OK)
        err = make_pair(dir, "status", &st, iaca_key, iaca, keys, NULL, NULL);
    /* the only key whose registrations wallets and verifiers believe (registrar EKU) */
    snprintf(cn, sizeof cn, "%s relying-party registry", name);
    mobid_cert_spec reg = { .subject_cn = cn, .subject_o = name, .subject_c = country,
                            .not_before = now - 3600, .not_after = now + 5 * YEAR_S,
                            .purpose = MOBID_PURPOSE_REGISTRAR };
    if (err == MOBID_OK)
        err = make_pair(dir, "registry", &reg, iaca_key, iaca, keys, NULL, NULL);
    snprintf(cn, sizeof cn, "%s relying-party CA", name);
    mobid_cert_spec rp = { .subject_cn = cn, .subject_o = name, .subject_c = country,
                           .not_before = now - 3600, .not_after = now + 10 * YEAR_S,
                           .is_ca = true, .path_len = 0, .issuer_alt_uri = issuer_url,
                           .crl_uri = rp_crl };
    mobid_key *rp_key = NULL;
    mobid_cert *rp_cert = NULL;
    if (err == MOBID_OK)
        err = make_pair(dir, "rp-ca", &rp, NULL, NULL, keys, &rp_key, &rp_cert);
    if (err == MOBID_OK)
        err = write_crl(dir, "iaca", iaca, iaca_key);
    if (err == MOBID_OK)
        err = write_crl(dir, "rp-ca", rp_cert, rp_key);
    mobid_key_free(rp_key);
    mobid_cert_free(rp_cert);
    mobid_key_free(iaca_key);
    mobid_cert_free(iaca);
    return err;
}

/* Highest NNNN among DIR/<kind>-NNNN.pem (0 when none); ids gets them, sorted. */
static int signer_list(const char *dir, const char *kind, int ids[PKI_MAX_DS], size_t *n)
{
    DIR *d = opendir(dir);
    int max = 0;
    size_t klen = strlen(kind);
    *n = 0;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        int num = 0;
        char tail[8] = "";
        if (!strncmp(e->d_name, kind, klen) && e->d_name[klen] == '-' &&
            sscanf(e->d_name + klen + 1, "%4d.%3s", &num, tail) == 2 && !strcmp(tail, "pem") &&
            num > 0 && *n < PKI_MAX_DS) {
            ids[(*n)++] = num;
            max = num > max ? num : max;
        }
    }
    if (d)
        closedir(d);
    for (size_t i = 1; i < *n; i++) /* insertion sort: a handful of entries */
        for (size_t k = i; k > 0 && ids[k - 1] > ids[k]; k--) {
            int t = ids[k];
            ids[k] = ids[k - 1];
            ids[k - 1] = t;
        }
    return max;
}

static int ds_list(const char *dir, int ids[PKI_MAX_DS], size_t *n)
{
    return signer_list(dir, "ds", ids, n);
}

/* New keys go where the IACA's is: its token (from DIR/iaca.uri) or files. */
static mobid_err keys_like_iaca(const char *dir, const issuer_pki_keys *in, issuer_pki_keys *out,
                                char **module, char **token)
{
    mobid_buf b = { 0 };
    *out = in ? *in : (issuer_pki_keys){ 0 };
    out->token = NULL;
    mobid_err err = read_uri(dir, "iaca", &b);
    if (err == MOBID_ERR_NOT_FOUND)
        return MOBID_OK;
    if (err == MOBID_OK)
        err = mobid_pkcs11_uri_attr((const char *)b.ptr, "token", token);
    if (err == MOBID_OK && mobid_pkcs11_uri_attr((const char *)b.ptr, "module-path", module) ==
                               MOBID_OK)
        out->module = *module;
    out->token = err == MOBID_OK ? *token : NULL;
    mobid_buf_free(&b);
    return err;
}

typedef mobid_err (*make_signer_fn)(const char *dir, const char *id, const char *issuer_url,
                                     const char *country, int64_t life_s,
                                     const mobid_key *iaca_key, const mobid_cert *iaca,
                                     const issuer_pki_keys *keys);

/* What a rolled-in signer copies: the IACA's country (the C= of its subject), and the
 * issuer URL of the first status-list signer (`pki init --issuer-url`) unless given. */
static mobid_err signer_defaults(const char *dir, const mobid_cert *iaca, char cc[3],
                                 char **url)
{
    mobid_buf subj = { 0 };
    mobid_cert *st = NULL;
    char **sans = NULL;
    size_t n = 0;
    mobid_err err = mobid_cert_subject(iaca, &subj);
    if (err == MOBID_OK)
        err = mobid_buf_terminate(&subj);
    const char *c = err == MOBID_OK ? strstr((const char *)subj.ptr, "C=") : NULL;
    while (c && c != (const char *)subj.ptr && c[-1] != ',') /* not the tail of "DC=" */
        c = strstr(c + 1, "C=");
    if (err == MOBID_OK && (!c || strlen(c) < 4 || (c[4] && c[4] != ',')))
        err = MOBID_ERR_MALFORMED; /* a country is two letters */
    if (err == MOBID_OK)
        snprintf(cc, 3, "%.2s", c + 2);
    if (err == MOBID_OK && !*url && (err = load_pair(dir, "status", NULL, NULL, &st)) == MOBID_OK &&
        (err = mobid_cert_san(st, &sans, &n)) == MOBID_OK && n == 0)
        err = MOBID_ERR_NOT_FOUND;
    if (err == MOBID_OK && !*url && !(*url = strdup(sans[0])))
        err = MOBID_ERR_NOMEM;
    for (size_t i = 0; i < n; i++)
        free(sans[i]);
    free(sans);
    mobid_cert_free(st);
    mobid_buf_free(&subj);
    return err;
}

/* <kind>-NNNN (the next number) made by make under the IACA, its key where the IACA's is.
 * The first status-list signer is "status" (number 1), so add-status starts at 0002. */
static mobid_err add_signer(const char *dir, const char *kind, make_signer_fn make,
                            const char *issuer_url, int64_t life_s, const issuer_pki_keys *keys,
                            char **new_id)
{
    int ids[PKI_MAX_DS], max;
    size_t n;
    char id[32], cc[3] = "", *module = NULL, *token = NULL, *url = NULL;
    mobid_key *ik = NULL;
    mobid_cert *ic = NULL;
    issuer_pki_keys where;
    max = signer_list(dir, kind, ids, &n);
    snprintf(id, sizeof id, "%s-%04d", kind, max < 1 && !strcmp(kind, "status") ? 2 : max + 1);
    mobid_err err = n >= PKI_MAX_DS ? MOBID_ERR_LIMIT : load_pair(dir, "iaca", keys, &ik, &ic);
    if (err == MOBID_OK && issuer_url && !(url = strdup(issuer_url)))
        err = MOBID_ERR_NOMEM;
    if (err == MOBID_OK)
        err = signer_defaults(dir, ic, cc, &url);
    if (err == MOBID_OK)
        err = keys_like_iaca(dir, keys, &where, &module, &token);
    if (err == MOBID_OK)
        err = make(dir, id, url, cc, life_s, ik, ic, &where);
    if (err == MOBID_OK && new_id && !(*new_id = strdup(id)))
        err = MOBID_ERR_NOMEM;
    free(url);
    free(module);
    free(token);
    mobid_key_free(ik);
    mobid_cert_free(ic);
    return err;
}

mobid_err issuer_pki_add_ds(const char *dir, const char *issuer_url, int64_t life_s,
                            const issuer_pki_keys *keys, char **new_id)
{
    return add_signer(dir, "ds", make_ds, issuer_url, life_s, keys, new_id);
}

mobid_err issuer_pki_add_status(const char *dir, const char *issuer_url, int64_t life_s,
                                const issuer_pki_keys *keys, char **new_id)
{
    return add_signer(dir, "status", make_status, issuer_url, life_s, keys, new_id);
}

mobid_err issuer_pki_retire_ds(const char *dir, const char *id)
{
    char name[64];
    /* a document signer, or a status-list signer rolled in by add-status (the first,
     * "status", is the fallback that always loads: it cannot be retired) */
    const char *num = !id                            ? NULL
                      : !strncmp(id, "ds-", 3)       ? id + 3
                      : !strncmp(id, "status-", 7)   ? id + 7
                                                     : NULL;
    if (!num || strlen(id) > 16 || !*num || num[strspn(num, "0123456789")])
        return MOBID_ERR_INVALID_ARG;
    snprintf(name, sizeof name, "%s.retired", id);
    return write_new(dir, name, mobid_view_str("retired\n"), 0644);
}

static void signer_clear(issuer_signer *s)
{
    free(s->id);
    mobid_key_free(s->key);
    mobid_cert_free(s->cert);
    memset(s, 0, sizeof *s);
}

static mobid_err signer_load(const char *dir, const char *id, const issuer_pki_keys *keys,
                             issuer_signer *s)
{
    char path[4096];
    mobid_time nb;
    if (!(s->id = strdup(id)))
        return MOBID_ERR_NOMEM;
    mobid_err err = load_pair(dir, id, keys, &s->key, &s->cert);
    if (err != MOBID_OK) {
        fprintf(stderr, "pki: cannot load %s/%s.{pem,key}: %s\n", dir, id, mobid_svc_err_name(err));
        return err;
    }
    mobid_cert_validity(s->cert, &nb, &s->not_after);
    snprintf(path, sizeof path, "%s/%s.retired", dir, id);
    s->retired = access(path, F_OK) == 0;
    return MOBID_OK;
}

/* The status-list signer that signs from now on: the newest status-NNNN that is valid
 * now and not retired, else the first one ("status"). Older ones need no key here:
 * lists they signed stay good until their exp, since verifiers trust the IACA. */
static mobid_err status_load(const char *dir, const issuer_pki_keys *keys, issuer_signer *s)
{
    int ids[PKI_MAX_DS];
    size_t n;
    mobid_time now = mobid_now();
    signer_list(dir, "status", ids, &n);
    for (size_t i = n; i-- > 0;) {
        char id[32], path[4096];
        mobid_cert *c = NULL;
        mobid_time nb = 0, na = 0;
        snprintf(id, sizeof id, "status-%04d", ids[i]);
        snprintf(path, sizeof path, "%s/%s.retired", dir, id);
        if (access(path, F_OK) == 0 || load_pair(dir, id, NULL, NULL, &c) != MOBID_OK)
            continue;
        mobid_cert_validity(c, &nb, &na);
        mobid_cert_free(c);
        if (nb <= now && now < na)
            return signer_load(dir, id, keys, s);
    }
    return signer_load(dir, "status", keys, s);
}

mobid_err issuer_pki_load(const char *dir, const issuer_pki_keys *keys, issuer_pki **out)
{
    int ids[PKI_MAX_DS];
    size_t n = 0;
    *out = NULL;
    issuer_pki *p = calloc(1, sizeof *p);
    mobid_err err = MOBID_ERR_NOMEM;
    if (!p)
        goto done;
    if ((err = load_pair(dir, "iaca", keys, NULL, &p->iaca)) != MOBID_OK) {
        fprintf(stderr, "pki: no IACA in %s (run `mobid pki init %s`)\n", dir, dir);
        goto done;
    }
    if ((err = load_pair(dir, "rp-ca", keys, NULL, &p->rp_ca)) != MOBID_OK ||
        (err = status_load(dir, keys, &p->status)) != MOBID_OK)
        goto done;
    ds_list(dir, ids, &n);
    err = MOBID_ERR_NOT_FOUND;
    if (!n || !(p->ds = calloc(n, sizeof *p->ds))) {
        err = n ? MOBID_ERR_NOMEM : MOBID_ERR_NOT_FOUND;
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        char id[16];
        snprintf(id, sizeof id, "ds-%04d", ids[i]);
        p->nds = i + 1;
        if ((err = signer_load(dir, id, keys, &p->ds[i])) != MOBID_OK)
            goto done;
    }
    *out = p;
    p = NULL;
    err = MOBID_OK;
done:
    issuer_pki_free(p);
    return err;
}

void issuer_pki_free(issuer_pki *p)
{
    if (!p)
        return;
    mobid_cert_free(p->iaca);
    mobid_cert_free(p->rp_ca);
    for (size_t i = 0; i < p->nds; i++)
        signer_clear(&p->ds[i]);
    free(p->ds);
    signer_clear(&p->status);
    free(p);
}

const issuer_signer *issuer_pki_current_ds(const issuer_pki *p, mobid_time now)
{
    for (size_t i = p ? p->nds : 0; i-- > 0;)
        if (!p->ds[i].retired && p->ds[i].not_after > now)
            return &p->ds[i];
    return NULL;
}

mobid_err issuer_pki_pin(const char *pin_file, char **pin)
{
    *pin = NULL;
    const char *env = getenv("MOBID_PKCS11_PIN");
    mobid_buf b = { 0 };
    if (!pin_file || !pin_file[0])
        return env && env[0] && !(*pin = strdup(env)) ? MOBID_ERR_NOMEM : MOBID_OK;
    mobid_buf_init(&b, 4096);
    mobid_err err = mobid_file_read(pin_file, 4096, &b);
    if (err != MOBID_OK) {
        fprintf(stderr, "pki: cannot read the PIN file %s\n", pin_file);
        return err;
    }
    size_t n = 0; /* the first line */
    while (n < b.len && b.ptr[n] != '\n' && b.ptr[n] != '\r')
        n++;
    *pin = n ? mobid_view_strdup(mobid_view_make(b.ptr, n)) : NULL;
    if (n)
        memset(b.ptr, 0, b.len);
    mobid_buf_free(&b);
    if (!n)
        fprintf(stderr, "pki: the PIN file %s is empty\n", pin_file);
    return !n ? MOBID_ERR_PIN_WRONG : *pin ? MOBID_OK : MOBID_ERR_NOMEM;
}

/* Serials of the document signers marked DIR/ds-NNNN.revoked that ca issued. */
static mobid_err revoked_serials(const char *dir, const mobid_cert *ca, mobid_buf serials[],
                                 mobid_view views[], size_t *n)
{
    int ids[PKI_MAX_DS];
    size_t nds;
    mobid_buf ca_name = { 0 };
    mobid_err err = mobid_cert_subject(ca, &ca_name);
    *n = 0;
    ds_list(dir, ids, &nds);
    for (size_t i = 0; i < nds && err == MOBID_OK; i++) {
        char path[4096], id[16];
        mobid_cert *c = NULL;
        mobid_buf iss = { 0 };
        snprintf(id, sizeof id, "ds-%04d", ids[i]);
        snprintf(path, sizeof path, "%s/%s.revoked", dir, id);
        if (access(path, F_OK) != 0 || load_pair(dir, id, NULL, NULL, &c) != MOBID_OK)
            continue;
        err = mobid_cert_issuer(c, &iss);
        if (err == MOBID_OK && iss.len == ca_name.len && !memcmp(iss.ptr, ca_name.ptr, iss.len)) {
            serials[*n] = (mobid_buf){ 0 };
            err = mobid_cert_serial(c, &serials[*n]);
            views[*n] = mobid_buf_view(&serials[*n]);
            ++*n;
        }
        mobid_buf_free(&iss);
        mobid_cert_free(c);
    }
    mobid_buf_free(&ca_name);
    return err;
}

mobid_err issuer_pki_crl(const char *dir, const mobid_cert *ca, const mobid_key *key,
                         mobid_time this_update, mobid_time next_update, mobid_buf *der)
{
    mobid_buf serials[PKI_MAX_DS];
    mobid_view views[PKI_MAX_DS];
    size_t n = 0;
    mobid_err err = revoked_serials(dir, ca, serials, views, &n);
    /* the time as cRLNumber: it grows with every CRL, across processes */
    if (err == MOBID_OK)
        err = mobid_crl_issue(ca, key, this_update, next_update, (uint64_t)this_update, views,
                              n, der);
    for (size_t i = 0; i < n; i++)
        mobid_buf_free(&serials[i]);
    return err;
}

mobid_err issuer_pki_revoke_ds(const char *dir, const char *id)
{
    char name[64];
    size_t digits = id ? strspn(id + (strncmp(id, "ds-", 3) ? 7 : 3), "0123456789") : 0;
    /* a document signer or a status-list signer rolled in by add-status; the first
     * "status" is the fallback that always loads, so it cannot be retired */
    if (!id || (strncmp(id, "ds-", 3) && strncmp(id, "status-", 7)) || strlen(id) > 16 ||
        !digits || id[(strncmp(id, "ds-", 3) ? 7 : 3) + digits])
        return MOBID_ERR_INVALID_ARG;
    snprintf(name, sizeof name, "%s.revoked", id);
    return write_new(dir, name, mobid_view_str("revoked\n"), 0644);
}

mobid_err issuer_pki_write_crls(const char *dir, const issuer_pki_keys *keys)
{
    static const char *const cas[] = { "iaca", "rp-ca" };
    mobid_err err = MOBID_OK;
    for (size_t i = 0; i < 2 && err == MOBID_OK; i++) {
        mobid_key *k = NULL;
        mobid_cert *c = NULL;
        err = load_pair(dir, cas[i], keys, &k, &c);
        if (err == MOBID_OK)
            err = write_crl(dir, cas[i], c, k);
        mobid_key_free(k);
        mobid_cert_free(c);
    }
    return err;
}

mobid_err issuer_pki_load_ca_key(const char *dir, const char *name, const issuer_pki_keys *keys,
                                 mobid_key **key)
{
    char path[4096];
    *key = NULL;
    snprintf(path, sizeof path, "%s/%s.key", dir, name);
    bool file = access(path, R_OK) == 0;
    snprintf(path, sizeof path, "%s/%s.uri", dir, name);
    if (!file && (access(path, R_OK) != 0 || !keys || !keys->pin))
        return MOBID_ERR_NOT_FOUND; /* kept offline: the CRL file is served as it is */
    return load_key(dir, name, keys, key);
}
