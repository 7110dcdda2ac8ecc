/*
 * `mobid bench pending --sessions N [--seconds S] [--target URL --api-key KEY
 * --wallet-roots DIR [--pid PID]] [--json]`: park N long-polls
 * (GET /api/v1/verifications/{id}?wait=60, as N open portal pages do) on a verifier
 * and, while they wait, measure /healthz, session creation and whole verifications
 * one after another. Without --target the verifier is a child `mobid verifier serve`
 * (SQLite in a temporary folder) so its resident memory and descriptors are its own.
 *
 * The long-polls are plain non-blocking sockets in one epoll loop on a thread of their
 * own; one that ends (its wait is over, or the server refused it) is opened again, so
 * N stay parked. The descriptor limit is raised to the hard limit first.
 */
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include "bench.h"
#include "bench_verifier_kit.h"
#include "cli/cli.h"

#define SESSIONS_SHARED 64   /* distinct sessions the long-polls wait on */
#define CONNECTING_MAX 256   /* connects in flight: stay inside the listen backlog */
#define MAX_SAMPLES 100000
#define STATUS_KINDS 6

enum { C_IDLE, C_CONNECTING, C_SENT };

typedef struct park {
    struct addrinfo *addr;
    char **requests;          /* one request text per shared session */
    size_t n_requests;
    unsigned target;          /* connections to keep parked */
    unsigned char *state;     /* per slot */
    int *fd;
    double *retry_at;         /* per slot: a refused slot waits before trying again */
    int ep;
    atomic_uint parked, connecting;
    atomic_ulong opened, connect_errors, by_status[STATUS_KINDS]; /* 2xx 4xx 408 429 503 other */
    atomic_bool stop;
} park;

static int status_kind(int status)
{
    return status / 100 == 2 ? 0 : status == 408 ? 2 : status == 429 ? 3 : status == 503 ? 4
           : status / 100 == 4 ? 1 : 5;
}

static void slot_close(park *p, unsigned i)
{
    if (p->fd[i] >= 0)
        close(p->fd[i]);
    if (p->state[i] == C_SENT)
        p->parked--;
    if (p->state[i] == C_CONNECTING)
        p->connecting--;
    p->fd[i] = -1;
    p->state[i] = C_IDLE;
}

static void slot_open(park *p, unsigned i)
{
    int fd = socket(p->addr->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    struct epoll_event ev = { .events = EPOLLOUT | EPOLLIN | EPOLLRDHUP, .data.u32 = i };
    if (fd < 0) {
        p->connect_errors++;
        return;
    }
    if (connect(fd, p->addr->ai_addr, p->addr->ai_addrlen) && errno != EINPROGRESS) {
        close(fd);
        p->connect_errors++;
        return;
    }
    p->fd[i] = fd;
    p->state[i] = C_CONNECTING;
    p->connecting++;
    p->opened++;
    epoll_ctl(p->ep, EPOLL_CTL_ADD, fd, &ev);
}

/* Writable after connect: send the long-poll. Readable: the answer came. */
static void slot_event(park *p, unsigned i, uint32_t events)
{
    char buf[512];
    if (p->state[i] == C_CONNECTING && (events & EPOLLOUT) && !(events & (EPOLLERR | EPOLLHUP))) {
        const char *rq = p->requests[i % p->n_requests];
        struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP, .data.u32 = i };
        if (send(p->fd[i], rq, strlen(rq), MSG_NOSIGNAL) != (ssize_t)strlen(rq)) {
            p->connect_errors++;
            slot_close(p, i);
            return;
        }
        epoll_ctl(p->ep, EPOLL_CTL_MOD, p->fd[i], &ev);
        p->connecting--;
        p->state[i] = C_SENT;
        p->parked++;
        return;
    }
    ssize_t n = recv(p->fd[i], buf, sizeof buf - 1, 0);
    int status = 0;
    if (n > 0) {
        buf[n] = 0;
        if (sscanf(buf, "HTTP/1.%*d %d", &status) == 1)
            p->by_status[status_kind(status)]++;
    } else if (p->state[i] == C_CONNECTING) {
        p->connect_errors++;
    } else {
        p->by_status[5]++; /* closed without an answer */
    }
    /* A long-poll that ended after its wait comes back at once; a refused one after
     * a pause, so the bench does not spin against a full server. */
    p->retry_at[i] = status / 100 == 2 ? 0 : bench_now() + 0.2;
    slot_close(p, i);
}

static void *park_main(void *arg)
{
    park *p = arg;
    struct epoll_event ev[256];
    unsigned next = 0;
    while (!p->stop) {
        /* Refill idle slots, a bounded number of connects at a time. */
        double now = bench_now();
        for (unsigned k = 0; k < p->target && p->connecting < CONNECTING_MAX &&
                             p->parked + p->connecting < p->target; k++) {
            unsigned i = next;
            next = (next + 1) % p->target;
            if (p->state[i] == C_IDLE && p->retry_at[i] <= now)
                slot_open(p, i);
        }
        int n = epoll_wait(p->ep, ev, 256, 20);
        for (int j = 0; j < n; j++)
            slot_event(p, ev[j].data.u32, ev[j].events);
    }
    for (unsigned i = 0; i < p->target; i++)
        slot_close(p, i);
    return NULL;
}

static mobid_err park_init(park *p, const vkit *k, unsigned n)
{
    char host[256], port[16] = "80", path[64 + 1];
    mobid_http_client *http = NULL;
    mobid_err err = MOBID_OK;
    memset(p, 0, sizeof *p);
    p->target = n;
    if (sscanf(k->url, "http://%255[^:/]:%15[0-9]", host, port) < 1)
        return MOBID_ERR_UNSUPPORTED; /* plain http only: the parked sockets speak it raw */
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM };
    if (getaddrinfo(host, port, &hints, &p->addr))
        return MOBID_ERR_FETCH_FAILED;
    p->n_requests = n < SESSIONS_SHARED ? n : SESSIONS_SHARED;
    p->requests = calloc(p->n_requests, sizeof *p->requests);
    p->state = calloc(n, 1);
    p->fd = malloc(n * sizeof *p->fd);
    p->retry_at = calloc(n, sizeof *p->retry_at);
    p->ep = epoll_create1(EPOLL_CLOEXEC);
    if (!p->requests || !p->state || !p->fd || !p->retry_at || p->ep < 0 || mobid_http_client_new(NULL, &http))
        err = MOBID_ERR_NOMEM;
    for (unsigned i = 0; p->fd && i < n; i++)
        p->fd[i] = -1;
    for (size_t i = 0; !err && i < p->n_requests; i++) {
        char *id = NULL, rq[1400];
        long status = 0;
        if ((err = vkit_create(k, http, &id, &status)))
            break;
        snprintf(path, sizeof path, "%.63s", id);
        snprintf(rq, sizeof rq,
                 "GET /api/v1/verifications/%s?wait=60 HTTP/1.1\r\nHost: %s:%s\r\n"
                 "Authorization: Bearer %s\r\nConnection: close\r\n\r\n",
                 path, host, port, k->api_key);
        free(id);
        if (!(p->requests[i] = strdup(rq)))
            err = MOBID_ERR_NOMEM;
    }
    mobid_http_client_free(http);
    return err;
}

static void park_free(park *p)
{
    for (size_t i = 0; p->requests && i < p->n_requests; i++)
        free(p->requests[i]);
    free(p->requests);
    free(p->state);
    free(p->fd);
    free(p->retry_at);
    if (p->ep > 0)
        close(p->ep);
    if (p->addr)
        freeaddrinfo(p->addr);
}

/* Descriptors: as many as allowed; the N long-polls need N plus a few. */
static unsigned raise_nofile(unsigned want)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl))
        return 0;
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
    unsigned room = rl.rlim_cur > 128 ? (unsigned)(rl.rlim_cur - 128) : 0;
    return want < room ? want : room;
}

/* VmRSS (or VmHWM) of pid in MB, 0 when unknown. */
static double rss_mb(pid_t pid, const char *field)
{
    char path[64], line[256];
    double kb = 0;
    snprintf(path, sizeof path, "/proc/%ld/status", (long)pid);
    FILE *f = pid > 0 ? fopen(path, "r") : NULL;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, field, strlen(field)))
            kb = strtod(line + strlen(field) + 1, NULL);
    if (f)
        fclose(f);
    return kb / 1024;
}

typedef struct sampler {
    double *healthz, *create, *loop;
    size_t n_health, n_loop, health_errors, errors;
} sampler;

/* One /healthz and one whole verification at a time, for seconds. */
static void sample(const vkit *k, double seconds, sampler *s)
{
    char url[300], code[64];
    vwallet w;
    double t[VK_STEPS];
    snprintf(url, sizeof url, "%s/healthz", k->url);
    if (vwallet_new(k, &w)) {
        s->errors++;
        return;
    }
    double end = bench_now() + seconds;
    while (bench_now() < end && s->n_loop < MAX_SAMPLES) {
        mobid_http_result r;
        double t0 = bench_now();
        mobid_err err = mobid_http_client_get(w.http, url, NULL, &r);
        if (err || r.status != 200)
            s->health_errors++;
        else
            s->healthz[s->n_health++] = bench_now() - t0;
        mobid_http_result_free(&r);
        if (vkit_loop(k, &w, t, code, sizeof code)) {
            s->errors++;
            usleep(10 * 1000); /* a refusing server is not hammered */
            continue;
        }
        s->create[s->n_loop] = t[VK_CREATE];
        s->loop[s->n_loop] = 0;
        for (int i = 0; i < VK_STEPS; i++)
            s->loop[s->n_loop] += t[i];
        s->n_loop++;
    }
    vwallet_free(&w);
}

typedef struct pending_run {
    vkit k;
    unsigned sessions;
    double seconds;
    pid_t pid;
    bool json;
} pending_run;

static void report(const pending_run *r, park *p, sampler *s, unsigned parked_at_start,
                   unsigned parked_at_end, double rss, double hwm)
{
    static const char *const kinds[STATUS_KINDS] = { "2xx", "4xx", "408", "429", "503", "other" };
    json_t *st = json_object();
    for (int i = 0; i < STATUS_KINDS; i++)
        if (p->by_status[i])
            json_object_set_new(st, kinds[i], json_integer((json_int_t)p->by_status[i]));
    json_t *o = json_pack("{s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:o,s:o,s:o,s:o,s:I,s:I}", "bench",
                          "pending", "target", r->k.o.target ? r->k.o.target : "child",
                          "sessions", (json_int_t)r->sessions, "parked_at_start",
                          (json_int_t)parked_at_start, "parked_at_end", (json_int_t)parked_at_end,
                          "opened", (json_int_t)p->opened, "connect_errors",
                          (json_int_t)p->connect_errors, "answers_by_status", st, "healthz_ms",
                          vk_pcts(s->healthz, s->n_health), "create_ms",
                          vk_pcts(s->create, s->n_loop), "verification_ms",
                          vk_pcts(s->loop, s->n_loop), "verifications", (json_int_t)s->n_loop,
                          "verification_errors", (json_int_t)s->errors);
    if (o)
        json_object_set_new(o, "healthz_errors", json_integer((json_int_t)s->health_errors));
    if (o && rss > 0) {
        json_object_set_new(o, "server_rss_mb", json_real(rss));
        json_object_set_new(o, "server_rss_peak_mb", json_real(hwm));
    }
    if (r->json) {
        cli_print_json(o);
    } else if (o) {
        printf("pending: %u long-polls asked, %u parked at the start, %u at the end\n",
               r->sessions, parked_at_start, parked_at_end);
        const char *names[] = { "healthz_ms", "create_ms", "verification_ms" };
        for (int i = 0; i < 3; i++) {
            const json_t *q = json_object_get(o, names[i]);
            printf("  %-16s p50 %8.2f  p95 %8.2f  p99 %8.2f\n", names[i],
                   json_number_value(json_object_get(q, "p50")),
                   json_number_value(json_object_get(q, "p95")),
                   json_number_value(json_object_get(q, "p99")));
        }
        printf("  %zu verifications, %zu failed; %zu /healthz failed; server RSS %.1f MB (peak "
               "%.1f MB)\n", s->n_loop, s->errors, s->health_errors, rss, hwm);
    }
    json_decref(o);
}

/* Park, wait until all are parked (or progress stops), sample, report. */
static mobid_err measure(pending_run *r)
{
    park p;
    pthread_t th;
    sampler s = { 0 };
    mobid_err err = park_init(&p, &r->k, r->sessions);
    s.healthz = malloc(MAX_SAMPLES * sizeof(double));
    s.create = malloc(MAX_SAMPLES * sizeof(double));
    s.loop = malloc(MAX_SAMPLES * sizeof(double));
    if (!err && (!s.healthz || !s.create || !s.loop || pthread_create(&th, NULL, park_main, &p)))
        err = MOBID_ERR_NOMEM;
    if (!err) {
        unsigned last = 0;
        double still = bench_now();
        while (p.parked < r->sessions && bench_now() - still < 10) {
            usleep(50 * 1000);
            if (p.parked != last) {
                last = p.parked;
                still = bench_now();
            }
        }
        unsigned at_start = p.parked;
        sample(&r->k, r->seconds, &s);
        double rss = rss_mb(r->pid, "VmRSS:"), hwm = rss_mb(r->pid, "VmHWM:");
        unsigned at_end = p.parked;
        p.stop = true;
        pthread_join(th, NULL);
        report(r, &p, &s, at_start, at_end, rss, hwm);
    }
    park_free(&p);
    free(s.healthz);
    free(s.create);
    free(s.loop);
    return err;
}

static const char usage[] =
    "usage: mobid bench pending --sessions N [--seconds S] [--target http://HOST:PORT\n"
    "                           --api-key KEY --wallet-roots DIR [--pid PID]] [--json]\n"
    "\n"
    "Parks N long-polls on the verifier (a child `mobid verifier serve` unless --target)\n"
    "and meanwhile measures /healthz, session creation and whole verifications for S\n"
    "seconds (default 10). --pid: the target's process, for its resident memory.\n";

static int run_pending(int argc, char **argv)
{
    static const struct option opts[] = {
        { "sessions", 1, 0, 'n' }, { "seconds", 1, 0, 's' }, { "target", 1, 0, 't' },
        { "api-key", 1, 0, 'k' },  { "wallet-roots", 1, 0, 'r' }, { "pid", 1, 0, 'p' },
        { "json", 0, 0, 'j' },     { "help", 0, 0, 'h' },    { 0, 0, 0, 0 } };
    pending_run r = { .seconds = 10 };
    vkit_opts o = { .encrypted = true, .child = true, .vct = "urn:mobid:kr:resident_card:1",
                    .doctype = "kr.go.mois.resident.1", .ns = "kr.go.mois.resident.1" };
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 'n': r.sessions = (unsigned)strtoul(optarg, NULL, 10); break;
        case 's': r.seconds = strtod(optarg, NULL); break;
        case 't': o.target = optarg; break;
        case 'k': o.api_key = optarg; break;
        case 'r': o.roots_dir = optarg; break;
        case 'p': r.pid = (pid_t)strtol(optarg, NULL, 10); break;
        case 'j': r.json = true; break;
        case 'h': fputs(usage, stdout); return CLI_EXIT_OK;
        default: return cli_usage_error(usage, "unknown option");
        }
    }
    if (optind < argc || !r.sessions || r.sessions > 1000000 || !(r.seconds > 0))
        return cli_usage_error(usage, "--sessions is 1..1000000 and --seconds above 0");
    if (o.target && (!o.api_key || !o.roots_dir))
        return cli_usage_error(usage, "--target needs --api-key and --wallet-roots");
    unsigned room = raise_nofile(r.sessions);
    if (room < r.sessions) {
        fprintf(stderr, "mobid bench pending: the descriptor limit allows %u long-polls\n", room);
        r.sessions = room;
    }
    mobid_err err = vkit_start(&r.k, &o);
    if (!err && !o.target)
        r.pid = r.k.child;
    if (!err)
        err = measure(&r);
    vkit_stop(&r.k);
    return err ? cli_fail(r.json, err, "pending benchmark failed") : CLI_EXIT_OK;
}

MOBID_BENCH(pending, "pending",
            "N parked long-polls; meanwhile /healthz, creation and verification p50/p99, RSS",
            run_pending)
