/*
 * `mobid bench verify --format sdjwt`: SD-JWT VC presentation verifications per second
 * on one core against the bare P-256 verify rate measured in the same run.
 *
 * Each credential has 8 selectively disclosable claims, of which 4 are presented, with
 * an x5c DS certificate chained to a trust anchor and a KB-JWT (ES256 throughout). The
 * verifier cycles through a pool of distinct presentations with distinct holder keys
 * (as real traffic has), all prepared before timing. A verification needs two ECDSA
 * verifies, so the limit is ecdsa_verify_per_s / 2; ratio_to_limit says how close the
 * whole verifier gets to it.
 */
#include "bench.h"

#include <mobid/sdjwt.h>

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BENCH_AT 1767225600 /* 2026-01-01T00:00:00Z */
#define BENCH_AUD "https://rp.example"
#define BENCH_NONCE "bench-nonce-4f1c"

typedef struct bench_env {
    mobid_key *ca_key, *ds_key;
    mobid_cert *ca, *ds;
    mobid_trust *trust;
    mobid_sdjwt_key_cache *cache;
    json_t *claims;
    mobid_buf *pool;
    size_t n_pool;
} bench_env;

/* CPU seconds used by this thread. Both rates are measured with it: on a shared machine
 * wall time also counts the time other processes hold the core, unevenly between the
 * two measurements. */
static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static mobid_err make_pki(bench_env *b)
{
    mobid_cert_spec ca, ds;
    memset(&ca, 0, sizeof ca);
    memset(&ds, 0, sizeof ds);
    ca.subject_cn = "Bench Ministry CA";
    ca.not_before = BENCH_AT - 86400;
    ca.not_after = BENCH_AT + 3650 * 86400;
    ca.is_ca = true;
    ca.path_len = 0;
    static const char *const uris[] = { "https://issuer.example", NULL };
    ds.subject_cn = "Bench SD-JWT DS";
    ds.not_before = ca.not_before;
    ds.not_after = ca.not_after;
    ds.purpose = MOBID_PURPOSE_SIGNING;
    ds.san_uris = uris;
    mobid_err err = mobid_key_generate(MOBID_CURVE_P256, &b->ca_key);
    if (err == MOBID_OK)
        err = mobid_key_generate(MOBID_CURVE_P256, &b->ds_key);
    if (err == MOBID_OK)
        err = mobid_cert_issue(&ca, b->ca_key, b->ca_key, NULL, &b->ca);
    if (err == MOBID_OK)
        err = mobid_cert_issue(&ds, b->ds_key, b->ca_key, b->ca, &b->ds);
    if (err == MOBID_OK)
        err = mobid_trust_new(&b->trust);
    if (err == MOBID_OK)
        err = mobid_trust_add(b->trust, b->ca);
    if (err == MOBID_OK)
        err = mobid_sdjwt_key_cache_new(0, 0, &b->cache);
    b->claims = json_pack("{ss ss ss s{ss ss ss} ss sb sb ss}", "given_name", "Jimin",
                          "family_name", "Kim", "birthdate", "1990-01-31", "address",
                          "street_address", "12 Sejong-daero", "locality", "Seoul", "country",
                          "KR", "nationality", "KR", "age_over_18", 1, "age_over_65", 0,
                          "document_number", "M12345678");
    if (err == MOBID_OK && !b->claims)
        err = MOBID_ERR_NOMEM;
    return err;
}

/* Issue a fresh credential to a fresh holder key and present 4 of its 8 claims. */
static mobid_err make_presentation(bench_env *b, mobid_buf *out)
{
    static const char *const sd[] = { "given_name", "family_name", "birthdate", "address",
                                      "nationality", "age_over_18", "age_over_65",
                                      "document_number", NULL };
    static const char *const reveal[] = { "given_name", "family_name", "birthdate",
                                          "age_over_18", NULL };
    mobid_cert *chain[1] = { b->ds };
    mobid_key *hk = NULL;
    mobid_buf cred;
    mobid_buf_init(&cred, 0);
    mobid_buf_init(out, 0);
    mobid_err err = mobid_key_generate(MOBID_CURVE_P256, &hk);
    mobid_sdjwt_issue_params ip;
    memset(&ip, 0, sizeof ip);
    ip.claims = b->claims;
    ip.sd_paths = sd;
    ip.vct = "urn:mobid:kr:resident:1";
    ip.iat = BENCH_AT - 3600;
    ip.exp = BENCH_AT + 3 * 365 * 86400;
    ip.holder_key = hk;
    ip.issuer_key = b->ds_key;
    ip.x5c = chain;
    ip.x5c_len = 1;
    if (err == MOBID_OK)
        err = mobid_sdjwt_issue(&ip, &cred);
    mobid_sdjwt_present_params pp;
    memset(&pp, 0, sizeof pp);
    pp.reveal = reveal;
    pp.holder_key = hk;
    pp.aud = BENCH_AUD;
    pp.nonce = BENCH_NONCE;
    pp.iat = BENCH_AT - 10;
    if (err == MOBID_OK)
        err = mobid_sdjwt_present(mobid_buf_view(&cred), &pp, out);
    mobid_key_free(hk);
    mobid_buf_free(&cred);
    return err;
}

static void env_free(bench_env *b)
{
    for (size_t i = 0; i < b->n_pool; i++)
        mobid_buf_free(&b->pool[i]);
    free(b->pool);
    json_decref(b->claims);
    mobid_sdjwt_key_cache_free(b->cache);
    mobid_trust_free(b->trust);
    mobid_cert_free(b->ca);
    mobid_cert_free(b->ds);
    mobid_key_free(b->ca_key);
    mobid_key_free(b->ds_key);
}

/* Bare ES256 verifies per second with a ready key, over a 32-byte message. */
static double ecdsa_rate(double seconds)
{
    mobid_key *k = NULL;
    mobid_buf sig;
    uint8_t msg[32] = { 1 };
    double rate = 0;
    long n = 0;
    mobid_buf_init(&sig, 0);
    if (mobid_key_generate(MOBID_CURVE_P256, &k) != MOBID_OK ||
        mobid_sign(k, MOBID_ALG_ES256, mobid_view_make(msg, sizeof msg), &sig) != MOBID_OK)
        goto done;
    mobid_key_no_table(k); /* bare: a key without its table, as a holder key is */
    double t0 = cpu_now(), t;
    do {
        for (int i = 0; i < 256; i++)
            if (mobid_verify(k, MOBID_ALG_ES256, mobid_view_make(msg, sizeof msg),
                             mobid_buf_view(&sig)) != MOBID_OK)
                goto done;
        n += 256;
        t = cpu_now() - t0;
    } while (t < seconds);
    rate = (double)n / t;
done:
    mobid_key_free(k);
    mobid_buf_free(&sig);
    return rate;
}

/* Presentation verifies per second, cycling through the pool; -1 on a failure. A
 * valid result has iss, iat, exp, vct, cnf and the 4 presented claims. */
static double sdjwt_rate(bench_env *b, double seconds)
{
    mobid_sdjwt_verify_opts o;
    memset(&o, 0, sizeof o);
    o.trust = b->trust;
    o.cache = b->cache;
    o.now = BENCH_AT;
    o.skew = -1;
    o.require_kb = true;
    o.nonce = BENCH_NONCE;
    o.aud = BENCH_AUD;
    long n = 0;
    double t0 = cpu_now(), t;
    do {
        for (int i = 0; i < 64; i++, n++) {
            mobid_sdjwt_result res;
            mobid_err err = mobid_sdjwt_verify(mobid_buf_view(&b->pool[n % b->n_pool]), &o, &res);
            if (err != MOBID_OK || !res.key_bound || json_object_size(res.claims) != 9) {
                fprintf(stderr, "mobid bench: verification failed: %s (%s)\n",
                        mobid_err_name(err), res.detail);
                mobid_sdjwt_result_clear(&res);
                return -1;
            }
            mobid_sdjwt_result_clear(&res);
        }
        t = cpu_now() - t0;
    } while (t < seconds || n < (long)b->n_pool);
    return (double)n / t;
}

static void print_result(bool json, double rate, double ecdsa, size_t pool)
{
    double ratio = rate / (ecdsa / 2);
    if (json) {
        json_t *o = json_pack("{s:s,s:I,s:I,s:f}", "format", "sdjwt", "verify_per_s",
                              (json_int_t)(rate + 0.5), "ecdsa_verify_per_s",
                              (json_int_t)(ecdsa + 0.5), "ratio_to_limit",
                              (double)(long)(ratio * 1000 + 0.5) / 1000);
        char *s = json_dumps(o, JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
        printf("%s\n", s);
        free(s);
        json_decref(o);
    } else {
        printf("SD-JWT VC presentation verify: %.0f/s (pool %zu)\nES256 verify: %.0f/s\n"
               "ratio to limit (ecdsa/2): %.3f\n",
               rate, pool, ecdsa, ratio);
    }
}

static int run_verify_sdjwt(int argc, char **argv)
{
    static const struct option opts[] = { { "json", 0, 0, 'j' },   { "format", 1, 0, 'f' },
                                          { "pool", 1, 0, 'p' },   { "seconds", 1, 0, 's' },
                                          { "help", 0, 0, 'h' },   { 0, 0, 0, 0 } };
    bench_env b;
    bool json = false;
    size_t pool = 10000;
    double seconds = 3.0;
    int ch, rc = 1;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (ch == 'j')
            json = true;
        else if (ch == 'p')
            pool = (size_t)strtoul(optarg, NULL, 10);
        else if (ch == 's')
            seconds = strtod(optarg, NULL);
        else if (ch == 'h') {
            printf("usage: mobid bench verify --format sdjwt [--json] [--pool N] [--seconds S]\n");
            return 0;
        } else if (ch != 'f')
            return 2;
    }
    if (pool == 0 || seconds <= 0)
        return 2;
    memset(&b, 0, sizeof b);
    b.pool = calloc(pool, sizeof *b.pool);
    if (!b.pool || make_pki(&b) != MOBID_OK)
        goto done;
    for (; b.n_pool < pool; b.n_pool++)
        if (make_presentation(&b, &b.pool[b.n_pool]) != MOBID_OK)
            goto done;
    double ecdsa = ecdsa_rate(seconds / 2);
    double rate = sdjwt_rate(&b, seconds);
    if (ecdsa <= 0 || rate <= 0)
        goto done;
    print_result(json, rate, ecdsa, b.n_pool);
    rc = 0;
done:
    if (rc)
        fprintf(stderr, "mobid bench: verify-sdjwt could not run\n");
    env_free(&b);
    return rc;
}

MOBID_BENCH(verify_sdjwt, "verify-sdjwt",
            "SD-JWT VC presentation verifications/s vs bare ES256 verifies/s", run_verify_sdjwt)
