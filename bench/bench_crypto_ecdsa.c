/*
 * `mobid bench ecdsa [--json] [--seconds S]`: P-256 verification rate through
 * mobid_verify against a bare OpenSSL EVP_DigestVerify loop, measured in the
 * same run in alternating rounds so both see the same machine state.
 *
 * This is the one file outside lib/crypto that includes OpenSSL: the baseline
 * must be OpenSSL itself, not OpenSSL as seen through mobid. The baseline is
 * given every advantage a careful caller would take (digest fetched once, one
 * reusable EVP_MD_CTX, key decoded once).
 */
#include "bench.h"
#include "cli/cli.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/x509.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ROUND_SECONDS 0.02

/* CPU time of this thread: on a shared machine, wall time would also count the
 * slices other processes take, and they fall unevenly on the two loops. */
static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct fixture {
    mobid_key *key;
    mobid_buf msg, sig, der_sig, spki, x, y;
    EVP_PKEY *pkey;
    EVP_MD *md;
    EVP_MD_CTX *mctx;
} fixture;

static void fixture_free(fixture *f)
{
    mobid_key_free(f->key);
    mobid_buf *bufs[] = { &f->msg, &f->sig, &f->der_sig, &f->spki, &f->x, &f->y };
    for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++)
        mobid_buf_free(bufs[i]);
    EVP_PKEY_free(f->pkey);
    EVP_MD_free(f->md);
    EVP_MD_CTX_free(f->mctx);
}

/* A key, a 300-byte message (the size of a typical COSE Sig_structure) and its
 * signature in both encodings. */
static mobid_err fixture_make(fixture *f)
{
    memset(f, 0, sizeof *f);
    mobid_buf *bufs[] = { &f->msg, &f->sig, &f->der_sig, &f->spki, &f->x, &f->y };
    for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++)
        mobid_buf_init(bufs[i], 0);
    uint8_t m[300];
    mobid_err err = mobid_random(m, sizeof m);
    if (err == MOBID_OK)
        err = mobid_buf_append(&f->msg, m, sizeof m);
    if (err == MOBID_OK)
        err = mobid_key_generate(MOBID_CURVE_P256, &f->key);
    if (err == MOBID_OK)
        err = mobid_sign(f->key, MOBID_ALG_ES256, mobid_buf_view(&f->msg), &f->sig);
    mobid_key_no_table(f->key); /* a plain verify, as OpenSSL's loop does */
    if (err == MOBID_OK)
        err = mobid_ecdsa_raw_to_der(mobid_buf_view(&f->sig), &f->der_sig);
    if (err == MOBID_OK)
        err = mobid_key_to_spki_der(f->key, &f->spki);
    if (err == MOBID_OK)
        err = mobid_key_to_coords(f->key, &f->x, &f->y, NULL);
    if (err != MOBID_OK)
        return err;
    const unsigned char *p = f->spki.ptr;
    f->pkey = d2i_PUBKEY(NULL, &p, (long)f->spki.len);
    f->md = EVP_MD_fetch(NULL, "SHA256", NULL);
    f->mctx = EVP_MD_CTX_new();
    return f->pkey && f->md && f->mctx ? MOBID_OK : MOBID_ERR_CRYPTO;
}

static int openssl_verify_once(fixture *f)
{
    return EVP_DigestVerifyInit(f->mctx, NULL, f->md, NULL, f->pkey) == 1 &&
           EVP_DigestVerify(f->mctx, f->der_sig.ptr, f->der_sig.len, f->msg.ptr, f->msg.len) == 1;
}

static int mobid_verify_once(fixture *f)
{
    return mobid_verify(f->key, MOBID_ALG_ES256, mobid_buf_view(&f->msg),
                        mobid_buf_view(&f->sig)) == MOBID_OK;
}

/* Run fn for about `seconds`; returns operations done and adds the time taken. */
static long run_round(int (*fn)(fixture *), fixture *f, double seconds, double *elapsed)
{
    long ops = 0;
    double start = cpu_now(), now = start;
    while (now - start < seconds) {
        for (int i = 0; i < 16; i++)
            ops += fn(f);
        now = cpu_now();
    }
    *elapsed += now - start;
    return ops;
}

/* Import cost of one holder key: mobid_key_from_coords vs EVP_PKEY_fromdata. */
static double import_us_mobid(fixture *f, int n)
{
    double start = cpu_now();
    for (int i = 0; i < n; i++) {
        mobid_key *k = NULL;
        if (mobid_key_from_coords(MOBID_CURVE_P256, mobid_buf_view(&f->x), mobid_buf_view(&f->y),
                                  mobid_view_make(NULL, 0), &k) != MOBID_OK)
            return -1;
        mobid_key_free(k);
    }
    return (cpu_now() - start) * 1e6 / n;
}

static double import_us_openssl(fixture *f, int n)
{
    uint8_t pt[65] = { 0x04 };
    memcpy(pt + 1, f->x.ptr, 32);
    memcpy(pt + 33, f->y.ptr, 32);
    OSSL_PARAM params[] = {
        OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)"P-256", 0),
        OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof pt), OSSL_PARAM_END };
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    if (!ctx || EVP_PKEY_fromdata_init(ctx) != 1) {
        EVP_PKEY_CTX_free(ctx);
        return -1;
    }
    double start = cpu_now();
    for (int i = 0; i < n; i++) {
        EVP_PKEY *pk = NULL;
        if (EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params) != 1)
            break;
        EVP_PKEY_free(pk);
    }
    double us = (cpu_now() - start) * 1e6 / n;
    EVP_PKEY_CTX_free(ctx);
    return us;
}

static void print_result(bool json, double mobid_rate, double ossl_rate, double imp_mobid,
                         double imp_ossl, double seconds)
{
    double ratio = ossl_rate > 0 ? mobid_rate / ossl_rate : 0;
    if (!json) {
        printf("P-256 verify, %.1f s of thread CPU time in alternating rounds:\n"
               "  mobid_verify        %10.0f /s\n  OpenSSL EVP loop    %10.0f /s\n"
               "  ratio               %10.3f\n"
               "key import: mobid_key_from_coords %.2f us, EVP_PKEY_fromdata %.2f us\n",
               seconds, mobid_rate, ossl_rate, ratio, imp_mobid, imp_ossl);
        return;
    }
    json_t *j = json_pack("{s:i,s:i,s:f,s:f,s:f,s:f}", "mobid_verify_per_s",
                          (json_int_t)(mobid_rate + 0.5), "openssl_verify_per_s",
                          (json_int_t)(ossl_rate + 0.5), "ratio", ratio, "key_import_us",
                          imp_mobid, "openssl_fromdata_us", imp_ossl, "seconds", seconds);
    cli_print_json(j);
    json_decref(j);
}

static const char usage[] =
    "usage: mobid bench ecdsa [--json] [--seconds S]\n"
    "P-256 verifications per second through mobid_verify and through a bare OpenSSL\n"
    "EVP_DigestVerify loop, alternating 20 ms rounds in one run (default 4 s of\n"
    "thread CPU time in total); ratio = mobid / OpenSSL. Also times one public key\n"
    "import each way (key_import_us, openssl_fromdata_us).\n";

static int run_bench_ecdsa(int argc, char **argv)
{
    bool json = false;
    double seconds = 4;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(usage, stdout);
            return CLI_EXIT_OK;
        } else if (!strcmp(argv[i], "--json")) {
            json = true;
        } else if (!strcmp(argv[i], "--seconds") && i + 1 < argc) {
            char *end;
            seconds = strtod(argv[++i], &end);
            if (*end || !(seconds > 0 && seconds <= 3600))
                return cli_usage_error(usage, "--seconds wants a number of seconds");
        } else {
            return cli_usage_error(usage, "unknown argument '%s'", argv[i]);
        }
    }
    fixture f;
    if (fixture_make(&f) != MOBID_OK || !mobid_verify_once(&f) || !openssl_verify_once(&f)) {
        fprintf(stderr, "mobid bench ecdsa: set-up failed\n");
        fixture_free(&f);
        return CLI_EXIT_FAIL;
    }
    double t_mobid = 0, t_ossl = 0;
    long n_mobid = 0, n_ossl = 0;
    for (double spent = 0; spent < seconds;) {
        n_ossl += run_round(openssl_verify_once, &f, ROUND_SECONDS / 2, &t_ossl);
        n_mobid += run_round(mobid_verify_once, &f, ROUND_SECONDS, &t_mobid);
        n_ossl += run_round(openssl_verify_once, &f, ROUND_SECONDS / 2, &t_ossl);
        spent = t_mobid + t_ossl;
    }
    double imp_mobid = import_us_mobid(&f, 20000), imp_ossl = import_us_openssl(&f, 5000);
    print_result(json, n_mobid / t_mobid, n_ossl / t_ossl, imp_mobid, imp_ossl, t_mobid + t_ossl);
    fixture_free(&f);
    return CLI_EXIT_OK;
}

MOBID_BENCH(ecdsa, "ecdsa", "P-256 verify rate: mobid_verify vs a bare OpenSSL loop", run_bench_ecdsa)
