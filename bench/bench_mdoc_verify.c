/*
 * `mobid bench verify --format mdoc`: DeviceResponse verifications per second
 * on one core against the bare P-256 verify rate measured in the same run.
 *
 * One document with 6 disclosed elements, ES256 issuer and device signatures,
 * cycling through a pool of distinct responses with distinct device keys (as
 * real traffic has), all prepared before timing. A verification needs two
 * ECDSA verifies, so the limit is ecdsa_verify_per_s / 2; ratio_to_limit says
 * how close the whole verifier gets to it.
 */
#include "bench.h"

#include <mobid/mdoc.h>

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BENCH_AT 1767225600 /* 2026-01-01T00:00:00Z */

typedef struct bench_env {
    mobid_key *iaca_key, *ds_key;
    mobid_cert *iaca, *ds;
    mobid_trust *trust;
    mobid_mdoc_verifier *verifier;
    mobid_buf transcript;
    mobid_buf *pool;
    size_t n_pool;
} bench_env;

/* CPU seconds of this thread: "per second on one core", and steadier than wall
 * time on a machine other processes share. */
static double cpu_now(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
        return bench_now();
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static mobid_err make_pki(bench_env *b)
{
    mobid_cert_spec ca, ds;
    memset(&ca, 0, sizeof ca);
    memset(&ds, 0, sizeof ds);
    ca.subject_cn = "Bench IACA";
    ca.not_before = BENCH_AT - 86400;
    ca.not_after = BENCH_AT + 3650 * 86400;
    ca.is_ca = true;
    ca.path_len = 0;
    ds.subject_cn = "Bench DS";
    ds.not_before = ca.not_before;
    ds.not_after = ca.not_after;
    ds.purpose = MOBID_PURPOSE_MDOC_DS;
    mobid_err err = mobid_key_generate(MOBID_CURVE_P256, &b->iaca_key);
    if (err == MOBID_OK)
        err = mobid_key_generate(MOBID_CURVE_P256, &b->ds_key);
    if (err == MOBID_OK)
        err = mobid_cert_issue(&ca, b->iaca_key, b->iaca_key, NULL, &b->iaca);
    if (err == MOBID_OK)
        err = mobid_cert_issue(&ds, b->ds_key, b->iaca_key, b->iaca, &b->ds);
    if (err == MOBID_OK)
        err = mobid_trust_new(&b->trust);
    if (err == MOBID_OK)
        err = mobid_trust_add(b->trust, b->iaca);
    if (err == MOBID_OK)
        err = mobid_mdoc_verifier_new(b->trust, &b->verifier);
    if (err == MOBID_OK)
        err = mobid_mdoc_transcript_oid4vp("x509_san_dns:rp.example", "bench-nonce",
                                           mobid_view_make(NULL, 0), "https://rp.example/post",
                                           &b->transcript);
    return err;
}

/* Issue a fresh mDL to a fresh device key and present 6 of its elements. */
static mobid_err make_response(bench_env *b, mobid_buf *out)
{
    static const uint8_t doe[] = { 0x63, 'D', 'o', 'e' }, jane[] = { 0x64, 'J', 'a', 'n', 'e' };
    static const uint8_t birth[] = { 0xd9, 0x03, 0xec, 0x6a, '1', '9', '9', '0', '-',
                                     '0', '1', '-', '3', '1' };
    static const uint8_t no[] = { 0x68, 'M', '1', '2', '3', '4', '5', '6', '7' };
    static const uint8_t kr[] = { 0x62, 'K', 'R' }, yes[] = { 0xf5 };
    const char *ns = MOBID_MDOC_NS_MDL;
    const mobid_mdoc_element els[] = {
        { ns, "family_name", mobid_view_make(doe, sizeof doe) },
        { ns, "given_name", mobid_view_make(jane, sizeof jane) },
        { ns, "birth_date", mobid_view_make(birth, sizeof birth) },
        { ns, "document_number", mobid_view_make(no, sizeof no) },
        { ns, "issuing_country", mobid_view_make(kr, sizeof kr) },
        { ns, "age_over_18", mobid_view_make(yes, sizeof yes) },
    };
    const mobid_mdoc_ref refs[] = { { ns, "family_name" },     { ns, "given_name" },
                                    { ns, "birth_date" },      { ns, "document_number" },
                                    { ns, "issuing_country" }, { ns, "age_over_18" } };
    mobid_cert *chain[1] = { b->ds };
    mobid_mdoc_issue_opts io;
    mobid_mdoc_present_opts po;
    mobid_key *dk = NULL;
    mobid_buf is;
    mobid_err err = mobid_key_generate(MOBID_CURVE_P256, &dk);
    mobid_buf_init(&is, 0);
    memset(&io, 0, sizeof io);
    io.doctype = MOBID_MDOC_DOCTYPE_MDL;
    io.elements = els;
    io.n_elements = 6;
    io.issuer_key = b->ds_key;
    io.chain = chain;
    io.n_chain = 1;
    io.device_key = dk;
    io.signed_at = BENCH_AT - 3600;
    if (err == MOBID_OK)
        err = mobid_mdoc_issue(&io, &is);
    memset(&po, 0, sizeof po);
    po.issuer_signed = mobid_buf_view(&is);
    po.device_key = dk;
    po.transcript = mobid_buf_view(&b->transcript);
    po.reveal = refs;
    po.n_reveal = 6;
    mobid_buf_init(out, 0);
    if (err == MOBID_OK)
        err = mobid_mdoc_present(&po, out);
    mobid_key_free(dk);
    mobid_buf_free(&is);
    return err;
}

static void env_free(bench_env *b)
{
    for (size_t i = 0; i < b->n_pool; i++)
        mobid_buf_free(&b->pool[i]);
    free(b->pool);
    mobid_mdoc_verifier_free(b->verifier);
    mobid_trust_free(b->trust);
    mobid_cert_free(b->iaca);
    mobid_cert_free(b->ds);
    mobid_key_free(b->iaca_key);
    mobid_key_free(b->ds_key);
    mobid_buf_free(&b->transcript);
}

/* A ready ES256 key and signature for the baseline. */
typedef struct ecdsa_env {
    mobid_key *k;
    mobid_buf sig;
    uint8_t msg[32];
} ecdsa_env;

/* Bare ES256 verifies with a ready key for about `seconds`; adds to *n, *t. */
static bool ecdsa_round(ecdsa_env *e, double seconds, long *n, double *t)
{
    double t0 = cpu_now(), dt;
    long k = 0;
    do {
        for (int i = 0; i < 64; i++, k++)
            if (mobid_verify(e->k, MOBID_ALG_ES256, mobid_view_make(e->msg, sizeof e->msg),
                             mobid_buf_view(&e->sig)) != MOBID_OK)
                return false;
        dt = cpu_now() - t0;
    } while (dt < seconds);
    *n += k;
    *t += dt;
    return true;
}

/* DeviceResponse verifies for about `seconds`, continuing through the pool at
 * *next; adds to *n, *t. */
static bool mdoc_round(bench_env *b, double seconds, size_t *next, long *n, double *t)
{
    mobid_mdoc_verify_opts o = { mobid_buf_view(&b->transcript), NULL, BENCH_AT, NULL };
    double t0 = cpu_now(), dt;
    long k = 0;
    do {
        for (int i = 0; i < 64; i++, k++) {
            mobid_mdoc_result res;
            mobid_view r = mobid_buf_view(&b->pool[*next]);
            *next = (*next + 1) % b->n_pool;
            mobid_err err = mobid_mdoc_verify(b->verifier, r, &o, &res);
            bool ok = err == MOBID_OK && res.docs[0].n_items == 6;
            if (!ok)
                fprintf(stderr, "mobid bench: verification failed: %s (%s)\n",
                        mobid_err_name(err), res.detail);
            mobid_mdoc_result_free(&res);
            if (!ok)
                return false;
        }
        dt = cpu_now() - t0;
    } while (dt < seconds);
    *n += k;
    *t += dt;
    return true;
}

/* Interleave short rounds of both so load changes on the machine hit both alike;
 * the mdoc rounds together cover the whole pool at least once. */
static bool measure(bench_env *b, double seconds, double *ecdsa, double *mdoc)
{
    ecdsa_env e;
    long ne = 0, nm = 0;
    double te = 0, tm = 0;
    size_t next = 0;
    bool ok = false;
    memset(&e, 0, sizeof e);
    e.msg[0] = 1;
    mobid_buf_init(&e.sig, 0);
    if (mobid_key_generate(MOBID_CURVE_P256, &e.k) != MOBID_OK ||
        mobid_sign(e.k, MOBID_ALG_ES256, mobid_view_make(e.msg, sizeof e.msg), &e.sig) != MOBID_OK)
        goto done;
    mobid_key_no_table(e.k); /* bare: a key without its table, as a device key is */
    for (int round = 0; round < 8 || nm < (long)b->n_pool; round++)
        if (!ecdsa_round(&e, seconds / 24, &ne, &te) ||
            !mdoc_round(b, seconds / 12, &next, &nm, &tm))
            goto done;
    *ecdsa = (double)ne / te;
    *mdoc = (double)nm / tm;
    ok = true;
done:
    mobid_key_free(e.k);
    mobid_buf_free(&e.sig);
    return ok;
}

static int run_verify_mdoc(int argc, char **argv)
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
            printf("usage: mobid bench verify --format mdoc [--json] [--pool N] [--seconds S]\n");
            return 0;
        } else if (ch != 'f')
            return 2;
    }
    if (pool == 0 || seconds <= 0)
        return 2;
    memset(&b, 0, sizeof b);
    mobid_buf_init(&b.transcript, 0);
    b.pool = calloc(pool, sizeof *b.pool);
    if (!b.pool || make_pki(&b) != MOBID_OK)
        goto done;
    for (; b.n_pool < pool; b.n_pool++)
        if (make_response(&b, &b.pool[b.n_pool]) != MOBID_OK)
            goto done;
    double ecdsa = 0, mdoc = 0;
    if (!measure(&b, seconds, &ecdsa, &mdoc) || ecdsa <= 0 || mdoc <= 0)
        goto done;
    double ratio = mdoc / (ecdsa / 2);
    if (json) {
        json_t *o = json_pack("{s:s,s:I,s:I,s:f}", "format", "mdoc", "verify_per_s",
                              (json_int_t)(mdoc + 0.5), "ecdsa_verify_per_s",
                              (json_int_t)(ecdsa + 0.5), "ratio_to_limit",
                              ratio);
        char *s = json_dumps(o, JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(3));
        printf("%s\n", s);
        free(s);
        json_decref(o);
    } else {
        printf("mdoc DeviceResponse verify: %.0f/s (pool %zu)\nES256 verify: %.0f/s\n"
               "ratio to limit (ecdsa/2): %.3f\n",
               mdoc, b.n_pool, ecdsa, ratio);
    }
    rc = 0;
done:
    if (rc)
        fprintf(stderr, "mobid bench: verify-mdoc could not run\n");
    env_free(&b);
    return rc;
}

MOBID_BENCH(verify_mdoc, "verify-mdoc",
            "mdoc DeviceResponse verifications/s vs bare ES256 verifies/s", run_verify_mdoc)
