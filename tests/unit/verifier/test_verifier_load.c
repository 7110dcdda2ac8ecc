/*
 * The verifier under floods, at small sizes: creations beyond the party's
 * session_rate get 429 with Retry-After; many parked long-polls hold no worker, so
 * /healthz, /readyz and session creation still answer, and a completed verification
 * wakes its poll; a client that hangs up during a long-poll is cleaned up; the sweeper
 * fails a session left "processing" (SESSION_ABANDONED) and deletes expired ones.
 * Nothing is timed: only that answers come.
 */
#include "vwallet.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#define PARKED 40

static verifier_ctx *ctx_l;        /* a second instance with limits configured */
static mobid_http_server *srv_l;

static void pause_ms(long ms)
{
    struct timespec d = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&d, NULL);
}

static void wait_parked(mobid_http_server *s, size_t n)
{
    for (int i = 0; i < 12000 && mobid_http_server_parked(s) != n; i++)
        pause_ms(5);
    assert_int_equal(mobid_http_server_parked(s), n);
}

static long call(mobid_http_server *s, const char *method, const char *path, const char *body,
                 mobid_http_result *r)
{
    char url[512];
    const char *hdr[] = { "Authorization: Bearer " VF_API_KEY, NULL };
    mobid_http_client *c = NULL;
    snprintf(url, sizeof url, "%s%s", mobid_http_server_url(s), path);
    assert_int_equal(mobid_http_client_new(NULL, &c), MOBID_OK);
    assert_int_equal(mobid_http_client_request(c, method, url, hdr, body ? "application/json" : NULL,
                                               mobid_view_str(body ? body : ""), r),
                     MOBID_OK);
    mobid_http_client_free(c);
    return r->status;
}

static void test_create_flood(void **state)
{
    mobid_http_result r;
    int created = 0, limited = 0;
    for (int i = 0; i < 10; i++) {
        long st = call(srv_l, "POST", "/api/v1/verifications", "{\"profile\":\"bank-names\"}", &r);
        if (st == 201)
            created++;
        if (st == 429) {
            limited++;
            assert_non_null(strstr((const char *)r.body.ptr, "RATE_LIMITED"));
        }
        mobid_http_result_free(&r);
    }
    assert_int_equal(created, 3); /* the burst */
    assert_int_equal(limited, 7);
    /* Other endpoints are not limited. */
    assert_int_equal(call(srv_l, "GET", "/healthz", NULL, &r), 200);
    mobid_http_result_free(&r);
}

/* Open a long-poll on a raw socket (no thread needed to hold it). */
static int open_poll(mobid_http_server *s, const char *id)
{
    char req[512];
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(mobid_http_server_port(s)) };
    inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
    assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof sin), 0);
    int n = snprintf(req, sizeof req,
                     "GET /api/v1/verifications/%s?wait=60 HTTP/1.1\r\nHost: x\r\n"
                     "Authorization: Bearer " VF_API_KEY "\r\nConnection: close\r\n\r\n", id);
    assert_int_equal(send(fd, req, (size_t)n, MSG_NOSIGNAL), n);
    return fd;
}

static void read_all(int fd, mobid_buf *out)
{
    char chunk[4096];
    ssize_t got;
    struct timeval tv = { 90, 0 }; /* a hang fails, slowness does not */
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    mobid_buf_init(out, 0);
    while ((got = recv(fd, chunk, sizeof chunk, 0)) > 0)
        mobid_buf_append(out, chunk, (size_t)got);
    mobid_buf_terminate(out);
}

static void test_parked_polls(void **state)
{
    int fds[PARKED];
    json_t *created = create(SDJWT_QUERY);
    const char *id = json_string_value(json_object_get(created, "id"));
    for (int i = 0; i < PARKED; i++)
        fds[i] = open_poll(F.srv, id);
    wait_parked(F.srv, PARKED); /* more than the 8 workers and the 16 store connections */

    mobid_http_result r;
    assert_int_equal(call(F.srv, "GET", "/healthz", NULL, &r), 200);
    mobid_http_result_free(&r);
    assert_int_equal(call(F.srv, "GET", "/readyz", NULL, &r), 200);
    mobid_http_result_free(&r);
    json_t *other = create(SDJWT_QUERY);
    json_decref(other);

    /* The wallet answers: every poll wakes; one of them gets the claims. */
    char code[64];
    wallet w;
    mobid_buf pres;
    cred_opts o = { .status_idx = 4 };
    wallet_fetch(&w, created);
    present_sdjwt(&w, &o, NULL, &pres);
    json_t *params = vp_params(&w, "card", (const char *)pres.ptr);
    assert_int_equal(wallet_post(&w, params, false, code), 200);
    int with_claims = 0;
    for (int i = 0; i < PARKED; i++) {
        mobid_buf out;
        read_all(fds[i], &out);
        assert_non_null(strstr((const char *)out.ptr, "\"status\":\"verified\""));
        with_claims += strstr((const char *)out.ptr, "\"claims\":") != NULL;
        mobid_buf_free(&out);
        close(fds[i]);
    }
    assert_int_equal(with_claims, 1); /* claims delivered once */
    wait_parked(F.srv, 0);
    json_decref(params);
    mobid_buf_free(&pres);
    wallet_clear(&w);
    json_decref(created);
}

static void test_poll_hangup(void **state)
{
    json_t *created = create(SDJWT_QUERY);
    int fd = open_poll(F.srv, json_string_value(json_object_get(created, "id")));
    wait_parked(F.srv, 1);
    close(fd);
    wait_parked(F.srv, 0); /* noticed and freed without any wake */
    mobid_http_result r;
    assert_int_equal(call(F.srv, "GET", "/healthz", NULL, &r), 200);
    mobid_http_result_free(&r);
    json_decref(created);
}

static void test_sweep(void **state)
{
    mobid_store *s = NULL;
    int64_t deleted = 0, n = 0;
    json_t *stuck = create(SDJWT_QUERY), *old = create(SDJWT_QUERY);
    const char *stuck_id = json_string_value(json_object_get(stuck, "id"));
    char sql[512];
    assert_int_equal(mobid_store_pool_acquire(F.ctx->pool, &s), MOBID_OK);
    snprintf(sql, sizeof sql,
             "UPDATE verifier_sessions SET status = 'processing', answered_at = 1 WHERE id = '%s'",
             stuck_id);
    assert_int_equal(mobid_store_exec(s, sql), MOBID_OK);
    snprintf(sql, sizeof sql, "UPDATE verifier_sessions SET expires_at = 2 WHERE id = '%s'",
             json_string_value(json_object_get(old, "id")));
    assert_int_equal(mobid_store_exec(s, sql), MOBID_OK);
    mobid_store_pool_release(F.ctx->pool, s);

    assert_int_equal(verifier_sweep(F.ctx, mobid_now(), &deleted), MOBID_OK);
    assert_true(deleted >= 1);
    json_t *st = status_of(stuck, 0);
    assert_string_equal(json_string_value(json_object_get(st, "status")), "failed");
    assert_string_equal(json_string_value(json_object_get(st, "error")), "SESSION_ABANDONED");
    json_decref(st);
    assert_int_equal(mobid_store_pool_acquire(F.ctx->pool, &s), MOBID_OK);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM verifier_sessions WHERE id = '%s'",
             json_string_value(json_object_get(old, "id")));
    assert_int_equal(mobid_store_query_int64(s, sql, &n, NULL), MOBID_OK);
    assert_int_equal(n, 0);
    mobid_store_pool_release(F.ctx->pool, s);
    json_decref(stuck);
    json_decref(old);
}

/* A second instance whose configuration limits each party to a burst of 3. */
static int group_setup(void **state)
{
    char path[256], limited[256];
    mobid_http_config hc = { .name = "verifier-limited" };
    json_error_t jerr;
    vf_setup(&F);
    snprintf(path, sizeof path, "%s/verifier.json", F.dir);
    snprintf(limited, sizeof limited, "%s/limited.json", F.dir);
    json_t *cfg = json_load_file(path, 0, &jerr);
    assert_non_null(cfg);
    json_object_set_new(cfg, "session_rate", json_pack("{s:f, s:i}", "per_second", 0.001, "burst", 3));
    json_object_set_new(cfg, "http", json_pack("{s:i}", "workers", 2));
    assert_int_equal(json_dump_file(cfg, limited, 0), 0);
    json_decref(cfg);
    assert_int_equal(verifier_ctx_new(limited, F.db, &ctx_l), MOBID_OK);
    verifier_http_config(ctx_l, &hc);
    assert_int_equal(hc.workers, 2);
    assert_int_equal(mobid_http_server_new(&hc, &srv_l), MOBID_OK);
    assert_int_equal(verifier_routes(ctx_l, srv_l), MOBID_OK);
    assert_int_equal(mobid_http_server_start(srv_l), MOBID_OK);
    assert_int_equal(verifier_set_public_url(ctx_l, mobid_http_server_url(srv_l)), MOBID_OK);
    return 0;
}

static int group_teardown(void **state)
{
    mobid_http_server_free(srv_l);
    verifier_ctx_free(ctx_l);
    vf_teardown(&F);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_flood),
        cmocka_unit_test(test_parked_polls),
        cmocka_unit_test(test_poll_hangup),
        cmocka_unit_test(test_sweep),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
