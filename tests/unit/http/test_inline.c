/* src/http: routes marked MOBID_HTTP_INLINE run on the event thread. An inline route
 * answers while every worker is held; an unmarked route still runs on a worker; an
 * inline handler that parks is parked, and woken, timed out, answered at stop or freed
 * when its client goes away like any other (its resume function runs on a worker);
 * stop lets an inline handler in progress finish. Each handler answers with the name
 * of the thread it ran on. No timing is asserted: only that answers come. */
#include "http_fixture.h"

#include <pthread.h>
#include <stdio.h>
#include <sys/prctl.h>

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
    hold_until_released();
    return answer_where(resp, "done on");
}

static mobid_err resumed(mobid_http_req *req, mobid_http_resp *resp, void *ctx,
                         mobid_http_wake why)
{
    return answer_where(resp, why == MOBID_HTTP_WOKEN       ? "woken on"
                              : why == MOBID_HTTP_TIMED_OUT ? "timeout on"
                                                            : "stopping on");
}

/* GET /iwait/{key}?t=SECONDS[&early=1], inline: see park_on_key. */
static mobid_err on_wait(mobid_http_req *req, mobid_http_resp *resp, void *ctx)
{
    return park_on_key(req, resumed);
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
    return send_raw(s, text);
}

/* The answer on fd, read until the server closes; closes fd. */
static void read_answer(int fd, mobid_buf *out)
{
    read_all(fd, out);
    close(fd);
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

/* Both workers held in /block: inline routes (and /healthz) still answer, from an
 * event thread; a worker route waits, then answers from a worker. */
static void test_inline_while_workers_blocked(void **state)
{
    mobid_http_server *s = start(2);
    atomic_store(&release_block, false);
    int held[2] = { send_get(s, "/block"), send_get(s, "/block") };
    wait_blocking(2);
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
    for (int i = 0; i < 12000 && atomic_load(&freed_hooks) != 9; i++)
        pause_ms(5);
    assert_int_equal(atomic_load(&freed_hooks), 9);

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
    wait_blocking(1);
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
