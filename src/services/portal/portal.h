/*
 * The portal: a relying party's web site ("Government 24"-style page and a bank's
 * account-opening page) that verifies visitors with the mobile ID through the
 * verifier's /api/v1/verifications API over HTTP, exactly as an outside relying party
 * would. It keeps no state in memory: the browser holds a ticket (the verification id
 * with an HMAC under the portal's key) and polls the portal, which long-polls the
 * verifier.
 *
 * Files: portal.c (routes, pages, static files, security headers), flow.c (start and
 * result: talking to the verifier), certificate.c (the sample resident registration
 * certificate and its verification number).
 *
 * Threading: one portal_ctx serves every HTTP thread; read-only after portal_ctx_new.
 * Ownership: strings in portal_config are borrowed until portal_ctx_new copies them.
 */
#ifndef MOBID_PORTAL_H
#define MOBID_PORTAL_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>
#include <mobid/base.h>
#include "http/server.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The two sites the portal runs. */
typedef enum portal_site { PORTAL_GOV = 0, PORTAL_BANK = 1, PORTAL_NSITES = 2 } portal_site;

typedef struct portal_site_config {
    const char *api_key;     /* the relying party's verifier API key (NULL: site off) */
    const char *profile;     /* the verifier profile to ask for; NULL = "resident_full"
                                (gov) or "bank_age_check" (bank) */
    const char *dcql_json;   /* a DCQL query (JSON text) to send instead of the profile */
} portal_site_config;

typedef struct portal_config {
    const char *verifier_url;   /* base URL of the verifier, no '/' at the end */
    const char *web_dir;        /* folder with index.html, bank.html, portal.css, ...;
                                   NULL = the pages compiled in (src/assets) */
    const char *public_url;     /* the portal's address as browsers reach it, no '/' at
                                   the end: the same-device flow's redirect_uri is built
                                   on it; NULL = the listening URL */
    portal_site_config sites[PORTAL_NSITES];
    long wait_s;                /* long-poll seconds per result request (default 20) */
    unsigned max_waiting;       /* concurrent long-polls to the verifier; beyond: 503
                                   (default 200, below the verifier's per-client cap) */
    double start_per_second;    /* POST /api/v1/start per source address (default 2) */
    double start_burst;         /* ... and its burst (default 20) */
} portal_config;

/* Read a configuration file's keys into pc and hc: "http" (the server's limits,
 * http/limits.h), "start_per_second" and "start_burst" (starts per source address),
 * "max_waiting" (long-polls to the verifier) and "wait_s". j is borrowed; pc keeps no
 * pointer into it. Returns MOBID_ERR_MALFORMED with a message on stderr for an unknown
 * key or a value out of range. */
MOBID_MUST_CHECK mobid_err portal_config_read(const json_t *j, portal_config *pc,
                                              mobid_http_config *hc);

typedef struct portal_ctx portal_ctx;

/* Copy cfg, parse the DCQL queries given instead of profiles, draw a fresh ticket key. Returns
 * MOBID_ERR_INVALID_ARG (no verifier URL, no site with a key, bad DCQL JSON),
 * MOBID_ERR_NOMEM. *out freed with portal_ctx_free. */
MOBID_MUST_CHECK mobid_err portal_ctx_new(const portal_config *cfg, portal_ctx **out);
void portal_ctx_free(portal_ctx *ctx);

/* Route "/", "/bank", "/static/{file}", "POST /api/v1/start/{site}",
 * "GET /api/v1/result" on srv; the verifier long-polls stop when srv stops. */
mobid_err portal_routes(portal_ctx *ctx, mobid_http_server *srv);


/* ---- internal interfaces between the portal's files ---- */

/* Add the security headers every portal response carries (CSP, nosniff, ...). */
void portal_security_headers(mobid_http_resp *resp);
/* Append s with &, <, >, ", ' escaped for HTML text and attribute values. */
mobid_err portal_html_escape(mobid_buf *out, const char *s);

/* Handlers of flow.c. */
mobid_err portal_on_start(mobid_http_req *req, mobid_http_resp *resp, void *ctx);
mobid_err portal_on_result(mobid_http_req *req, mobid_http_resp *resp, void *ctx);

/* The site's settings (after portal_ctx_new). */
const char *portal_site_name(portal_site site);
const char *portal_verifier_url(const portal_ctx *ctx);
const char *portal_api_key(const portal_ctx *ctx, portal_site site);
/* What the site asks the verifier for: {"dcql_query":...} or {"profile":...} (new
 * reference). */
json_t *portal_request(const portal_ctx *ctx, portal_site site);
long portal_wait_s(const portal_ctx *ctx);
/* Where a wallet sends the holder back after a same-device answer: the site's page
 * ("/" or "/bank") under the public URL, or under listening (the server's URL) when
 * none was configured. Writes a NUL-terminated URL into out; MOBID_ERR_TOO_BIG if it
 * does not fit. */
mobid_err portal_redirect_uri(const portal_ctx *ctx, portal_site site, const char *listening,
                              char *out, size_t cap);
/* The fetcher of the verifier long-polls, and the limiter of starts (flow.c). */
struct mobid_http_fetcher *portal_fetcher(const portal_ctx *ctx);
struct mobid_ratelimit *portal_start_rate(const portal_ctx *ctx);
/* ticket = id "." base64url(HMAC-SHA-256(key, site ":" id)); out gets a heap string. */
mobid_err portal_ticket_make(const portal_ctx *ctx, portal_site site, const char *id, char **out);
/* Check a ticket; *id gets a heap copy of the verification id. MOBID_ERR_UNAUTHENTICATED
 * for a forged ticket or one for another site. */
MOBID_MUST_CHECK mobid_err portal_ticket_open(const portal_ctx *ctx, portal_site site,
                                              const char *ticket, char **id);

/* HMAC-SHA-256(ticket key, "certificate:" id) into mac (32 bytes). */
mobid_err portal_number_mac(const portal_ctx *ctx, const char *id, uint8_t *mac);

/* The card types (labels of claims and values), or NULL. Borrowed. */
const json_t *portal_cardtypes(const portal_ctx *ctx);
/* The claims as people read them: [{claim, label, value}] in the order of flat, labels
 * and value words from the card type ("성별 Sex": "여 Female"). New reference. */
json_t *portal_shown(const portal_ctx *ctx, const json_t *flat);

/* Verified claims flattened to {claim: value} (strings, numbers, booleans; nested
 * mdoc namespaces and SD-JWT objects walked). *out owned by the caller. */
MOBID_MUST_CHECK mobid_err portal_flatten_claims(const json_t *claims, json_t **out);

/* The sample resident registration certificate for flattened claims: a complete
 * HTML document (every value escaped) with verification number `number`
 * ("MOBID-XXXX-XXXX-XXXX", derived from the ticket key and the verification id). */
MOBID_MUST_CHECK mobid_err portal_certificate(const portal_ctx *ctx, const char *verification_id,
                                              const json_t *flat, char number[32],
                                              mobid_buf *html);

#ifdef __cplusplus
}
#endif
#endif
