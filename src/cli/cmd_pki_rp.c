/*
 * `mobid pki rp-issue`: a relying party's access certificate from the RP CA and its
 * registration signed by the ministry (docs/verifier.md).
 *
 *   mobid pki rp-issue DIR --id ID --name NAME --legal-basis TEXT --allowed ALLOWED.json
 *                      [--out OUTDIR] [--days N] [--json]
 *
 * DIR is a `mobid pki init` folder (rp-ca.{pem,key}, iaca.{pem,key}). The registration
 * signer DIR/registry.{pem,key} (under the IACA, digitalSignature) is made on first use.
 * Writes OUTDIR/ID.key (0600), ID.pem (access certificate + RP CA) and
 * ID.registration.jwt; nothing is overwritten.
 */
#include "cli.h"
#include "cmd_pki_rp.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mobid/jose.h>
#include <mobid/oid4vp.h>

static const char RP_USAGE[] =
    "usage: mobid pki rp-issue DIR --id ID --name NAME --legal-basis TEXT --allowed ALLOWED.json\n"
    "                          [--out OUTDIR] [--days N] [--reader] [--json]\n"
    "\n"
    "Issues a relying party's access certificate from DIR/rp-ca and its registration (the\n"
    "claims it may ask for per card type, as in ALLOWED.json: [{\"format\",\"type\",\n"
    "\"claims\":[path,...]}]) signed by the ministry's registration signer DIR/registry\n"
    "(made under DIR/iaca on first use). Writes OUTDIR/ID.key, ID.pem (chain) and\n"
    "ID.registration.jwt (OUTDIR defaults to DIR/rp); prints the client_id. --reader: the\n"
    "certificate also carries the ISO 18013-5 reader EKU (1.0.18013.5.1.6) for in-person\n"
    "reader authentication (`mobid reader scan`).\n";

typedef struct rp_args {
    const char *dir, *id, *name, *basis, *allowed, *out;
    long days;
    bool json;
    bool reader; /* the access certificate also authenticates an 18013-5 reader */
} rp_args;

typedef struct pair {
    mobid_key *key;
    mobid_cert *cert;
} pair;

static mobid_err load_pair(const char *dir, const char *name, pair *p)
{
    char path[1024];
    mobid_buf b = { 0 };
    mobid_err err;
    snprintf(path, sizeof path, "%s/%s.key", dir, name);
    if ((err = cli_load_key(path, &p->key)))
        return err;
    snprintf(path, sizeof path, "%s/%s.pem", dir, name);
    if (!(err = cli_read_file(path, &b)))
        err = mobid_cert_parse(mobid_buf_view(&b), &p->cert);
    mobid_buf_free(&b);
    return err;
}

static void free_pair(pair *p)
{
    mobid_key_free(p->key);
    mobid_cert_free(p->cert);
}

static mobid_err write_new(const char *dir, const char *name, mobid_view data, unsigned mode)
{
    char path[1024];
    int n = snprintf(path, sizeof path, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= sizeof path) {
        fprintf(stderr, "pki: %s/%s: path too long\n", dir, name);
        return MOBID_ERR_INVALID_ARG;
    }
    if (access(path, F_OK) == 0) {
        fprintf(stderr, "pki: %s exists; nothing is overwritten\n", path);
        return MOBID_ERR_INVALID_ARG;
    }
    return cli_write_file(path, data, mode);
}

/* Issue subject's certificate under issuer and write NAME.key / NAME.pem (+ chain). */
static mobid_err issue(const char *dir, const char *name, const char *cn, long days,
                       mobid_cert_purpose purpose, const pair *issuer, pair *out)
{
    mobid_cert_spec s = { .subject_cn = cn, .subject_c = "KR", .not_before = mobid_now() - 60,
                          .not_after = mobid_now() + days * 86400, .purpose = purpose };
    mobid_buf key = { 0 }, pem = { 0 };
    char file[256];
    mobid_err err;
    mobid_buf_init(&key, 0);
    mobid_buf_init(&pem, 0);
    if ((err = mobid_key_generate(MOBID_CURVE_P256, &out->key)) ||
        (err = mobid_cert_issue(&s, out->key, issuer->key, issuer->cert, &out->cert)) ||
        (err = mobid_key_to_pem(out->key, true, &key)) || (err = mobid_cert_to_pem(out->cert, &pem)) ||
        (err = mobid_cert_to_pem(issuer->cert, &pem)))
        goto done;
    snprintf(file, sizeof file, "%s.key", name);
    if ((err = write_new(dir, file, mobid_buf_view(&key), 0600)))
        goto done;
    snprintf(file, sizeof file, "%s.pem", name);
    err = write_new(dir, file, mobid_buf_view(&pem), 0644);
done:
    mobid_buf_free(&key);
    mobid_buf_free(&pem);
    return err;
}

static mobid_err registrar(const rp_args *a, pair *reg)
{
    char path[1024];
    pair iaca = { 0 };
    snprintf(path, sizeof path, "%s/registry.key", a->dir);
    if (access(path, F_OK) == 0)
        return load_pair(a->dir, "registry", reg);
    mobid_err err = load_pair(a->dir, "iaca", &iaca);
    if (!err)
        err = issue(a->dir, "registry", "Relying-party registry", 3 * 365, MOBID_PURPOSE_REGISTRAR,
                    &iaca, reg);
    free_pair(&iaca);
    return err;
}

static mobid_err sign_reg(const rp_args *a, const pair *reg, const char *client_id, mobid_buf *jwt)
{
    mobid_buf text = { 0 };
    json_t *allowed = NULL;
    mobid_oid4vp_registration_params p = { .key = reg->key, .x5c = (mobid_cert *const *)&reg->cert,
                                           .x5c_len = 1, .rp_id = a->id, .name = a->name,
                                           .legal_basis = a->basis, .client_id = client_id,
                                           .exp = mobid_now() + a->days * 86400 };
    mobid_err err = cli_read_file(a->allowed, &text);
    if (!err && (err = mobid_json_parse(mobid_buf_view(&text), 0, &allowed)))
        fprintf(stderr, "pki: %s is not JSON\n", a->allowed);
    p.allowed = allowed;
    if (!err && (err = mobid_oid4vp_registration_sign(&p, jwt)) == MOBID_ERR_INVALID_ARG)
        fprintf(stderr, "pki: %s must be [{\"format\",\"type\",\"claims\":[[...]]}]\n", a->allowed);
    json_decref(allowed);
    mobid_buf_free(&text);
    return err;
}

static int rp_issue(const rp_args *a)
{
    pair ca = { 0 }, reg = { 0 }, access_p = { 0 };
    mobid_buf cid = { 0 }, jwt = { 0 };
    char file[256];
    mobid_err err;
    mobid_buf_init(&cid, 0);
    mobid_buf_init(&jwt, 0);
    bool issued = false;
    mkdir(a->out, 0755);
    if ((err = load_pair(a->dir, "rp-ca", &ca)) || (err = registrar(a, &reg)) ||
        (err = issue(a->out, a->id, a->name, a->days,
                     a->reader ? MOBID_PURPOSE_MDOC_READER : MOBID_PURPOSE_SIGNING, &ca,
                     &access_p)))
        goto done;
    issued = true;
    if ((err = mobid_oid4vp_client_id(access_p.cert, &cid)) || (err = mobid_buf_terminate(&cid)) ||
        (err = sign_reg(a, &reg, (const char *)cid.ptr, &jwt)))
        goto done;
    snprintf(file, sizeof file, "%s.registration.jwt", a->id);
    if ((err = write_new(a->out, file, mobid_buf_view(&jwt), 0644)))
        goto done;
    issued = false; /* complete: keep every file */
    if (a->json) {
        json_t *o = json_pack("{s:s, s:s, s:s}", "id", a->id, "client_id", (char *)cid.ptr, "out", a->out);
        cli_print_json(o);
        json_decref(o);
    } else {
        printf("%s\n", (char *)cid.ptr);
    }
done:
    if (issued) { /* nothing half-written: drop the certificate and key of a failed issue */
        const char *ext[] = { "key", "pem" };
        for (int i = 0; i < 2; i++) {
            char path[1024];
            int n = snprintf(path, sizeof path, "%s/%s.%s", a->out, a->id, ext[i]);
            if (n > 0 && (size_t)n < sizeof path)
                unlink(path);
        }
    }
    free_pair(&ca);
    free_pair(&reg);
    free_pair(&access_p);
    mobid_buf_free(&cid);
    mobid_buf_free(&jwt);
    return err ? cli_fail(a->json, err, "rp-issue failed") : CLI_EXIT_OK;
}

int cli_pki_rp_issue(int argc, char **argv)
{
    static const struct option opts[] = {
        { "id", required_argument, 0, 'i' },   { "name", required_argument, 0, 'n' },
        { "legal-basis", required_argument, 0, 'b' }, { "allowed", required_argument, 0, 'a' },
        { "out", required_argument, 0, 'o' },  { "days", required_argument, 0, 'd' },
        { "json", no_argument, 0, 'j' },       { "help", no_argument, 0, 'h' },
        { "reader", no_argument, 0, 'r' },     { 0, 0, 0, 0 } };
    rp_args a = { .days = 365 };
    char outdir[1024];
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'i': a.id = optarg; break;
        case 'n': a.name = optarg; break;
        case 'b': a.basis = optarg; break;
        case 'a': a.allowed = optarg; break;
        case 'o': a.out = optarg; break;
        case 'd': a.days = strtol(optarg, NULL, 10); break;
        case 'j': a.json = true; break;
        case 'r': a.reader = true; break;
        case 'h': fputs(RP_USAGE, stdout); return CLI_EXIT_OK;
        default: return cli_usage_error(RP_USAGE, "unknown option");
        }
    }
    if (optind + 1 != argc || !a.id || !a.name || !a.basis || !a.allowed || a.days <= 0)
        return cli_usage_error(RP_USAGE, "DIR, --id, --name, --legal-basis and --allowed are required");
    a.dir = argv[optind];
    if (!a.out) {
        snprintf(outdir, sizeof outdir, "%s/rp", a.dir);
        a.out = outdir;
    }
    for (const char *p = a.id; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
            return cli_usage_error(RP_USAGE, "--id is made of a-z, 0-9, '-' and '_'");
    return rp_issue(&a);
}
