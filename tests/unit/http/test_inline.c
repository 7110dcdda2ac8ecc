/* src/http: routes marked MOBID_HTTP_INLINE run on the event thread. An inline route
 * answers while every worker is held; an unmarked route still runs on a worker; an
 * inline handler that parks is parked, and woken, timed out, answered at stop or freed
 * when its client goes away like any other (its resume function runs on a worker);
 * stop lets an inline handler in progress finish. Each handler answers with the name
 * of the thread it ran on. No timing is asserted: only that answers come. */
#include "testutil.h"
#include "http/client.h"
#include "http/server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static atomic_int blocking; /* handlers inside /block or /iblock */
static atomic_bool release_block;
static atomic_int freed_hooks;

static void pause_ms(long ms)
{
    struct timespec d = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&d, NULL);
}

/* "PREFIX thread-name": where a handler or resume function ran. */
static mobid_err answer_where(mobid_http_resp *resp, const char *prefix)
{
    char name[17] = { 0 }, text[64];
    (void)prctl(PR_GET_NAME, name);
    snprintf(text, sizeof text, "%s %s", prefix, name);
    return mobid_http_resp_text(resp, 200, text);
}

static mobid_err on_where(mobid_http_req *req, mobid_http_resp *resp, void *ctx)
{
    return answer_where(resp, "ran on");
}

static mobid_err on_block(mobid_http_req *req, mobid_http_resp *resp, void *ctx)
{
    atomic_fetch_add(&blocking, 1);
    while (!atomic_load(&release_block))
        pause_ms(5);
    atomic_fetch_sub(&blocking, 1);
    return answer_where(resp, "done on");
}

static void on_freed(void *ctx)
{
    atomic_fetch_add(&freed_hooks, 1);
}

static mobid_err resumed(mobid_http_req *req, mobid_http_resp *resp, void *ctx,
                         mobid_http_wake why)
{
    return answer_where(resp, why == MOBID_HTTP_WOKEN       ? "woken on"
                              : why == MOBID_HTTP_TIMED_OUT ? "timeout on"
                                                            : "stopping on");
}

/* GET /iwait/{key}?t=SECONDS[&early=1], inline: park on key; early=1 wakes the key
 * between watching and parking. */
static mobid_err on_wait(mobid_http_req *req, mobid_http_resp *resp, void *ctx)
{
    const char *key = mobid_http_req_param(req, "key");
    const char *t = mobid_http_req_query(req, "t");
    mobid_err err = mobid_http_req_watch(req, key);
    if (!err && mobid_http_req_query(req, "early"))
        mobid_http_server_wake(mobid_http_req_server(req), key);
    if (!err)
        err = mobid_http_req_on_free(req, on_freed, NULL);
    if (!err)
        err = mobid_http_req_park(req, t ? atof(t) : 60, resumed, NULL);
    return err;
}

static mobid_http_server *start(unsigned workers)
{
    mobid_http_server *s = NULL;
    mobid_http_config cfg = { .name = "test", .listen = "127.0.0.1:0", .workers = workers };
    assert_int_equal(mobid_http_server_new(&cfg, &s), MOBID_OK);
    assert_int_equal(mobid_http_route(s, "GET", "/block", on_block, NULL), MOBID_OK);
    assert_int_equal(mobid_http_route(s, "GET", "/where", on_where, NULL), MOBID_OK);
    assert_int_equal(mobid_http_route_flags(s, "GET", "/iwhere", on_where, NULL, MOBID_HTTP_INLINE),
                     MOBID_OK);
    assert_int_equal(mobid_http_route_flags(s, "GET", "/iblock", on_block, NULL, MOBID_HTTP_INLINE),
                     MOBID_OK);
    assert_int_equal(mobid_http_route_flags(s, "GET", "/iwait/{key}", on_wait, NULL,
                                            MOBID_HTTP_INLINE),
                     MOBID_OK);
    assert_int_equal(mobid_http_route_flags(s, "GET", "/bad", on_where, NULL, 2),
                     MOBID_ERR_INVALID_ARG);
    assert_int_equal(mobid_http_server_start(s), MOBID_OK);
    assert_int_equal(mobid_http_route_flags(s, "GET", "/late", on_where, NULL, MOBID_HTTP_INLINE),
                     MOBID_ERR_INVALID_ARG); /* only before start */
    return s;
}

/* Open a connection and send a GET of path on it (no response read). */
static int send_get(mobid_http_server *s, const char *path)
{
    char text[256];
    snprintf(text, sizeof text, "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", path);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(mobid_http_server_port(s)) };
    inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
    assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof sin), 0);
    assert_int_equal(send(fd, text, strlen(text), MSG_NOSIGNAL), (ssize_t)strlen(text));
    return fd;
}

/* The body of the answer on fd, read until the server closes (60 s at most: a hang
 * fails the test, slowness does not). Closes fd. */
static void read_answer(int fd, mobid_buf *out)
{
    char chunk[4096];
    mobid_buf_init(out, 0);
    for (int waited = 0; waited < 60000;) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        if (poll(&p, 1, 100) == 0) {
            waited += 100;
            continue;
        }
        ssize_t got = recv(fd, chunk, sizeof chunk, 0);
        if (got <= 0) {
            mobid_buf_terminate(out);
            close(fd);
            return;
        }
        mobid_buf_append(out, chunk, (size_t)got);
    }
    fail_msg("the server neither answered nor closed the connection");
}

static void expect_answer(int fd, const char *text)
{
    mobid_buf out;
    read_answer(fd, &out);
    assert_non_null(strstr((const char *)out.ptr, "200 OK"));
    const char *body = strstr((const char *)out.ptr, "\r\n\r\n");
    assert_non_null(body);
    assert_string_equal(body + 4, text);
    mobid_buf_free(&out);
}

/* The body names a thread other than a worker. */
static void expect_inline(int fd, const char *prefix)
{
    mobid_buf out;
    read_answer(fd, &out);
    const char *body = strstr((const char *)out.ptr, "\r\n\r\n");
    assert_non_null(body);
    assert_true(!strncmp(body + 4, prefix, strlen(prefix)));
    assert_null(strstr(body, "http-worker"));
    mobid_buf_free(&out);
}

static void wait_for(atomic_int *v, int n)
{
    for (int i = 0; i < 12000 && atomic_load(v) != n; i++)
        pause_ms(5);
    assert_int_equal(atomic_load(v), n);
}

static void wait_parked(mobid_http_server *s, size_t n)
{
    for (int i = 0; i < 12000 && mobid_http_server_parked(s) != n; i++)
        pause_ms(5);
    assert_int_equal(mobid_http_server_parked(s), n);
}

/* Both workers held in /block: inline routes (and /healthz) still answer, from an
 * event thread; a worker route waits, then answers from a worker. */
static void test_inline_while_workers_blocked(void **state)
{
    mobid_http_server *s = start(2);
    atomic_store(&release_block, false);
    int held[2] = { send_get(s, "/block"), send_get(s, "/block") };
    wait_for(&blocking, 2);
    int queued = send_get(s, "/where");
    for (int i = 0; i < 5; i++)
        expect_inline(send_get(s, "/iwhere"), "ran on ");
    expect_inline(send_get(s, "/healthz"), "{");
    atomic_store(&release_block, true);
    expect_answer(held[0], "done on http-worker");
    expect_answer(held[1], "done on http-worker");
    expect_answer(queued, "ran on http-worker");
    expect_answer(send_get(s, "/where"), "ran on http-worker");
    mobid_http_server_free(s);
}

/* An inline handler that parks: woken by key (resumed on a worker), a wake between
 * watch and park not lost, a timeout, a client that hangs up, and stop. */
static void test_inline_park(void **state)
{
    mobid_http_server *s = start(2);
    atomic_store(&freed_hooks, 0);
    int fds[6];
    for (int i = 0; i < 6; i++)
        fds[i] = send_get(s, "/iwait/a");
    wait_parked(s, 6);
    expect_inline(send_get(s, "/iwhere"), "ran on "); /* parked requests hold no thread */
    mobid_http_server_wake(s, "other");
    assert_int_equal(mobid_http_server_parked(s), 6);
    mobid_http_server_wake(s, "a");
    for (int i = 0; i < 6; i++)
        expect_answer(fds[i], "woken on http-worker");
    wait_parked(s, 0);
    expect_answer(send_get(s, "/iwait/b?t=60&early=1"), "woken on http-worker");
    expect_answer(send_get(s, "/iwait/c?t=0.2"), "timeout on http-worker");

    int gone = send_get(s, "/iwait/d");
    wait_parked(s, 1);
    close(gone); /* freed without a wake */
    wait_parked(s, 0);
    wait_for(&freed_hooks, 9);

    int last = send_get(s, "/iwait/e");
    wait_parked(s, 1);
    mobid_http_server_stop(s);
    expect_answer(last, "stopping on http-worker");
    mobid_http_server_free(s);
    assert_int_equal(atomic_load(&freed_hooks), 10);
}

static void *stop_server(void *arg)
{
    mobid_http_server_stop(arg);
    return NULL;
}

/* Stop while an inline handler runs: it finishes and its answer is sent. */
static void test_inline_drain(void **state)
{
    mobid_http_server *s = start(1);
    pthread_t stopper;
    atomic_store(&release_block, false);
    int fd = send_get(s, "/iblock");
    wait_for(&blocking, 1);
    assert_int_equal(pthread_create(&stopper, NULL, stop_server, s), 0);
    for (int i = 0; i < 12000 && !mobid_http_server_stopping(s); i++)
        pause_ms(5);
    assert_true(mobid_http_server_stopping(s));
    atomic_store(&release_block, true);
    expect_inline(fd, "done on ");
    pthread_join(stopper, NULL);
    mobid_http_server_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inline_while_workers_blocked),
        cmocka_unit_test(test_inline_park),
        cmocka_unit_test(test_inline_drain),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
