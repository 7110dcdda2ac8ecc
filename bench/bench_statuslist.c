/*
 * `mobid bench status [--json] [--entries N] [--strategies]`: a national-scale
 * status list. 10 000 000 two-bit entries, 1% SUSPENDED and 1% INVALID at random
 * positions: time to build it, to compress and sign it (JWT and CWT), its size on
 * the wire, the time to verify it, and the time of one lookup in a cached list.
 * Goal: signed and ready in under 1 s on one core, under 300 KB compressed.
 */
#include "bench.h"
#include "cli/cli.h"

#include <mobid/statuslist.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "http/resource.h"

#define URI "https://status.example.kr/lists/1"

typedef struct bench_pki {
    mobid_key *root_key, *key;
    mobid_cert *root, *cert;
} bench_pki;

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

/* xorshift64*: fast and reproducible; positions need no cryptographic quality. */
static uint64_t rng_next(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Dull;
}

/* Set count distinct random entries (still VALID) to value. */
static void scatter(mobid_statuslist *l, uint64_t n, uint64_t count, unsigned value)
{
    while (count) {
        uint64_t i = rng_next() % n;
        unsigned v = 1;
        if (mobid_statuslist_get(l, i, &v) == MOBID_OK && v == MOBID_STATUS_VALID &&
            mobid_statuslist_set(l, i, value) == MOBID_OK)
            count--;
    }
}

/* A root and a status list signer under it. */
static mobid_err make_pki(bench_pki *p)
{
    mobid_time now = mobid_now();
    mobid_cert_spec root = { .subject_cn = "bench root", .not_before = now - 3600,
                             .not_after = now + 86400, .is_ca = true, .path_len = 0 };
    mobid_cert_spec leaf = { .subject_cn = "bench status list signer", .not_before = now - 3600,
                             .not_after = now + 86400, .purpose = MOBID_PURPOSE_SIGNING,
                             .path_len = -1 };
    mobid_err err = mobid_key_generate(MOBID_CURVE_P256, &p->root_key);
    if (err == MOBID_OK)
        err = mobid_key_generate(MOBID_CURVE_P256, &p->key);
    if (err == MOBID_OK)
        err = mobid_cert_issue(&root, p->root_key, p->root_key, NULL, &p->root);
    if (err == MOBID_OK)
        err = mobid_cert_issue(&leaf, p->key, p->root_key, p->root, &p->cert);
    return err;
}

static void free_pki(bench_pki *p)
{
    mobid_key_free(p->root_key);
    mobid_key_free(p->key);
    mobid_cert_free(p->root);
    mobid_cert_free(p->cert);
}

static mobid_err sign_timed(const mobid_statuslist *l, bench_pki *p, mobid_statuslist_format fmt,
                            mobid_statuslist_zlib zlib, mobid_buf *out, double *secs)
{
    mobid_cert *chain[1] = { p->cert };
    mobid_statuslist_sign_params sp = { .format = fmt, .key = p->key, .chain = chain,
                                        .chain_len = 1, .uri = URI, .ttl = 3600, .zlib = zlib };
    mobid_buf_init(out, 0);
    double t0 = bench_now();
    mobid_err err = mobid_statuslist_token_sign(l, &sp, out);
    *secs = bench_now() - t0;
    return err;
}

/* Average time of one lookup through the fetcher's cache (the list fetched once
 * from a temporary file mapped to URI). */
static mobid_err cached_lookup_ns(mobid_trust *trust, mobid_view token, uint64_t n, double *ns)
{
    char path[] = "/tmp/mobid-bench-status-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return MOBID_ERR_IO;
    bool written = write(fd, token.ptr, token.len) == (ssize_t)token.len;
    close(fd);
    mobid_statuslist_fetcher *f = NULL;
    mobid_statuslist_fetch_opts fo = { .get = mobid_http_statuslist_get };
    mobid_err err = written ? mobid_statuslist_fetcher_new(trust, &fo, &f) : MOBID_ERR_IO;
    if (err == MOBID_OK)
        err = mobid_statuslist_fetcher_map(f, URI, path);
    mobid_status_ref ref = { 0, (char *)URI };
    unsigned v, acc = 0;
    if (err == MOBID_OK)
        err = mobid_statuslist_check(f, &ref, 0, &v); /* the one fetch */
    const uint64_t rounds = 1000000;
    double t0 = bench_now();
    for (uint64_t i = 0; i < rounds && err == MOBID_OK; i++) {
        ref.idx = rng_next() % n;
        err = mobid_statuslist_check(f, &ref, 0, &v);
        acc += v;
    }
    *ns = (bench_now() - t0) * 1e9 / (double)rounds;
    if (acc == 0 && err == MOBID_OK)
        err = MOBID_ERR_LIMIT; /* 2% set: a million lookups must hit some */
    mobid_statuslist_fetcher_free(f);
    unlink(path);
    return err;
}

/* Average time of mobid_statuslist_get at random indexes (the rng included). */
static double list_get_ns(const mobid_statuslist *l, uint64_t n)
{
    const uint64_t rounds = 1000000;
    unsigned v, acc = 0;
    double t0 = bench_now();
    for (uint64_t i = 0; i < rounds; i++)
        if (mobid_statuslist_get(l, rng_next() % n, &v) == MOBID_OK)
            acc += v;
    double ns = (bench_now() - t0) * 1e9 / (double)rounds;
    return acc ? ns : -1; /* -1 would mean the list lost its 2% */
}

/* Size and time of each zlib strategy on l (BEST takes about 1.5 s at 10M). */
static json_t *strategies_json(const mobid_statuslist *l)
{
    static const struct { mobid_statuslist_zlib mode; const char *name; } modes[] = {
        { MOBID_STATUSLIST_ZLIB_BEST, "level 9 default strategy" },
        { MOBID_STATUSLIST_ZLIB_RLE, "level 9 Z_RLE" },
    };
    json_t *arr = json_array();
    for (size_t i = 0; i < sizeof modes / sizeof *modes; i++) {
        mobid_buf z;
        mobid_buf_init(&z, 0);
        double t0 = bench_now();
        mobid_err err = mobid_statuslist_compress(l, modes[i].mode, &z);
        double secs = bench_now() - t0;
        if (err == MOBID_OK)
            json_array_append_new(arr, json_pack("{s:s,s:I,s:f}", "zlib", modes[i].name, "bytes",
                                                 (json_int_t)z.len, "seconds", secs));
        mobid_buf_free(&z);
    }
    return arr;
}

typedef struct status_figures {
    uint64_t entries;
    double build_s, zlib_s, jwt_s, cwt_s, verify_s, lookup_ns, get_ns;
    size_t zlib_bytes, jwt_bytes, cwt_bytes;
} status_figures;

static void report(const status_figures *f, json_t *strategies, bool json)
{
    /* Ready = built, compressed and signed in both forms. The size goal is for the
     * compressed list as the CWT carries it; the JWT base64url-encodes it twice
     * (lst inside the payload, then the payload), so it is ~16/9 of that unless
     * served with HTTP content-encoding. */
    double ready = f->build_s + f->jwt_s + f->cwt_s;
    size_t wire = f->cwt_bytes;
    json_t *o = json_pack(
        "{s:I,s:i,s:I,s:I,s:s,s:f,s:{s:I,s:f},s:{s:I,s:f},s:{s:I,s:f},s:f,s:f,s:f,s:f,s:{s:b,s:b}}",
        "entries", (json_int_t)f->entries, "bits", 2, "suspended", (json_int_t)(f->entries / 100),
        "revoked", (json_int_t)(f->entries / 100), "zlib", "auto (level 9, Z_RLE above 1 MiB)",
        "build_s", f->build_s, "compressed", "bytes", (json_int_t)f->zlib_bytes, "seconds",
        f->zlib_s, "jwt", "bytes", (json_int_t)f->jwt_bytes, "sign_s", f->jwt_s, "cwt", "bytes",
        (json_int_t)f->cwt_bytes, "sign_s", f->cwt_s, "verify_s", f->verify_s,
        "cached_lookup_ns", f->lookup_ns, "list_get_ns", f->get_ns, "ready_s", ready, "goal", "ready_under_1s",
        ready < 1.0, "under_300kb", wire < 300 * 1000);
    if (o && strategies)
        json_object_set(o, "strategies", strategies);
    if (json) {
        cli_print_json(o);
    } else {
        printf("status list: %" PRIu64 " two-bit entries, 1%% suspended, 1%% revoked\n", f->entries);
        printf("  build            %8.3f s\n", f->build_s);
        printf("  compress (auto)  %8.3f s  %zu bytes\n", f->zlib_s, f->zlib_bytes);
        printf("  sign JWT         %8.3f s  %zu bytes\n", f->jwt_s, f->jwt_bytes);
        printf("  sign CWT         %8.3f s  %zu bytes\n", f->cwt_s, f->cwt_bytes);
        printf("  verify CWT       %8.3f s\n", f->verify_s);
        printf("  cached lookup    %8.1f ns (fetcher cache; the bare list get: %.1f ns)\n",
               f->lookup_ns, f->get_ns);
        printf("  ready in %.3f s (goal < 1 s), CWT %zu bytes on the wire (goal < 300 KB)\n",
               ready, wire);
    }
    json_decref(o);
}

static int bench_usage(void)
{
    printf("usage: mobid bench status [--json] [--entries N] [--strategies]\n");
    return CLI_EXIT_OK;
}

/* Build, compress, sign, verify; fills f. */
static mobid_err run(bench_pki *p, mobid_trust *trust, status_figures *f, bool strategies,
                     json_t **strat)
{
    mobid_statuslist *l = NULL;
    mobid_statuslist_token *t = NULL;
    mobid_buf z, jwt, cwt;
    mobid_buf_init(&z, 0);
    mobid_buf_init(&jwt, 0);
    mobid_buf_init(&cwt, 0);
    double t0 = bench_now();
    mobid_err err = mobid_statuslist_new(2, f->entries, &l);
    if (err != MOBID_OK)
        goto done;
    scatter(l, f->entries, f->entries / 100, MOBID_STATUS_SUSPENDED);
    scatter(l, f->entries, f->entries / 100, MOBID_STATUS_INVALID);
    f->build_s = bench_now() - t0;
    t0 = bench_now();
    if ((err = mobid_statuslist_compress(l, MOBID_STATUSLIST_ZLIB_AUTO, &z)) != MOBID_OK)
        goto done;
    f->zlib_s = bench_now() - t0;
    f->zlib_bytes = z.len;
    if ((err = sign_timed(l, p, MOBID_STATUSLIST_JWT, MOBID_STATUSLIST_ZLIB_AUTO, &jwt,
                          &f->jwt_s)) != MOBID_OK ||
        (err = sign_timed(l, p, MOBID_STATUSLIST_CWT, MOBID_STATUSLIST_ZLIB_AUTO, &cwt,
                          &f->cwt_s)) != MOBID_OK)
        goto done;
    f->jwt_bytes = jwt.len;
    f->cwt_bytes = cwt.len;
    mobid_statuslist_verify_params vp = { trust, 0, URI, NULL };
    t0 = bench_now();
    if ((err = mobid_statuslist_token_verify(mobid_buf_view(&cwt), &vp, &t)) != MOBID_OK)
        goto done;
    f->verify_s = bench_now() - t0;
    if (!mobid_view_eq(mobid_statuslist_packed(t->list), mobid_statuslist_packed(l))) {
        err = MOBID_ERR_MALFORMED;
        goto done;
    }
    f->get_ns = list_get_ns(t->list, f->entries);
    err = cached_lookup_ns(trust, mobid_buf_view(&cwt), f->entries, &f->lookup_ns);
    if (err == MOBID_OK && strategies)
        *strat = strategies_json(l);
done:
    mobid_statuslist_token_free(t);
    mobid_statuslist_free(l);
    mobid_buf_free(&z);
    mobid_buf_free(&jwt);
    mobid_buf_free(&cwt);
    return err;
}

static int run_status_bench(int argc, char **argv)
{
    bool json = false, strategies = false;
    status_figures f = { .entries = 10000000 };
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            json = true;
        else if (!strcmp(argv[i], "--strategies"))
            strategies = true;
        else if (!strcmp(argv[i], "--entries") && i + 1 < argc)
            f.entries = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
            return bench_usage();
        else
            return cli_usage_error(NULL, "bench status: unknown argument '%s'", argv[i]);
    }
    if (f.entries < 100)
        return cli_usage_error(NULL, "bench status: --entries must be at least 100");
    bench_pki p = { 0 };
    mobid_trust *trust = NULL;
    json_t *strat = NULL;
    mobid_err err = make_pki(&p);
    if (err == MOBID_OK)
        err = mobid_trust_new(&trust);
    if (err == MOBID_OK)
        err = mobid_trust_add(trust, p.root);
    if (err == MOBID_OK)
        err = run(&p, trust, &f, strategies, &strat);
    if (err == MOBID_OK)
        report(&f, strat, json);
    else
        fprintf(stderr, "mobid bench status: %s\n", mobid_strerror(err));
    json_decref(strat);
    mobid_trust_free(trust);
    free_pki(&p);
    return err == MOBID_OK ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}

MOBID_BENCH(statuslist, "status", "10M-entry status list: build, compress, sign, cached lookup",
            run_status_bench)
