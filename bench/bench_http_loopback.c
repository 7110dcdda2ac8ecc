/*
 * `mobid bench http [--seconds S] [--clients N] [--json]`: requests per second and
 * latency (p50, p99) of the HTTP layer alone on 127.0.0.1 — a small JSON POST to a
 * handler that parses and answers JSON, over kept-alive connections, N client
 * threads. The floor under every service benchmark (issuance, verification).
 */
#include "bench.h"
#include "cli/cli.h"
#include "http/client.h"
#include "http/server.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SAMPLES 2000000

typedef struct client_run {
    pthread_t thread;
    const char *url;
    double until;
    size_t n;
    double *lat; /* seconds per request */
    mobid_err err;
} client_run;

static mobid_err on_echo(mobid_http_req *req, mobid_http_resp *resp, void *ctx)
{
    json_t *j = NULL;
    mobid_err err = mobid_http_req_json(req, &j);
    if (err != MOBID_OK)
        return mobid_http_resp_error(resp, 400, "invalid_request", mobid_err_name(err));
    json_object_set_new(j, "ok", json_true());
    err = mobid_http_resp_json(resp, 200, j);
    json_decref(j);
    return err;
}

static void *client_loop(void *arg)
{
    client_run *c = arg;
    mobid_http_client *http = NULL;
    json_t *body = json_pack("{s:s,s:s}", "nonce", "n-0S6_WzA2Mj", "state", "b6d1a0f3");
    c->err = mobid_http_client_new(NULL, &http);
    while (c->err == MOBID_OK && bench_now() < c->until && c->n < MAX_SAMPLES) {
        mobid_http_result r;
        double t0 = bench_now();
        c->err = mobid_http_client_post_json(http, c->url, NULL, body, &r);
        if (c->err == MOBID_OK && r.status != 200)
            c->err = MOBID_ERR_FETCH_FAILED;
        c->lat[c->n++] = bench_now() - t0;
        mobid_http_result_free(&r);
    }
    json_decref(body);
    mobid_http_client_free(http);
    return NULL;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int run_bench_http(int argc, char **argv)
{
    double seconds = 3;
    int nclients = 1;
    bool json = false;
    static const char usage[] = "usage: mobid bench http [--seconds S] [--clients N] [--json]\n\n"
                                "N clients (default 1) POST small JSON bodies to a server in this\n"
                                "process for S seconds (default 3): requests/s, p50 and p99.\n";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(usage, stdout);
            return 0;
        }
        if (!strcmp(argv[i], "--json"))
            json = true;
        else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
            seconds = atof(argv[++i]);
        else if (!strcmp(argv[i], "--clients") && i + 1 < argc)
            nclients = atoi(argv[++i]);
        else
            return cli_usage_error(usage, "unknown option %s", argv[i]);
    }
    if (nclients < 1 || nclients > 64 || seconds <= 0)
        return cli_usage_error(NULL, "--clients must be 1..64 and --seconds positive");
    mobid_http_config cfg = { .name = "bench" };
    mobid_http_server *srv = NULL;
    mobid_err err = mobid_http_server_new(&cfg, &srv);
    if (err == MOBID_OK)
        err = mobid_http_route(srv, "POST", "/echo", on_echo, NULL);
    if (err == MOBID_OK)
        err = mobid_http_server_start(srv);
    char url[128] = "";
    if (err == MOBID_OK)
        snprintf(url, sizeof url, "%s/echo", mobid_http_server_url(srv));
    client_run *runs = calloc((size_t)nclients, sizeof *runs);
    double t0 = bench_now();
    for (int i = 0; err == MOBID_OK && i < nclients; i++) {
        runs[i] = (client_run){ .url = url, .until = t0 + seconds,
                                .lat = malloc(MAX_SAMPLES * sizeof(double)) };
        pthread_create(&runs[i].thread, NULL, client_loop, &runs[i]);
    }
    size_t total = 0;
    for (int i = 0; err == MOBID_OK && i < nclients; i++) {
        pthread_join(runs[i].thread, NULL);
        total += runs[i].n;
        if (runs[i].err != MOBID_OK)
            err = runs[i].err;
    }
    double elapsed = bench_now() - t0;
    double *all = err == MOBID_OK ? malloc((total + 1) * sizeof *all) : NULL;
    size_t k = 0;
    for (int i = 0; all && i < nclients; i++)
        for (size_t j = 0; j < runs[i].n; j++)
            all[k++] = runs[i].lat[j];
    for (int i = 0; runs && i < nclients; i++)
        free(runs[i].lat);
    free(runs);
    mobid_http_server_free(srv);
    if (err != MOBID_OK || !all || !total) {
        free(all);
        return cli_fail(json, err != MOBID_OK ? err : MOBID_ERR_NOMEM, "HTTP benchmark failed");
    }
    qsort(all, total, sizeof *all, cmp_double);
    double rps = total / elapsed, p50 = all[total / 2] * 1e3, p99 = all[total * 99 / 100] * 1e3;
    free(all);
    if (json) {
        json_t *o = json_pack("{s:s,s:i,s:f,s:i,s:f,s:f,s:f}", "bench", "http", "clients", nclients,
                              "seconds", elapsed, "requests", (json_int_t)total, "requests_per_s", rps,
                              "p50_ms", p50, "p99_ms", p99);
        cli_print_json(o);
        json_decref(o);
    } else {
        printf("http loopback (JSON POST, %d kept-alive client%s, %.1f s)\n", nclients,
               nclients > 1 ? "s" : "", elapsed);
        printf("  %8.0f requests/s   p50 %.3f ms   p99 %.3f ms\n", rps, p50, p99);
    }
    return CLI_EXIT_OK;
}

MOBID_BENCH(http, "http", "HTTP server + client requests per second on loopback", run_bench_http)
