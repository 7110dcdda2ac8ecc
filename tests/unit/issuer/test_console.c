/*
 * The office console over loopback HTTP with a real cookie jar (libcurl): sign-in
 * cookies and their flags, login CSRF, CSRF on every POST, slowed-then-locked
 * sign-ins, idle timeout, sign-out, escaping of applicant data, the four-eyes
 * refusal, the offer page (PNG QR and a separate tx_code) and the CSP header.
 */
#include "testutil.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mobid/crypto.h>
#include "qr/qr.h"
#include "services/issuer/console.h"

static issuer_ctx *g_ctx;
static mobid_http_server *g_srv;
static char g_base[64];
static char g_dir[] = "/tmp/mobid-console-XXXXXX";

/* The card types are the real catalogue (etc/card-types.json, compiled in). */

/* ---- a browser-like client ---- */

typedef struct browser {
    CURL *curl;
    char jar[256];
    mobid_buf body, headers;
    long status;
} browser;

static size_t on_data(char *p, size_t size, size_t n, void *ud)
{
    mobid_buf_append(ud, p, size * n);
    return size * n;
}

static void browser_open(browser *b, const char *name)
{
    memset(b, 0, sizeof *b);
    b->curl = curl_easy_init();
    assert_non_null(b->curl);
    snprintf(b->jar, sizeof b->jar, "%s/%s.cookies", g_dir, name);
    curl_easy_setopt(b->curl, CURLOPT_COOKIEFILE, "");
    curl_easy_setopt(b->curl, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(b->curl, CURLOPT_HEADERFUNCTION, on_data);
}

static void browser_close(browser *b)
{
    curl_easy_cleanup(b->curl);
    mobid_buf_free(&b->body);
    mobid_buf_free(&b->headers);
}

/* GET (form NULL) or POST a urlencoded form; extra: a request header or NULL. */
static const char *go(browser *b, const char *path, const char *form, const char *extra)
{
    char url[512];
    struct curl_slist *h = extra ? curl_slist_append(NULL, extra) : NULL;
    mobid_buf_free(&b->body);
    mobid_buf_free(&b->headers);
    mobid_buf_init(&b->body, 0);
    mobid_buf_init(&b->headers, 0);
    snprintf(url, sizeof url, "%s%s", g_base, path);
    curl_easy_setopt(b->curl, CURLOPT_URL, url);
    curl_easy_setopt(b->curl, CURLOPT_WRITEDATA, &b->body);
    curl_easy_setopt(b->curl, CURLOPT_HEADERDATA, &b->headers);
    curl_easy_setopt(b->curl, CURLOPT_HTTPHEADER, h);
    if (form)
        curl_easy_setopt(b->curl, CURLOPT_POSTFIELDS, form);
    else
        curl_easy_setopt(b->curl, CURLOPT_HTTPGET, 1L);
    assert_int_equal(curl_easy_perform(b->curl), CURLE_OK);
    curl_easy_getinfo(b->curl, CURLINFO_RESPONSE_CODE, &b->status);
    curl_slist_free_all(h);
    mobid_buf_terminate(&b->body);
    mobid_buf_terminate(&b->headers);
    return (const char *)b->body.ptr;
}

/* The value="..." of the first hidden csrf field on the last page (static buffer). */
static const char *csrf_of(browser *b)
{
    static char tok[64];
    const char *p = strstr((const char *)b->body.ptr, "name=\"csrf\" value=\"");
    assert_non_null(p);
    p += strlen("name=\"csrf\" value=\"");
    size_t n = strcspn(p, "\"");
    assert_true(n < sizeof tok);
    memcpy(tok, p, n);
    tok[n] = 0;
    return tok;
}

static const char *header_line(browser *b, const char *prefix)
{
    const char *p = (const char *)b->headers.ptr;
    for (; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        if (!strncasecmp(p, prefix, strlen(prefix)))
            return p;
    return NULL;
}

static void sign_in(browser *b, const char *user, const char *pw, long want)
{
    char form[256];
    go(b, "/console/signin", NULL, NULL);
    snprintf(form, sizeof form, "csrf=%s&username=%s&password=%s", csrf_of(b), user, pw);
    go(b, "/console/signin", form, NULL);
    assert_int_equal(b->status, want);
}

/* ---- fixture ---- */

static void officer(const char *user, const char *role)
{
    mobid_store *s = NULL;
    char id[23];
    char detail[MOBID_SVC_DETAIL_MAX] = "";
    assert_int_equal(issuer_db(g_ctx, &s), MOBID_OK);
    assert_int_equal(issuer_officer_create(g_ctx, s, NULL, user, user, "los-angeles", role,
                                           "correct horse battery", id,
                                           detail, sizeof detail), MOBID_OK);
    issuer_db_release(g_ctx, s);
}

static int setup(void **state)
{
    char url[300], day[11];
    char detail[MOBID_SVC_DETAIL_MAX] = "";
    mobid_store *s = NULL;
    mobid_http_config hc = { .name = "issuer" };
    (void)state;
    assert_non_null(mkdtemp(g_dir));
    snprintf(url, sizeof url, "sqlite:%s/issuer.db", g_dir);
    g_ctx = calloc(1, sizeof *g_ctx);
    pthread_mutex_init(&g_ctx->lock, NULL);
    assert_int_equal(mobid_random(g_ctx->data_key, 32), MOBID_OK);
    assert_int_equal(mobid_random(g_ctx->lookup_key, 32), MOBID_OK);
    g_ctx->cfg.issuer_url = strdup("https://issuer.example.kr");
    g_ctx->cfg.offer_lifetime_s = 900;
    g_ctx->cfg.tx_code_attempts = 5;
    g_ctx->cfg.tx_code_length = 6;
    assert_int_equal(issuer_cardtypes_parse(NULL, &g_ctx->cfg.cardtypes, &g_ctx->cfg.ncardtypes),
                     MOBID_OK);
    g_ctx->cfg.raw = json_pack("{s:{s:i, s:i, s:i, s:i}}", "console", "signin_slow_after", 100,
                               "signin_lock_after", 3, "signin_lock_s", 600, "idle_timeout_s", 900);
    assert_int_equal(mobid_store_pool_new(url, 4, &g_ctx->pool), MOBID_OK);
    assert_int_equal(issuer_db(g_ctx, &s), MOBID_OK);
    assert_int_equal(issuer_schema_migrate(s), MOBID_OK);
    assert_int_equal(mobid_date_format(mobid_now() / 86400 - 10, day), MOBID_OK);
    json_t *offices = json_pack("[{s:s, s:s, s:s, s:s, s:s, s:s, s:i}]", "id", "los-angeles",
                                "name", "Consulate General in Los Angeles", "country", "US", "city",
                                "Los Angeles", "tz", "America/Los_Angeles", "accepts_from", day,
                                "wave", 1);
    assert_int_equal(issuer_offices_put(g_ctx, s, NULL, offices, NULL,
                                        detail, sizeof detail), MOBID_OK);
    json_decref(offices);
    issuer_db_release(g_ctx, s);
    officer("la.kim", "officer");
    officer("la.lee", "officer");
    officer("la.locked", "officer");
    assert_int_equal(mobid_http_server_new(&hc, &g_srv), MOBID_OK);
    assert_int_equal(issuer_routes_console(g_srv, g_ctx), MOBID_OK);
    assert_int_equal(mobid_http_server_start(g_srv), MOBID_OK);
    snprintf(g_base, sizeof g_base, "%s", mobid_http_server_url(g_srv));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    mobid_http_server_free(g_srv);
    mobid_store_pool_free(g_ctx->pool);
    json_decref(g_ctx->cfg.raw);
    free(g_ctx->cfg.issuer_url);
    pthread_mutex_destroy(&g_ctx->lock);
    issuer_cardtypes_free(g_ctx->cfg.cardtypes, g_ctx->cfg.ncardtypes);
    free(g_ctx);
    const char *files[] = { "issuer.db", "issuer.db-wal", "issuer.db-shm", "issuer.db-journal" };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[300];
        snprintf(path, sizeof path, "%s/%s", g_dir, files[i]);
        unlink(path);
    }
    rmdir(g_dir);
    return 0;
}

/* ---- tests ---- */

static void test_cookies_and_headers(void **state)
{
    browser b;
    (void)state;
    browser_open(&b, "cookies");
    go(&b, "/console/applications", NULL, NULL);
    assert_int_equal(b.status, 303);
    assert_non_null(header_line(&b, "Location: /console/signin"));
    sign_in(&b, "la.kim", "correct%20horse%20battery", 303);
    const char *c = header_line(&b, "Set-Cookie: mobid_session=");
    assert_non_null(c);
    const char *eol = strchr(c, '\n');
    char line[512];
    snprintf(line, sizeof line, "%.*s", (int)(eol - c), c);
    assert_non_null(strstr(line, "HttpOnly"));
    assert_non_null(strstr(line, "SameSite=Strict"));
    assert_null(strstr(line, "Secure"));
    go(&b, "/console/applications", NULL, NULL);
    assert_int_equal(b.status, 200);
    assert_non_null(header_line(&b, "Content-Security-Policy: default-src 'none'; script-src 'self'"));
    assert_non_null(strstr((char *)b.body.ptr, "la.kim"));
    assert_null(strstr((char *)b.body.ptr, " onclick="));
    browser_close(&b);

    browser_open(&b, "tls");
    go(&b, "/console/signin", NULL, NULL);
    char form[256];
    snprintf(form, sizeof form, "csrf=%s&username=la.lee&password=correct%%20horse%%20battery", csrf_of(&b));
    go(&b, "/console/signin", form, "X-Forwarded-Proto: https");
    assert_int_equal(b.status, 303);
    c = header_line(&b, "Set-Cookie: mobid_session=");
    assert_non_null(c);
    eol = strchr(c, '\n');
    snprintf(line, sizeof line, "%.*s", (int)(eol - c), c);
    assert_non_null(strstr(line, "Secure"));
    browser_close(&b);
}

static void test_login_csrf(void **state)
{
    browser b;
    (void)state;
    browser_open(&b, "logincsrf");
    go(&b, "/console/signin", NULL, NULL);
    go(&b, "/console/signin", "csrf=forged&username=la.kim&password=correct%20horse%20battery", NULL);
    assert_int_equal(b.status, 403);
    assert_null(header_line(&b, "Set-Cookie: mobid_session="));
    browser_close(&b);
}

static void test_lockout(void **state)
{
    browser b;
    (void)state;
    browser_open(&b, "lock");
    sign_in(&b, "la.locked", "wrong", 401);
    sign_in(&b, "la.locked", "wrong", 401);
    sign_in(&b, "la.locked", "wrong", 401);
    sign_in(&b, "la.locked", "correct%20horse%20battery", 429);
    assert_non_null(strstr((char *)b.body.ptr, "locked"));
    sign_in(&b, "la.lee", "correct%20horse%20battery", 303); /* others unaffected */
    browser_close(&b);
}

static char g_app[23];

static void new_app(browser *b, const char *rrn, const char *given, long want)
{
    char form[1024], birth[11], exp[11];
    /* the birth date the registration number says (19YY-MM-DD) */
    snprintf(birth, sizeof birth, "19%.2s-%.2s-%.2s", rrn, rrn + 2, rrn + 4);
    assert_int_equal(mobid_date_format(mobid_now() / 86400 + 900, exp), MOBID_OK);
    go(b, "/console/applications/new", NULL, NULL);
    assert_int_equal(b->status, 200);
    snprintf(form, sizeof form,
             "csrf=%s&family_name=Hong&given_name=%s&family_name_national_character=%%ED%%99%%8D"
             "&given_name_national_character=%%EA%%B8%%B8%%EB%%8F%%99&birth_date=%s"
             "&resident_registration_number=%s&nationality=KR&country_of_residence=US"
             "&passport_number=M1234567&passport_expiry=%s&sex=1&residence_status=permanent"
             "&e_passport=1&portrait=_9j_4AAQ",
             csrf_of(b), given, birth, rrn, exp);
    go(b, "/console/applications", form, NULL);
    assert_int_equal(b->status, want);
}

/* A console action answers 303 (post/redirect/get); follow it to the page it shows. */
static void act(browser *b, const char *path, const char *form)
{
    char next[256];
    go(b, path, form, NULL);
    assert_int_equal(b->status, 303);
    const char *loc = header_line(b, "Location: ");
    assert_non_null(loc);
    snprintf(next, sizeof next, "%.*s", (int)strcspn(loc + 10, "\r\n"), loc + 10);
    go(b, next, NULL, NULL);
    assert_int_equal(b->status, 200);
}

static void test_application_steps(void **state)
{
    browser a, b;
    char path[128], form[256];
    (void)state;
    browser_open(&a, "officer-a");
    browser_open(&b, "officer-b");
    sign_in(&a, "la.kim", "correct%20horse%20battery", 303);
    sign_in(&b, "la.lee", "correct%20horse%20battery", 303);

    /* a POST without the CSRF field is refused and writes nothing */
    go(&a, "/console/applications", "family_name=X", NULL);
    assert_int_equal(b.status == 303 ? a.status : a.status, 403);
    new_app(&a, "900101-1234567", "Gildong", 303);
    const char *loc = header_line(&a, "Location: /console/applications/");
    assert_non_null(loc);
    memcpy(g_app, loc + strlen("Location: /console/applications/"), 22);
    g_app[22] = 0;

    /* escaping: markup in a name comes back as text */
    new_app(&a, "850505-1345678", "%3Cscript%3Ealert(1)%3C%2Fscript%3E", 303);
    loc = header_line(&a, "Location: ");
    snprintf(path, sizeof path, "%.*s", (int)strcspn(loc + 10, "\r\n"), loc + 10);
    go(&a, path, NULL, NULL);
    assert_null(strstr((char *)a.body.ptr, "<script>alert"));
    assert_non_null(strstr((char *)a.body.ptr, "&lt;script&gt;alert(1)&lt;/script&gt;"));

    /* ineligible: shown inline with the code */
    new_app(&a, "900101-1234567", "Again", 409);
    assert_non_null(strstr((char *)a.body.ptr, "APPLICATION_EXISTS"));

    snprintf(path, sizeof path, "/console/applications/%s", g_app);
    go(&a, path, NULL, NULL);
    snprintf(path, sizeof path, "/console/applications/%s/verify", g_app);
    snprintf(form, sizeof form, "csrf=%s&passport_seen=1&residency=green%%20card", csrf_of(&a));
    act(&a, path, form);
    snprintf(path, sizeof path, "/console/applications/%s/approve", g_app);
    snprintf(form, sizeof form, "csrf=%s", csrf_of(&a));
    /* refused: the redirect names the code and the page says who can act */
    act(&a, path, form);
    assert_non_null(strstr((char *)a.body.ptr, "FOUR_EYES"));
    assert_null(strstr((char *)a.body.ptr, "승인했습니다"));

    /* officer b's token does not work in a's session (CSRF bound to the session) */
    snprintf(path, sizeof path, "/console/applications/%s", g_app);
    go(&b, path, NULL, NULL);
    snprintf(form, sizeof form, "csrf=%s", csrf_of(&b));
    snprintf(path, sizeof path, "/console/applications/%s/approve", g_app);
    go(&a, path, form, NULL);
    assert_int_equal(a.status, 403);
    act(&b, path, form);
    assert_non_null(strstr((char *)b.body.ptr, "approved"));
    snprintf(form, sizeof form, "csrf=%s", csrf_of(&b));

    snprintf(path, sizeof path, "/console/applications/%s/offer", g_app);
    act(&b, path, form);
    assert_non_null(strstr((char *)b.body.ptr, "id=\"offer-qr\" alt=\"Credential offer QR code\" src=\"data:image/png;base64,iVBORw0KGgo"));
    const char *tx = strstr((char *)b.body.ptr, "id=\"tx-code\">");
    assert_non_null(tx);
    tx += strlen("id=\"tx-code\">");
    assert_int_equal(strspn(tx, "0123456789"), 6);
    browser_close(&a);
    browser_close(&b);
}

static void test_audit_and_offices(void **state)
{
    browser b;
    (void)state;
    browser_open(&b, "audit");
    sign_in(&b, "la.kim", "correct%20horse%20battery", 303);
    go(&b, "/console/audit", NULL, NULL);
    assert_int_equal(b.status, 200);
    assert_non_null(strstr((char *)b.body.ptr, "application.create"));
    go(&b, "/console/offices", NULL, NULL);
    assert_int_equal(b.status, 200);
    assert_non_null(strstr((char *)b.body.ptr, "America/Los_Angeles"));
    browser_close(&b);
}

static void test_signout_and_idle(void **state)
{
    browser b;
    char form[128];
    (void)state;
    browser_open(&b, "idle");
    sign_in(&b, "la.kim", "correct%20horse%20battery", 303);
    go(&b, "/console/applications", NULL, NULL);
    snprintf(form, sizeof form, "csrf=%s", csrf_of(&b));
    go(&b, "/console/signout", form, NULL);
    assert_int_equal(b.status, 303);
    go(&b, "/console/applications", NULL, NULL);
    assert_int_equal(b.status, 303);

    /* The clock is pinned, so the idle gap is exactly what the test says, however long
     * the requests themselves take on a loaded machine. */
    json_object_set_new(json_object_get(g_ctx->cfg.raw, "console"), "idle_timeout_s", json_integer(1));
    mobid_time t0 = mobid_now();
    mobid_clock_pin(t0);
    sign_in(&b, "la.kim", "correct%20horse%20battery", 303);
    mobid_clock_pin(t0 + 1); /* idle for the timeout itself: still signed in */
    go(&b, "/console/applications", NULL, NULL);
    assert_int_equal(b.status, 200);
    mobid_clock_pin(t0 + 3); /* idle two seconds past it */
    go(&b, "/console/applications", NULL, NULL);
    mobid_clock_unpin();
    assert_int_equal(b.status, 303);
    assert_non_null(header_line(&b, "Location: /console/signin?why=idle"));
    json_object_set_new(json_object_get(g_ctx->cfg.raw, "console"), "idle_timeout_s", json_integer(900));
    browser_close(&b);
}

static void test_qr_png(void **state)
{
    mobid_buf png;
    (void)state;
    mobid_buf_init(&png, 0);
    assert_int_equal(mobid_qr_render("openid-credential-offer://?credential_offer_uri=x", MOBID_QR_PNG, 8, &png),
                     MOBID_OK);
    assert_true(png.len > 100);
    assert_memory_equal(png.ptr, "\x89PNG\r\n\x1a\n", 8);
    mobid_buf_free(&png);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_qr_png),
        cmocka_unit_test(test_cookies_and_headers),
        cmocka_unit_test(test_login_csrf),
        cmocka_unit_test(test_lockout),
        cmocka_unit_test(test_application_steps),
        cmocka_unit_test(test_audit_and_offices),
        cmocka_unit_test(test_signout_and_idle),
    };
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = cmocka_run_group_tests_name("office console", tests, setup, teardown);
    curl_global_cleanup();
    return rc;
}
