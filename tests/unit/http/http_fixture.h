/* Shared by the server tests that talk raw HTTP to a server on 127.0.0.1: a parking
 * handler, a handler that holds its thread until released, connecting, sending and
 * reading without a client library, and waiting for the lot to reach a size. No
 * timing is asserted: a wait gives up after 60 s, which fails the test. */
#ifndef MOBID_HTTP_FIXTURE_H
#define MOBID_HTTP_FIXTURE_H

#include "testutil.h"
#include "http/server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static atomic_int freed_hooks; /* requests freed that had on_freed as a hook */
static atomic_int blocking;    /* handlers inside hold_until_released */
static atomic_bool release_block;

static inline void pause_ms(long ms)
{
    struct timespec d = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&d, NULL);
}

static inline void on_freed(void *ctx)
{
    atomic_fetch_add(&freed_hooks, 1);
}

/* Park req on its {key} for ?t= seconds (default 60), to be resumed with fn;
 * ?early=1 wakes the key between watching and parking, as a verification finishing
 * meanwhile would. */
static inline mobid_err park_on_key(mobid_http_req *req, mobid_http_resume fn)
{
    const char *key = mobid_http_req_param(req, "key");
    const char *t = mobid_http_req_query(req, "t");
    mobid_err err = mobid_http_req_watch(req, key);
    if (!err && mobid_http_req_query(req, "early"))
        mobid_http_server_wake(mobid_http_req_server(req), key);
    if (!err)
        err = mobid_http_req_on_free(req, on_freed, NULL);
    if (!err)
        err = mobid_http_req_park(req, t ? atof(t) : 60, fn, NULL);
    return err;
}

/* Hold the calling thread until release_block is set. */
static inline void hold_until_released(void)
{
    atomic_fetch_add(&blocking, 1);
    while (!atomic_load(&release_block))
        pause_ms(5);
    atomic_fetch_sub(&blocking, 1);
}

static inline void wait_blocking(int n)
{
    for (int i = 0; i < 12000 && atomic_load(&blocking) != n; i++)
        pause_ms(5);
    assert_int_equal(atomic_load(&blocking), n);
}

static inline void wait_parked(mobid_http_server *s, size_t n)
{
    for (int i = 0; i < 12000 && mobid_http_server_parked(s) != n; i++)
        pause_ms(5);
    assert_int_equal(mobid_http_server_parked(s), n);
}

static inline int connect_to(mobid_http_server *s)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(mobid_http_server_port(s)) };
    inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
    assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof sin), 0);
    return fd;
}

/* Open a connection and send text on it (no response read). */
static inline int send_raw(mobid_http_server *s, const char *text)
{
    int fd = connect_to(s);
    assert_int_equal(send(fd, text, strlen(text), MSG_NOSIGNAL), (ssize_t)strlen(text));
    return fd;
}

/* Read until the peer closes or 60 s pass (a hang fails the test, slowness does not). */
static inline void read_all(int fd, mobid_buf *out)
{
    char chunk[4096];
    mobid_buf_init(out, 0);
    for (int waited = 0; waited < 60000;) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        int n = poll(&p, 1, 100);
        if (n == 0) {
            waited += 100;
            continue;
        }
        ssize_t got = recv(fd, chunk, sizeof chunk, 0);
        if (got <= 0) {
            mobid_buf_terminate(out);
            return;
        }
        mobid_buf_append(out, chunk, (size_t)got);
    }
    fail_msg("the server neither answered nor closed the connection");
}

#endif
