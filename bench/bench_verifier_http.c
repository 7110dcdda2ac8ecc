/*
 * `mobid bench verifier [--clients N] [--target URL --api-key KEY --wallet-roots DIR
 * [--ca-file PEM]] [--format sdjwt|mdoc] [--mode jwt|post] [--seconds S] [--json]`:
 * N wallets, driven from T threads (one a core), run whole OpenID4VP verifications back
 * to back (the
 * relying party creates the session, the wallet fetches and checks the request object
 * and answers, the relying party reads the result), against a running deployment or,
 * without --target, a verifier started in this process on 127.0.0.1 (SQLite in a
 * temporary folder). Reports completed verifications per second, p50/p95/p99 of the
 * loop and of each step, errors by code, and the ratio to `mobid bench verify` run
 * just before in the same process tree.
 */
#include <getopt.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "bench.h"
#include "bench_verifier_kit.h"
#include "cli/cli.h"

#define MAX_SAMPLES 400000
#define MAX_CODES 16

typedef struct client {
    double *loop, *step[VK_STEPS];
    size_t cap, n, errors;
    char codes[MAX_CODES][64];
    size_t counts[MAX_CODES];
    vwallet w;
    vloop l;
    double t[VK_STEPS]; /* the last loop's steps */
    char code[64];      /* the last loop's failure */
} client;

/* A thread driving its share of the wallets over one curl multi handle: each wallet a
 * state machine (vloop), so that a ready answer costs no thread switch. */
typedef struct driver {
    const vkit *k;
    pthread_barrier_t *go;
    client *cs;
    unsigned first, n, stride; /* its wallets: cs[first + i * stride], i < n */
    double seconds, end;
    mobid_err setup;
} driver;

typedef struct run {
    vkit k;
    unsigned clients, threads;
    double seconds;
    bool json, baseline;
} run;

static void count_error(client *c, const char *code)
{
    size_t i = 0;
    while (i < MAX_CODES - 1 && c->codes[i][0] && strcmp(c->codes[i], code))
        i++;
    if (!c->codes[i][0])
        snprintf(c->codes[i], sizeof c->codes[i], "%s", i == MAX_CODES - 1 ? "OTHER" : code);
    c->counts[i]++;
    c->errors++;
}

static void record(client *c, int rc)
{
    if (rc < 0) {
        count_error(c, c->code);
        return;
    }
    if (c->n == c->cap)
        return;
    c->loop[c->n] = 0;
    for (int s = 0; s < VK_STEPS; s++) {
        c->step[s][c->n] = c->t[s];
        c->loop[c->n] += c->t[s];
    }
    c->n++;
}

/* c's verification goes on (rc > 0: its next request leaves) or ends (rc <= 0: counted,
 * and a new one begins before the deadline). False when c has stopped. */
static bool go_on(driver *d, mobid_http_multi *m, client *c, int rc)
{
    for (;;) {
        if (rc <= 0) {
            record(c, rc);
            if (bench_now() >= d->end)
                return false;
            vkit_loop_start(d->k, &c->l);
        }
        vloop *l = &c->l;
        mobid_err err = mobid_http_multi_start(m, c->w.http, l->method, l->url, l->hdr, l->ctype,
                                               l->body, &l->r, c);
        if (!err)
            return true;
        rc = vkit_loop_step(d->k, &c->w, l, err, c->t, c->code, sizeof c->code);
    }
}

static void *driver_main(void *arg)
{
    driver *d = arg;
    mobid_http_multi *m = NULL;
    unsigned made = 0, active = 0;
    d->setup = mobid_http_multi_new(&m);
    for (; !d->setup && made < d->n; made++)
        d->setup = vwallet_new(d->k, &d->cs[d->first + made * d->stride].w);
    pthread_barrier_wait(d->go);
    d->end = bench_now() + d->seconds;
    for (unsigned i = 0; !d->setup && i < d->n; i++) {
        client *c = &d->cs[d->first + i * d->stride];
        vkit_loop_start(d->k, &c->l);
        active += go_on(d, m, c, 1);
    }
    while (active) {
        void *ud;
        mobid_err err;
        if (!mobid_http_multi_next(m, 100, &ud, &err))
            continue;
        client *c = ud;
        int rc = vkit_loop_step(d->k, &c->w, &c->l, err, c->t, c->code, sizeof c->code);
        active -= !go_on(d, m, c, rc);
    }
    for (unsigned i = 0; i < made; i++)
        vwallet_free(&d->cs[d->first + i * d->stride].w);
    mobid_http_multi_free(m);
    return NULL;
}

static json_t *merged(client *cs, unsigned n, double *all, size_t total, int step)
{
    size_t at = 0;
    for (unsigned i = 0; i < n; i++) {
        memcpy(all + at, step < 0 ? cs[i].loop : cs[i].step[step], cs[i].n * sizeof *all);
        at += cs[i].n;
    }
    return vk_pcts(all, total);
}

static double round_ms(double s)
{
    return (double)(long long)(s * 1e6 + 0.5) / 1e3;
}

static json_t *errors_json(const client *cs, unsigned n)
{
    json_t *o = json_object();
    for (unsigned i = 0; i < n; i++)
        for (size_t j = 0; j < MAX_CODES && cs[i].codes[j][0]; j++) {
            json_int_t prev = json_integer_value(json_object_get(o, cs[i].codes[j]));
            json_object_set_new(o, cs[i].codes[j], json_integer(prev + (json_int_t)cs[i].counts[j]));
        }
    return o;
}

static void print_human(const json_t *o)
{
    const json_t *loop = json_object_get(o, "loop_ms"), *steps = json_object_get(o, "steps_ms");
    printf("verifier: %s, %lld clients, %s %s\n", json_string_value(json_object_get(o, "target")),
           json_integer_value(json_object_get(o, "clients")),
           json_string_value(json_object_get(o, "format")),
           json_string_value(json_object_get(o, "response_mode")));
    printf("  %lld verifications in %.1f s: %.0f/s, %lld errors\n",
           json_integer_value(json_object_get(o, "verifications")),
           json_number_value(json_object_get(o, "seconds")),
           json_number_value(json_object_get(o, "verifications_per_s")),
           json_integer_value(json_object_get(o, "errors")));
    printf("  %-8s p50 %8.2f ms  p95 %8.2f ms  p99 %8.2f ms\n", "loop",
           json_number_value(json_object_get(loop, "p50")), json_number_value(json_object_get(loop, "p95")),
           json_number_value(json_object_get(loop, "p99")));
    for (int s = 0; s < VK_STEPS; s++) {
        const json_t *p = json_object_get(steps, vk_step_names[s]);
        printf("  %-8s p50 %8.2f ms  p95 %8.2f ms  p99 %8.2f ms\n", vk_step_names[s],
               json_number_value(json_object_get(p, "p50")), json_number_value(json_object_get(p, "p95")),
               json_number_value(json_object_get(p, "p99")));
    }
    const char *key;
    json_t *v;
    json_object_foreach ((json_t *)json_object_get(o, "errors_by_code"), key, v)
        printf("  error %s: %lld\n", key, json_integer_value(v));
    if (json_object_get(o, "ratio_to_bench_verify"))
        printf("  bench verify (one core): %.0f/s; ratio %.3f\n",
               json_number_value(json_object_get(o, "bench_verify_per_s")),
               json_number_value(json_object_get(o, "ratio_to_bench_verify")));
}

static void report(run *r, client *cs, double elapsed, double verify_rate, const double cpu[2])
{
    size_t total = 0, errors = 0;
    for (unsigned i = 0; i < r->clients; i++) {
        total += cs[i].n;
        errors += cs[i].errors;
    }
    double *all = malloc((total ? total : 1) * sizeof *all);
    json_t *steps = json_object();
    for (int s = 0; all && s < VK_STEPS; s++)
        json_object_set_new(steps, vk_step_names[s], merged(cs, r->clients, all, total, s));
    double rate = (double)total / elapsed;
    json_t *o = json_pack("{s:s,s:s,s:I,s:s,s:s,s:f,s:I,s:I,s:o,s:f,s:o,s:o}", "bench", "verifier",
                          "target", r->k.o.target ? r->k.o.target : "in-process", "clients",
                          (json_int_t)r->clients, "format", r->k.o.use_mdoc ? "mdoc" : "sdjwt",
                          "response_mode", r->k.o.encrypted ? "direct_post.jwt" : "direct_post",
                          "seconds", elapsed, "verifications", (json_int_t)total, "errors",
                          (json_int_t)errors, "errors_by_code", errors_json(cs, r->clients),
                          "verifications_per_s", rate, "loop_ms",
                          all ? merged(cs, r->clients, all, total, -1) : json_null(), "steps_ms",
                          steps);
    /* CPU per verification: what the service costs, apart from the machine's load. */
    if (o && total) {
        json_t *c = json_pack("{s:f}", "this_process", round_ms(cpu[0] / (double)total));
        if (r->k.child > 0)
            json_object_set_new(c, "verifier_process", json_real(round_ms(cpu[1] / (double)total)));
        json_object_set_new(o, "cpu_ms_per_verification", c);
    }
    if (o && verify_rate > 0) {
        json_object_set_new(o, "bench_verify_per_s", json_real(verify_rate));
        json_object_set_new(o, "ratio_to_bench_verify", json_real(rate / verify_rate));
    }
    if (r->json)
        cli_print_json(o);
    else if (o)
        print_human(o);
    json_decref(o);
    free(all);
}

/* Start the drivers together, let them run, gather. */
static mobid_err run_clients(run *r)
{
    unsigned nt = r->threads < r->clients ? r->threads : r->clients;
    client *cs = calloc(r->clients, sizeof *cs);
    driver *ds = calloc(nt, sizeof *ds);
    pthread_t *th = calloc(nt, sizeof *th);
    pthread_barrier_t go;
    size_t cap = MAX_SAMPLES / r->clients;
    mobid_err err = cs && ds && th ? MOBID_OK : MOBID_ERR_NOMEM;
    double verify_rate = r->baseline ? vk_bench_verify_rate(r->k.o.use_mdoc) : 0;
    unsigned started = 0;
    pthread_barrier_init(&go, NULL, nt + 1);
    for (unsigned i = 0; !err && i < r->clients; i++) {
        cs[i].cap = cap;
        if (!(cs[i].loop = malloc(cap * sizeof(double))))
            err = MOBID_ERR_NOMEM;
        for (int s = 0; !err && s < VK_STEPS; s++)
            if (!(cs[i].step[s] = malloc(cap * sizeof(double))))
                err = MOBID_ERR_NOMEM;
    }
    for (unsigned i = 0; !err && i < nt; i++)
        ds[i] = (driver){ .k = &r->k, .go = &go, .cs = cs, .first = i, .stride = nt,
                          .n = (r->clients - i + nt - 1) / nt, .seconds = r->seconds };
    for (; !err && started < nt; started++)
        if (pthread_create(&th[started], NULL, driver_main, &ds[started]))
            err = MOBID_ERR_NOMEM;
    if (!err) {
        pthread_barrier_wait(&go);
        double t0 = bench_now(), cpu[2] = { vk_cpu_s(0), vk_cpu_s(r->k.child) };
        for (unsigned i = 0; i < started; i++)
            pthread_join(th[i], NULL);
        cpu[0] = vk_cpu_s(0) - cpu[0];
        cpu[1] = vk_cpu_s(r->k.child) - cpu[1];
        for (unsigned i = 0; i < started && !err; i++)
            err = ds[i].setup;
        if (!err)
            report(r, cs, bench_now() - t0, verify_rate, cpu);
    }
    for (unsigned i = 0; cs && i < r->clients; i++) {
        free(cs[i].loop);
        for (int s = 0; s < VK_STEPS; s++)
            free(cs[i].step[s]);
    }
    pthread_barrier_destroy(&go);
    free(cs);
    free(ds);
    free(th);
    return err;
}

static const char usage[] =
    "usage: mobid bench verifier [--clients N] [--seconds S] [--format sdjwt|mdoc]\n"
    "                            [--mode jwt|post] [--target URL --api-key KEY\n"
    "                            --wallet-roots DIR [--ca-file PEM]] [--vct VCT]\n"
    "                            [--doctype DOCTYPE --namespace NS] [--child] [--no-baseline]\n"
    "                            [--threads T] [--json]\n"
    "\n"
    "N wallets (default 1) run whole verifications for S seconds (default 3) against the\n"
    "verifier at URL, or one started in this process (--child: in a child\n"
    "`mobid verifier serve`, SQLite in a temporary folder). --wallet-roots is the\n"
    "deployment's pki folder (`mobid pki init`): the wallets trust its rp-ca.pem and\n"
    "iaca.pem, and their credentials are signed by its newest ds-*.key. --ca-file: the CA\n"
    "of an https:// URL. --no-baseline skips `mobid bench verify` (the ratio). Each\n"
    "wallet is a state machine; T threads (default: one a core, at most N) drive them,\n"
    "each over one curl multi handle.\n";

static int parse(int argc, char **argv, run *r, vkit_opts *o)
{
    static const struct option opts[] = {
        { "clients", 1, 0, 'c' }, { "seconds", 1, 0, 's' }, { "format", 1, 0, 'f' },
        { "mode", 1, 0, 'm' },    { "target", 1, 0, 't' },  { "api-key", 1, 0, 'k' },
        { "wallet-roots", 1, 0, 'r' }, { "ca-file", 1, 0, 'C' }, { "vct", 1, 0, 'V' },
        { "doctype", 1, 0, 'D' }, { "namespace", 1, 0, 'N' }, { "no-baseline", 0, 0, 'B' },
        { "json", 0, 0, 'j' },    { "child", 0, 0, 'P' },   { "help", 0, 0, 'h' },
        { "threads", 1, 0, 'T' },
        { 0, 0, 0, 0 } };
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 'c': r->clients = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'T': r->threads = (unsigned)strtoul(optarg, NULL, 10); break;
        case 's': r->seconds = strtod(optarg, NULL); break;
        case 'f': o->use_mdoc = !strcmp(optarg, "mdoc"); break;
        case 'm': o->encrypted = strcmp(optarg, "post") != 0; break;
        case 't': o->target = optarg; break;
        case 'k': o->api_key = optarg; break;
        case 'r': o->roots_dir = optarg; break;
        case 'C': o->ca_file = optarg; break;
        case 'V': o->vct = optarg; break;
        case 'D': o->doctype = optarg; break;
        case 'N': o->ns = optarg; break;
        case 'B': r->baseline = false; break;
        case 'j': r->json = true; break;
        case 'P': o->child = true; break;
        case 'h': fputs(usage, stdout); return -1;
        default: return cli_usage_error(usage, "unknown option");
        }
    }
    if (optind < argc || !r->clients || r->clients > 4096 || !(r->seconds > 0) || !r->threads ||
        r->threads > 4096)
        return cli_usage_error(usage, "--clients and --threads are 1..4096, --seconds above 0");
    if (o->target && (!o->api_key || !o->roots_dir))
        return cli_usage_error(usage, "--target needs --api-key and --wallet-roots");
    return 0;
}

static int run_bench_verifier(int argc, char **argv)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    run r = { .clients = 1, .threads = cores > 0 ? (unsigned)cores : 1, .seconds = 3,
              .baseline = true };
    vkit_opts o = { .encrypted = true, .vct = "urn:mobid:kr:resident_card:1",
                    .doctype = "kr.go.mois.resident.1", .ns = "kr.go.mois.resident.1" };
    int rc = parse(argc, argv, &r, &o);
    if (rc)
        return rc < 0 ? CLI_EXIT_OK : rc;
    /* An allocator arena per driving thread (and some for an in-process verifier's),
     * set before any thread starts: threads that share an arena wait on its lock. */
    mallopt(M_ARENA_MAX, (int)r.threads + 16);
    mobid_err err = vkit_start(&r.k, &o);
    if (!err)
        err = run_clients(&r);
    vkit_stop(&r.k);
    return err ? cli_fail(r.json, err, "verifier benchmark failed") : CLI_EXIT_OK;
}

MOBID_BENCH(verifier, "verifier",
            "N wallets doing whole OpenID4VP verifications: rate, p50/p95/p99, errors", run_bench_verifier)
