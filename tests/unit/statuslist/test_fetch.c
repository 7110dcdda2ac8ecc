/* lib/statuslist fetcher: file:// URLs, local paths, offline mappings and HTTP
 * from a tiny server on 127.0.0.1 (a random port) run by this test; the cache
 * honours ttl and exp and stays within its bounds. */
#include "testutil.h"

#include <mobid/statuslist.h>
#include "http/resource.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* The fetcher with mobid's own transport (libcurl, src/http/resource.c). */
static const mobid_statuslist_fetch_opts NET = { .get = mobid_http_statuslist_get };

#define T0 ((mobid_time)1750000000)

/* ------------------------------------------------------------ the server */

#define MAX_ROUTES 4

typedef struct server {
    int fd;
    int port;
    pthread_t thread;
    pthread_mutex_t lock;
    int requests;
    char last_accept[256];
    struct {
        char path[64];
        mobid_buf body;
        bool hang; /* accept and say nothing for 2 s */
    } routes[MAX_ROUTES];
    int n_routes;
} server;

static server srv;

static void header_value(const char *req, const char *name, char *out, size_t n)
{
    out[0] = 0;
    const char *p = strstr(req, name);
    if (!p)
        return;
    p += strlen(name);
    const char *e = strstr(p, "\r\n");
    size_t len = e ? (size_t)(e - p) : strlen(p);
    snprintf(out, n, "%.*s", (int)len, p);
}

static void serve_one(int c)
{
    char req[4096] = "";
    size_t len = 0;
    while (len < sizeof req - 1 && !strstr(req, "\r\n\r\n")) {
        ssize_t r = read(c, req + len, sizeof req - 1 - len);
        if (r <= 0)
            break;
        len += (size_t)r;
        req[len] = 0;
    }
    req[len] = 0;
    char path[64] = "";
    sscanf(req, "GET %63s", path);
    pthread_mutex_lock(&srv.lock);
    srv.requests++;
    header_value(req, "\r\nAccept: ", srv.last_accept, sizeof srv.last_accept);
    pthread_mutex_unlock(&srv.lock);
    for (int i = 0; i < srv.n_routes; i++) {
        if (strcmp(path, srv.routes[i].path))
            continue;
        if (srv.routes[i].hang) {
            sleep(2);
            return;
        }
        char head[160];
        int n = snprintf(head, sizeof head,
                         "HTTP/1.1 200 OK\r\nContent-Type: application/statuslist+jwt\r\n"
                         "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                         srv.routes[i].body.len);
        if (write(c, head, (size_t)n) < 0 ||
            write(c, srv.routes[i].body.ptr, srv.routes[i].body.len) < 0)
            return;
        return;
    }
    const char *nf = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    if (write(c, nf, strlen(nf)) < 0)
        return;
}

static void *serve(void *arg)
{
    (void)arg;
    for (;;) {
        int c = accept(srv.fd, NULL, NULL);
        if (c < 0)
            return NULL; /* the socket was shut down */
        serve_one(c);
        close(c);
    }
}

static void server_start(void)
{
    srv.fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(srv.fd >= 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = 0 };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(srv.fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(srv.fd, 16), 0);
    socklen_t al = sizeof a;
    assert_int_equal(getsockname(srv.fd, (struct sockaddr *)&a, &al), 0);
    srv.port = ntohs(a.sin_port);
    pthread_mutex_init(&srv.lock, NULL);
    assert_int_equal(pthread_create(&srv.thread, NULL, serve, NULL), 0);
}

static void server_stop(void)
{
    shutdown(srv.fd, SHUT_RDWR);
    close(srv.fd);
    pthread_join(srv.thread, NULL);
    for (int i = 0; i < srv.n_routes; i++)
        mobid_buf_free(&srv.routes[i].body);
    pthread_mutex_destroy(&srv.lock);
}

static int requests(void)
{
    pthread_mutex_lock(&srv.lock);
    int n = srv.requests;
    pthread_mutex_unlock(&srv.lock);
    return n;
}

/* --------------------------------------------------------------- fixtures */

static mobid_key *root_key, *signer_key;
static mobid_cert *root, *signer;
static mobid_trust *trust;

static void url_of(const char *path, char *out, size_t n)
{
    snprintf(out, n, "http://127.0.0.1:%d%s", srv.port, path);
}

/* A JWT for uri, iat T0, with the given exp (0 none) and ttl (0 none); entry 5
 * is SUSPENDED. */
static void make_token(const char *uri, mobid_time exp, uint64_t ttl, mobid_buf *out)
{
    mobid_statuslist *l = NULL;
    assert_int_equal(mobid_statuslist_new(2, 64, &l), MOBID_OK);
    assert_int_equal(mobid_statuslist_set(l, 5, MOBID_STATUS_SUSPENDED), MOBID_OK);
    mobid_cert *chain[1] = { signer };
    mobid_statuslist_sign_params sp = { .format = MOBID_STATUSLIST_JWT, .key = signer_key,
                                        .chain = chain, .chain_len = 1, .uri = uri, .iat = T0,
                                        .exp = exp, .ttl = ttl };
    mobid_buf_init(out, 0);
    assert_int_equal(mobid_statuslist_token_sign(l, &sp, out), MOBID_OK);
    mobid_statuslist_free(l);
}

static void add_route(const char *path, mobid_time exp, uint64_t ttl, bool hang)
{
    int i = srv.n_routes++;
    assert_true(i < MAX_ROUTES);
    snprintf(srv.routes[i].path, sizeof srv.routes[i].path, "%s", path);
    srv.routes[i].hang = hang;
    char uri[128];
    url_of(path, uri, sizeof uri);
    make_token(uri, exp, ttl, &srv.routes[i].body);
}

static int setup(void **state)
{
    (void)state;
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &root_key), MOBID_OK);
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &signer_key), MOBID_OK);
    mobid_cert_spec rs = { .subject_cn = "Root", .not_before = T0 - 86400,
                           .not_after = T0 + 86400 * 3650, .is_ca = true, .path_len = 0 };
    mobid_cert_spec ls = { .subject_cn = "Signer", .not_before = T0 - 86400,
                           .not_after = T0 + 86400 * 365, .purpose = MOBID_PURPOSE_SIGNING,
                           .path_len = -1 };
    assert_int_equal(mobid_cert_issue(&rs, root_key, root_key, NULL, &root), MOBID_OK);
    assert_int_equal(mobid_cert_issue(&ls, signer_key, root_key, root, &signer), MOBID_OK);
    assert_int_equal(mobid_trust_new(&trust), MOBID_OK);
    assert_int_equal(mobid_trust_add(trust, root), MOBID_OK);
    server_start();
    add_route("/sl/a", T0 + 100, 3600, false); /* exp comes before ttl runs out */
    add_route("/sl/b", 0, 600, false);
    add_route("/sl/c", 0, 0, false);
    add_route("/sl/slow", 0, 0, true);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    server_stop();
    mobid_trust_free(trust);
    mobid_cert_free(root);
    mobid_cert_free(signer);
    mobid_key_free(root_key);
    mobid_key_free(signer_key);
    return 0;
}

/* ------------------------------------------------------------------ tests */

static void test_http_cache_ttl(void **state)
{
    (void)state;
    mobid_statuslist_fetcher *f = NULL;
    assert_int_equal(mobid_statuslist_fetcher_new(trust, &NET, &f), MOBID_OK);
    char uri[128];
    url_of("/sl/b", uri, sizeof uri);
    int before = requests();
    mobid_status_ref ref = { 5, uri };
    unsigned v = 0;
    assert_int_equal(mobid_statuslist_check(f, &ref, T0, &v), MOBID_OK);
    assert_int_equal(v, MOBID_STATUS_SUSPENDED);
    assert_int_equal(requests(), before + 1);
    assert_non_null(strstr(srv.last_accept, "application/statuslist+jwt"));
    /* Within ttl (600 s): served from the cache. */
    ref.idx = 4;
    assert_int_equal(mobid_statuslist_check(f, &ref, T0 + 599, &v), MOBID_OK);
    assert_int_equal(v, MOBID_STATUS_VALID);
    assert_int_equal(requests(), before + 1);
    /* ttl over: fetched again. */
    assert_int_equal(mobid_statuslist_check(f, &ref, T0 + 600, &v), MOBID_OK);
    assert_int_equal(requests(), before + 2);
    ref.idx = 64;
    assert_int_equal(mobid_statuslist_check(f, &ref, T0 + 601, &v),
                     MOBID_ERR_STATUS_INDEX_OUT_OF_RANGE);
    mobid_statuslist_cache_stats st;
    mobid_statuslist_fetcher_stats(f, &st);
    assert_int_equal(st.hits, 2);
    assert_int_equal(st.misses, 2);
    assert_int_equal(st.entries, 1);
    mobid_statuslist_fetcher_free(f);
}

/* exp (T0 + 100) ends caching before ttl (3600 s) would. */
static void test_http_cache_exp(void **state)
{
    (void)state;
    mobid_statuslist_fetcher *f = NULL;
    assert_int_equal(mobid_statuslist_fetcher_new(trust, &NET, &f), MOBID_OK);
    char uri[128];
    url_of("/sl/a", uri, sizeof uri);
    const mobid_statuslist_token *t = NULL;
    int before = requests();
    assert_int_equal(mobid_statuslist_fetch(f, uri, T0, &t), MOBID_OK);
    assert_int_equal(t->ttl, 3600);
    assert_int_equal(mobid_statuslist_fetch(f, uri, T0 + 99, &t), MOBID_OK);
    assert_int_equal(requests(), before + 1);
    /* At exp the cached copy is stale and the server's copy has expired too. */
    assert_int_equal(mobid_statuslist_fetch(f, uri, T0 + 100, &t), MOBID_ERR_EXPIRED);
    assert_int_equal(requests(), before + 2);
    mobid_statuslist_fetcher_free(f);
}

static void test_http_errors(void **state)
{
    (void)state;
    mobid_statuslist_fetch_opts o = { .timeout_ms = 300, .max_response = 200, .get = mobid_http_statuslist_get };
    mobid_statuslist_fetcher *f = NULL;
    assert_int_equal(mobid_statuslist_fetcher_new(trust, &o, &f), MOBID_OK);
    char uri[128];
    const mobid_statuslist_token *t = NULL;
    url_of("/nothing", uri, sizeof uri);
    assert_int_equal(mobid_statuslist_fetch(f, uri, T0, &t), MOBID_ERR_FETCH_FAILED);
    url_of("/sl/b", uri, sizeof uri);
    assert_int_equal(mobid_statuslist_fetch(f, uri, T0, &t), MOBID_ERR_TOO_BIG);
    url_of("/sl/slow", uri, sizeof uri);
    assert_int_equal(mobid_statuslist_fetch(f, uri, T0, &t), MOBID_ERR_FETCH_FAILED);
    assert_int_equal(mobid_statuslist_fetch(f, "ftp://127.0.0.1/x", T0, &t),
                     MOBID_ERR_FETCH_FAILED);
    assert_int_equal(mobid_statuslist_fetch(f, "gopher://127.0.0.1/x", T0, &t),
                     MOBID_ERR_FETCH_FAILED);
    assert_null(t);
    mobid_statuslist_fetcher_free(f);
}

/* Two entries at most: the least recently used one goes. */
static void test_cache_bounds(void **state)
{
    (void)state;
    mobid_statuslist_fetch_opts o = { .cache_max_entries = 2, .get = mobid_http_statuslist_get };
    mobid_statuslist_fetcher *f = NULL;
    assert_int_equal(mobid_statuslist_fetcher_new(trust, &o, &f), MOBID_OK);
    char a[128], b[128], c[128];
    url_of("/sl/a", a, sizeof a);
    url_of("/sl/b", b, sizeof b);
    url_of("/sl/c", c, sizeof c);
    const mobid_statuslist_token *t = NULL;
    assert_int_equal(mobid_statuslist_fetch(f, a, T0, &t), MOBID_OK);
    assert_int_equal(mobid_statuslist_fetch(f, b, T0, &t), MOBID_OK);
    assert_int_equal(mobid_statuslist_fetch(f, a, T0 + 1, &t), MOBID_OK); /* a is recent */
    assert_int_equal(mobid_statuslist_fetch(f, c, T0 + 2, &t), MOBID_OK); /* evicts b */
    mobid_statuslist_cache_stats st;
    mobid_statuslist_fetcher_stats(f, &st);
    assert_int_equal(st.entries, 2);
    assert_int_equal(st.evictions, 1);
    int before = requests();
    assert_int_equal(mobid_statuslist_fetch(f, a, T0 + 3, &t), MOBID_OK);
    assert_int_equal(requests(), before);
    assert_int_equal(mobid_statuslist_fetch(f, b, T0 + 3, &t), MOBID_OK);
    assert_int_equal(requests(), before + 1);
    mobid_statuslist_fetcher_free(f);

    /* A byte budget smaller than any token: nothing is cached, results still lent. */
    mobid_statuslist_fetch_opts tiny = { .cache_max_bytes = 16, .get = mobid_http_statuslist_get };
    assert_int_equal(mobid_statuslist_fetcher_new(trust, &tiny, &f), MOBID_OK);
    assert_int_equal(mobid_statuslist_fetch(f, c, T0, &t), MOBID_OK);
    assert_string_equal(t->sub, c);
    mobid_statuslist_fetcher_stats(f, &st);
    assert_int_equal(st.entries, 0);
    mobid_statuslist_fetcher_free(f);
}

/* Offline: a file: URL, a plain path, and a mapping of the real URI to a file. */
static void test_local_files(void **state)
{
    (void)state;
    const char *uri = "https://issuer.example/statuslists/1";
    mobid_buf tok;
    make_token(uri, 0, 0, &tok);
    char path[] = "/tmp/mobid-statuslist-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, tok.ptr, tok.len), (ssize_t)tok.len);
    close(fd);
    char url[128];
    snprintf(url, sizeof url, "file://%s", path);
    mobid_statuslist_fetcher *f = NULL;
    assert_int_equal(mobid_statuslist_fetcher_new(trust, &NET, &f), MOBID_OK);
    const mobid_statuslist_token *t = NULL;
    assert_int_equal(mobid_statuslist_fetch(f, url, T0, &t), MOBID_OK);
    assert_string_equal(t->sub, uri);
    assert_int_equal(mobid_statuslist_fetch(f, path, T0, &t), MOBID_OK);
    /* Mapped: the subject is compared with the URI asked for. */
    assert_int_equal(mobid_statuslist_fetcher_map(f, uri, path), MOBID_OK);
    assert_int_equal(mobid_statuslist_fetcher_map(f, "https://issuer.example/other", url),
                     MOBID_OK);
    mobid_status_ref ref = { 5, (char *)uri };
    unsigned v = 0;
    assert_int_equal(mobid_statuslist_check(f, &ref, T0, &v), MOBID_OK);
    assert_int_equal(v, MOBID_STATUS_SUSPENDED);
    assert_int_equal(mobid_statuslist_fetch(f, "https://issuer.example/other", T0, &t),
                     MOBID_ERR_SUBJECT_MISMATCH);
    /* A credential's reference may not point at a local file. */
    mobid_status_ref local = { 5, url };
    assert_int_equal(mobid_statuslist_check(f, &local, T0, &v), MOBID_ERR_FETCH_FAILED);
    local.uri = path;
    assert_int_equal(mobid_statuslist_check(f, &local, T0, &v), MOBID_ERR_FETCH_FAILED);
    assert_int_equal(mobid_statuslist_fetch(f, "/nonexistent/mobid/list", T0, &t),
                     MOBID_ERR_FETCH_FAILED);
    mobid_statuslist_fetcher_free(f);
    unlink(path);
    mobid_buf_free(&tok);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http_cache_ttl),
        cmocka_unit_test(test_http_cache_exp),
        cmocka_unit_test(test_http_errors),
        cmocka_unit_test(test_cache_bounds),
        cmocka_unit_test(test_local_files),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
