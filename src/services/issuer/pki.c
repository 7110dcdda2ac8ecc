/*
 * issuer: the ministry PKI on disk.
 *
 * DIR/iaca.{pem,key}      the root (IACA), self-signed CA
 * DIR/ds-NNNN.{pem,key}   document signers (18013-5 DS EKU), newest = highest NNNN;
 *                         DIR/ds-NNNN.retired marks one that no longer signs
 * DIR/status.{pem,key}    the status-list signer
 * DIR/rp-ca.{pem,key}     the relying-party CA (its key is only used by `mobid pki`)
 * Private keys are PKCS#8 PEM written with mode 0600; nothing is ever overwritten.
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
static mobid_err make_pair(const char *dir, const char *name, const mobid_cert_spec *spec,
                           const mobid_key *ikey, const mobid_cert *icert, mobid_key **key_out,
                           mobid_cert **cert_out)
{
    mobid_key *key = NULL;
    mobid_cert *cert = NULL;
    mobid_buf pem = { 0 }, kpem = { 0 };
    char fname[256];
    mobid_err err = mobid_key_generate(MOBID_CURVE_P256, &key);
    if (err == MOBID_OK)
        err = mobid_cert_issue(spec, key, ikey ? ikey : key, icert, &cert);
    if (err == MOBID_OK)
        err = mobid_cert_to_pem(cert, &pem);
    if (err == MOBID_OK)
        err = mobid_key_to_pem(key, true, &kpem);
    snprintf(fname, sizeof fname, "%s.key", name);
    if (err == MOBID_OK)
        err = write_new(dir, fname, mobid_buf_view(&kpem), 0600);
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

static mobid_err load_pair(const char *dir, const char *name, mobid_key **key, mobid_cert **cert)
{
    mobid_buf b = { 0 };
    char fname[256];
    snprintf(fname, sizeof fname, "%s.pem", name);
    mobid_err err = read_all(dir, fname, &b);
    if (err == MOBID_OK)
        err = mobid_cert_parse(mobid_buf_view(&b), cert);
    mobid_buf_free(&b);
    if (err != MOBID_OK || !key)
        return err;
    snprintf(fname, sizeof fname, "%s.key", name);
    err = read_all(dir, fname, &b);
    if (err == MOBID_OK)
        err = mobid_key_from_pem(mobid_buf_view(&b), key);
    mobid_buf_free(&b);
    return err;
}

static mobid_err make_ds(const char *dir, const char *id, const char *issuer_url,
                         const mobid_key *iaca_key, const mobid_cert *iaca)
{
    const char *sans[] = { issuer_url, NULL };
    mobid_time now = mobid_now();
    mobid_cert_spec ds = { .subject_cn = id, .subject_o = "mobid issuer", .subject_c = "KR",
                           .not_before = now - 3600, .not_after = now + 5 * YEAR_S,
                           .purpose = MOBID_PURPOSE_MDOC_DS, .san_uris = sans };
    return make_pair(dir, id, &ds, iaca_key, iaca, NULL, NULL);
}

mobid_err issuer_pki_init(const char *dir, const char *name, const char *issuer_url,
                          const char *country)
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
    snprintf(cn, sizeof cn, "%s IACA", name);
    mobid_cert_spec root = { .subject_cn = cn, .subject_o = name, .subject_c = country,
                             .not_before = now - 3600, .not_after = now + 15 * YEAR_S,
                             .is_ca = true, .path_len = 0 };
    mobid_err err = make_pair(dir, "iaca", &root, NULL, NULL, &iaca_key, &iaca);
    if (err == MOBID_OK)
        err = make_ds(dir, "ds-0001", issuer_url, iaca_key, iaca);
    mobid_cert_spec st = { .subject_cn = "status list signer", .subject_o = name,
                           .subject_c = country, .not_before = now - 3600,
                           .not_after = now + 5 * YEAR_S, .purpose = MOBID_PURPOSE_SIGNING,
                           .san_uris = sans };
    if (err == MOBID_OK)
        err = make_pair(dir, "status", &st, iaca_key, iaca, NULL, NULL);
    /* the only key whose registrations wallets and verifiers believe (registrar EKU) */
    snprintf(cn, sizeof cn, "%s relying-party registry", name);
    mobid_cert_spec reg = { .subject_cn = cn, .subject_o = name, .subject_c = country,
                            .not_before = now - 3600, .not_after = now + 5 * YEAR_S,
                            .purpose = MOBID_PURPOSE_REGISTRAR };
    if (err == MOBID_OK)
        err = make_pair(dir, "registry", &reg, iaca_key, iaca, NULL, NULL);
    snprintf(cn, sizeof cn, "%s relying-party CA", name);
    mobid_cert_spec rp = { .subject_cn = cn, .subject_o = name, .subject_c = country,
                           .not_before = now - 3600, .not_after = now + 10 * YEAR_S,
                           .is_ca = true, .path_len = 0 };
    if (err == MOBID_OK)
        err = make_pair(dir, "rp-ca", &rp, NULL, NULL, NULL, NULL);
    mobid_key_free(iaca_key);
    mobid_cert_free(iaca);
    return err;
}

/* Highest NNNN among DIR/ds-NNNN.pem (0 when none); fills ids (sorted) when given. */
static int ds_list(const char *dir, int ids[PKI_MAX_DS], size_t *n)
{
    DIR *d = opendir(dir);
    int max = 0;
    *n = 0;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        int num = 0;
        char tail[8] = "";
        if (sscanf(e->d_name, "ds-%4d.%3s", &num, tail) == 2 && !strcmp(tail, "pem") &&
            *n < PKI_MAX_DS) {
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

mobid_err issuer_pki_add_ds(const char *dir, const char *issuer_url, char **new_id)
{
    int ids[PKI_MAX_DS];
    size_t n;
    char id[16];
    mobid_key *ik = NULL;
    mobid_cert *ic = NULL;
    snprintf(id, sizeof id, "ds-%04d", ds_list(dir, ids, &n) + 1);
    mobid_err err = load_pair(dir, "iaca", &ik, &ic);
    if (err == MOBID_OK)
        err = make_ds(dir, id, issuer_url, ik, ic);
    if (err == MOBID_OK && new_id && !(*new_id = strdup(id)))
        err = MOBID_ERR_NOMEM;
    mobid_key_free(ik);
    mobid_cert_free(ic);
    return err;
}

mobid_err issuer_pki_retire_ds(const char *dir, const char *id)
{
    char name[64];
    if (!id || strncmp(id, "ds-", 3) || strlen(id) > 16)
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

static mobid_err signer_load(const char *dir, const char *id, issuer_signer *s)
{
    char path[4096];
    mobid_time nb;
    if (!(s->id = strdup(id)))
        return MOBID_ERR_NOMEM;
    mobid_err err = load_pair(dir, id, &s->key, &s->cert);
    if (err != MOBID_OK) {
        fprintf(stderr, "pki: cannot load %s/%s.{pem,key}: %s\n", dir, id, mobid_err_name(err));
        return err;
    }
    mobid_cert_validity(s->cert, &nb, &s->not_after);
    snprintf(path, sizeof path, "%s/%s.retired", dir, id);
    s->retired = access(path, F_OK) == 0;
    return MOBID_OK;
}

mobid_err issuer_pki_load(const char *dir, issuer_pki **out)
{
    int ids[PKI_MAX_DS];
    size_t n = 0;
    *out = NULL;
    issuer_pki *p = calloc(1, sizeof *p);
    mobid_err err = MOBID_ERR_NOMEM;
    if (!p)
        goto done;
    if ((err = load_pair(dir, "iaca", NULL, &p->iaca)) != MOBID_OK) {
        fprintf(stderr, "pki: no IACA in %s (run `mobid pki init %s`)\n", dir, dir);
        goto done;
    }
    if ((err = load_pair(dir, "rp-ca", NULL, &p->rp_ca)) != MOBID_OK ||
        (err = signer_load(dir, "status", &p->status)) != MOBID_OK)
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
        if ((err = signer_load(dir, id, &p->ds[i])) != MOBID_OK)
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
