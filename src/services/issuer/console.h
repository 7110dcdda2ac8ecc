/*
 * The office console: server-rendered HTML pages for consular officers and the
 * ministry admin, under /console/ on the issuer service, built on the public
 * functions of office.h (the same ones the /api/v1 admin API uses).
 *
 * Security: the session cookie (mobid_session, shared with the admin API) and the
 * CSRF cookie are HttpOnly and SameSite=Strict, Secure when the request came through
 * TLS (X-Forwarded-Proto: https). Every form carries the CSRF token in a hidden field
 * and every POST checks it against the session (issuer_session_check). Sessions end
 * after an idle timeout; failed sign-ins for a user name are slowed and then locked
 * for a while (tables of the "issuer_console" migration component). Every value
 * written into a page is HTML-escaped; responses carry a strict
 * Content-Security-Policy (no inline script or style, no event handler attributes).
 *
 * Files: console.c (the page frame, static files, error pages, routes), console_auth.c
 * (sign-in, sessions), console_apps.c (applications: list with search, new),
 * console_detail.c (one application: state, history, the actions its state and the
 * officer's role allow), console_view.c (office times, names, labels, readable audit),
 * console_search.c (the blind index), console_admin.c (audit trail, offices),
 * console_renew.c (the renew step, cards expiring soon).
 *
 * Every action is post/redirect/get: a POST answers 303 to the page it changed, with
 * what happened in the query (?done=, ?refused=), so a reload never repeats it.
 *
 * Settings come from the "console" object of the issuer configuration:
 * idle_timeout_s (900), session_lifetime_s (28800), signin_slow_after (3),
 * signin_lock_after (5), signin_lock_s (900), web_dir (a folder to serve console.css
 * and console.js from instead of the copies compiled into the binary).
 */
#ifndef MOBID_ISSUER_CONSOLE_H
#define MOBID_ISSUER_CONSOLE_H

#include "services/issuer/office.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Register the console's routes (/console/...) on srv. Runs the console's migrations
 * on one pooled connection first. Returns store errors, MOBID_ERR_INVALID_ARG for a
 * duplicate route. ctx is borrowed for the server's lifetime. */
MOBID_MUST_CHECK mobid_err issuer_routes_console(mobid_http_server *srv, issuer_ctx *ctx);

/* ---- shared by the console's files ---- */

/* A time zone read from its TZif file (console_view.c). */
typedef struct console_zone console_zone;

/* One console request: its connection, officer, CSRF token and page buffer. */
typedef struct console_req {
    issuer_ctx *ctx;
    mobid_store *s;
    issuer_officer who;
    const char *csrf;          /* the CSRF token to put in forms (from its cookie) */
    const mobid_http_form *form; /* POST body (NULL for GET) */
    mobid_http_req *req;
    mobid_http_resp *resp;
    mobid_buf page;
    char tz[65];               /* the zone times are shown in ("" = UTC) */
    console_zone *zone;
} console_req;

typedef mobid_err (*console_fn)(console_req *c);

/* Run fn for a signed-in officer (else redirect to the sign-in page); for POST the
 * form's csrf field must match the session (else 403). */
mobid_err console_run(mobid_http_req *req, mobid_http_resp *resp, void *ctx, console_fn fn);

/* Append s HTML-escaped (&, <, >, ", '). */
void console_esc(mobid_buf *b, const char *s);
/* Append literal text. */
void console_put(mobid_buf *b, const char *s);
/* Append a number. */
void console_int(mobid_buf *b, long long v);
/* Open a page: doctype, head with CSS/JS, header bar with the officer and sign-out,
 * navigation; title_ko / title_en are both shown. */
void console_page_open(console_req *c, const char *title_ko, const char *title_en);
/* Close the page and send it with status. */
mobid_err console_page_send(console_req *c, unsigned status);
/* A <form method=post action=...> opening tag with the hidden CSRF field. */
void console_form_open(console_req *c, const char *action);
/* A message box (class "error" or "ok") with bilingual text and an optional escaped
 * detail. */
void console_notice(console_req *c, const char *cls, const char *ko, const char *en,
                    const char *detail);
/* A form field value (NULL when absent or repeated). */
const char *console_field(const console_req *c, const char *name);
/* "YYYY-MM-DD HH:MM UTC" for epoch seconds. */
void console_time(mobid_buf *b, int64_t t);
/* Send a 303 redirect to location. */
mobid_err console_redirect(console_req *c, const char *location);
/* The console's HTML 404 page (an unknown address under /console/). */
mobid_err console_not_found(mobid_http_req *req, mobid_http_resp *resp, void *ctx);
/* A stand-alone HTML page with a bilingual message (id names its paragraph) and a
 * link back to the console. */
mobid_err console_message_page(mobid_http_resp *resp, unsigned status, const char *id,
                               const char *title_ko, const char *title_en, const char *ko,
                               const char *en);
/* The HTML page for a fault that reached console_run (500, 503 when busy). */
mobid_err console_error_page(mobid_http_req *req, mobid_http_resp *resp, mobid_err err);

#define CONSOLE_SESSION_COOKIE "mobid_session" /* shared with the admin API */
#define CONSOLE_CSRF_COOKIE "mobid_csrf"
#define CONSOLE_SIGNIN_COOKIE "mobid_signin"

/* A setting of the configuration's "console" object (a non-negative integer), or def. */
int64_t console_setting(const issuer_ctx *ctx, const char *key, int64_t def);
/* HttpOnly + SameSite=Strict, + Secure when X-Forwarded-Proto is https. */
unsigned console_cookie_flags(mobid_http_req *req);
/* Delete the session and CSRF cookies. */
void console_clear_cookies(mobid_http_req *req, mobid_http_resp *resp);
/* SHA-256 of a secret as hex (the key of its rows in the console's tables). */
mobid_err console_secret_key(const char *secret, char out[65]);
/* Run sql with $1 = a (text) and, when the SQL names them, $2 = b, $3 = c. */
mobid_err console_exec(mobid_store *s, const char *sql, const char *a, int64_t b, int64_t c);
/* The two int64 columns of the first row of sql($1 = key); *found false when none. */
mobid_err console_query2(mobid_store *s, const char *sql, const char *key, int64_t *a,
                         int64_t *b, bool *found);
/* Page frame without a signed-in officer (sign-in page). */
void console_head(mobid_buf *b, const char *title_ko, const char *title_en);
/* Sign-in routes and the console's migrations (console_auth.c). */
mobid_err console_auth_routes(mobid_http_server *srv, issuer_ctx *ctx);

/* Security headers of every console response. */
void console_security_headers(mobid_http_resp *resp);

/* True for an error that is a refusal to show the officer (not a server fault). */
bool console_is_refusal(mobid_err err);
/* A bilingual refusal box naming the error code, with detail (or the code's text). */
void console_refusal(console_req *c, mobid_err err, const char *detail);
/* The same for a refused application form: the check's sentence in Korean too, field
 * names replaced by the card type's labels, a missing required field named. */
void console_refusal_form(console_req *c, mobid_err err, const char *detail,
                          const issuer_cardtype *ct);

/* ---- console_view.c ---- */

/* The zone (IANA name) as read from /usr/share/zoneinfo, or NULL; free with
 * console_zone_free. */
console_zone *console_zone_load(const char *tz);
void console_zone_free(console_zone *z);
/* Show times in the zone of office_id from now on (unknown office or zone: UTC). */
void console_set_zone(console_req *c, const char *office_id);
/* A <time> with the local time and zone abbreviation ("2026-03-01 09:30 PST"), UTC in
 * its datetime and title. */
void console_when(console_req *c, int64_t t);
/* An office's name (its id when unknown). */
void console_office(console_req *c, const char *office_id);
/* An officer's display name and user name (the id when unknown; system, holder). */
void console_officer(console_req *c, const char *id);
/* A card type's ko/en display name. */
void console_cardtype(console_req *c, const char *id);
/* A value of a card type form field: option labels, 예/아니요, else the text. */
void console_value(console_req *c, const json_t *field, const json_t *v);
/* The ko/en label of an application state or a card state. */
void console_state_html(console_req *c, const char *state);
/* The ko/en label of an audit action. */
void console_action_html(console_req *c, const char *action);
/* An audit detail as a readable list. */
void console_audit_detail(console_req *c, const json_t *detail);
/* Entries of sql ($1 = key, $2 = after when named; columns seq, at, actor, action,
 * subject, detail), their sealed parts opened. */
mobid_err console_audit_query(console_req *c, const char *sql, const char *key, int64_t after,
                              json_t **out);
/* <tr> rows of entries: time, officer, action, subject (with_subject), detail. */
void console_audit_rows(console_req *c, const json_t *list, bool with_subject);

/* ---- console_once.c: the offer page after the redirect ---- */

/* Keep the offer's link and code sealed for the officer's next GET and redirect there. */
mobid_err console_offer_stash(console_req *c, const char *app_id, const issuer_offer *o);
/* Take them back once (offer_uri and tx_code, expires_at); NOT_FOUND when shown already,
 * expired or another session's. Free with issuer_offer_clear. */
mobid_err console_offer_take(console_req *c, const char *app_id, const char *once,
                             issuer_offer *o);

/* ---- console_search.c: the blind index ---- */

/* Index the applications not indexed yet (each opened once). */
mobid_err console_search_sync(console_req *c);
/* Add to ids (an object used as a set) the applications whose `kind` ("name",
 * "birth") equals value after normalizing. */
mobid_err console_search_ids(console_req *c, const char *kind, const char *value, json_t *ids);
/* The applicant's name: national script, then Latin. */
void console_person_name(console_req *c, const issuer_cardtype *ct, const json_t *pii);
/* Is this card type form field the birth date? */
bool console_is_birth_field(const json_t *f);

/* Routes of console_apps.c, console_detail.c and console_admin.c. */
mobid_err console_detail_routes(mobid_http_server *srv, issuer_ctx *ctx);
mobid_err console_apps_routes(mobid_http_server *srv, issuer_ctx *ctx);
mobid_err console_admin_routes(mobid_http_server *srv, issuer_ctx *ctx);
/* ---- console_renew.c: renewal (renewal.h) ---- */

/* The renew step for an application whose card is active: the form for a supervisor
 * or admin, else who can; or that a renewal waits for the wallet. */
void console_renew_actions(console_req *c, const char *app_id, const json_t *card);
/* The bilingual refusal of the renew step for err (false: not one of its own). */
bool console_renew_refusal(mobid_err err, char *ko, size_t kn, char *en, size_t en_n);
/* GET /console/expiring: the office's cards that expire soon. */
mobid_err console_renew_routes(mobid_http_server *srv, issuer_ctx *ctx);

/* Officer management and the password change page (console_officers.c). */
mobid_err console_officers_routes(mobid_http_server *srv, issuer_ctx *ctx);
/* The sign-in's answer when the password was right but a step is missing: the
 * password change page (PASSWORD_CHANGE_REQUIRED) or the sign-in page asking for the
 * authenticator code (SECOND_FACTOR_REQUIRED); detail from issuer_signin. */
mobid_err console_signin_second(mobid_http_req *req, mobid_http_resp *resp, mobid_err why,
                                const char *detail);

#ifdef __cplusplus
}
#endif
#endif
