/*
 * The verifier service: relying parties create verification sessions over /api/v1,
 * wallets fetch the signed OpenID4VP request object and post their response, the
 * relying party reads the verified claims once.
 *
 * Files: config.c (configuration, PKI material, relying parties, profiles),
 * session.c (the store: schema, sessions, sealing of secrets and results),
 * api.c (/api/v1/verifications), wallet.c (request_uri and response_uri),
 * check.c (verifying presentations: mdoc, SD-JWT VC, status, DCQL), qr.c (the deep
 * link and its QR codes, rendered on demand).
 *
 * Threading: one verifier_ctx serves every HTTP thread; it is read-only after
 * verifier_ctx_new() except the status-list fetcher (guarded by status_lock) and the
 * session cache (its own lock). Sessions live in the store, so several instances
 * share them; the cache (cache.c) keeps only what never changes in a session.
 */
#ifndef MOBID_VERIFIER_H
#define MOBID_VERIFIER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>
#include <mobid/base.h>
#include <mobid/crypto.h>
#include <mobid/mdoc.h>
#include <mobid/oid4vp.h>
#include <mobid/sdjwt.h>
#include <mobid/statuslist.h>
#include "http/server.h"
#include "store/store.h"

#define VERIFIER_DEFAULT_TTL 180
#define VERIFIER_MAX_WAIT 60
#define VERIFIER_METRIC "mobid_verifier_responses_total"
#define VERIFIER_CHANNEL "mobid_verifier" /* NOTIFY channel: payload = a finished session */

typedef struct verifier_rp {
    char *id;
    uint8_t api_key_hash[32];      /* SHA-256 of the API key */
    mobid_key *key;                /* access certificate key */
    mobid_cert **chain;            /* access certificate chain, leaf first */
    size_t chain_len;
    char *client_id;               /* x509_hash:... */
    char *registration_jwt;        /* ministry-signed registration */
    mobid_oid4vp_request_signer *signer; /* request objects: key, chain and registration */
    mobid_oid4vp_registration reg; /* its verified content */
    bool encrypted;                /* default response mode direct_post.jwt */
    struct mobid_ratelimit *create_rate; /* session creations (NULL: unlimited) */
} verifier_rp;

typedef struct verifier_profile {
    char *name;
    json_t *dcql;
} verifier_profile;

typedef struct verifier_events verifier_events;
typedef struct verifier_cache verifier_cache;

/* One immutable trust snapshot (trust.c): the set, the mdoc verifier over it and an
 * SD-JWT key cache tied to it. Taken with verifier_trust_acquire, given back with
 * verifier_trust_release. */
typedef struct verifier_trustset {
    mobid_trust *trust;
    mobid_mdoc_verifier *mdoc;
    mobid_sdjwt_key_cache *sdjwt_cache;
    long refs;                     /* guarded by the trust state's lock */
} verifier_trustset;
typedef struct verifier_trust_state verifier_trust_state;

typedef struct verifier_ctx {
    char *public_url;              /* base of request_uri and response_uri */
    int64_t ttl;                   /* session lifetime in seconds */
    uint8_t seal_key[32];          /* AES-256-GCM key for secrets and results at rest */
    mobid_trust *trust;            /* status-list signer roots (the configured anchors) */
    mobid_trust *reg_trust;        /* registration signer roots */
    verifier_trust_state *vt;      /* credential trust snapshots, refreshed VICALs */
    mobid_sdjwt_issuer_cache *issuer_meta; /* issuers trusted by identifier; or NULL */
    mobid_sdjwt_issuer_cache *type_meta;   /* SD-JWT VC type metadata at the vct; NULL:
                                              "type_metadata": "off" */
    bool type_always;              /* "always": fetched for every https vct, not only
                                      to check a vct#integrity */
    mobid_statuslist_fetcher *status;
    pthread_mutex_t status_lock;
    verifier_rp *rps;
    size_t n_rps;
    verifier_profile *profiles;
    size_t n_profiles;
    mobid_store_pool *pool;
    mobid_http_server *server;     /* set by verifier_routes */
    verifier_events *events;       /* wake-ups and housekeeping (events.c) */
    verifier_cache *cache;         /* fixed parts of sessions (cache.c); NULL: none */
    mobid_http_config http;        /* the configuration's "http" limits */
} verifier_ctx;

/* ---- config.c ---- */

/* Load the configuration file (JSON, see docs/verifier.md) and open the store at
 * db_url (migrating it). public_url overrides the configured one when not NULL.
 * Returns MOBID_OK or an error with a message on stderr. Free with verifier_ctx_free. */
mobid_err verifier_ctx_new(const char *config_path, const char *db_url, verifier_ctx **out);
void verifier_ctx_free(verifier_ctx *ctx);
/* The relying party whose API key is in the Authorization header, or NULL. */
const verifier_rp *verifier_rp_by_api_key(const verifier_ctx *ctx, const char *authorization);
const verifier_rp *verifier_rp_by_id(const verifier_ctx *ctx, const char *id);
const verifier_profile *verifier_profile_find(const verifier_ctx *ctx, const char *name);

/* Read a file relative to dir (absolute paths as they are), NUL-terminated. */
mobid_err verifier_read_file(const char *dir, const char *rel, mobid_buf *out);

/* ---- trust.c ---- */

/* Build the credential trust from cfg (trust_anchors, vicals, vical_anchors,
 * trusted_issuers, trust_policy, issuer_metadata) with mobid_trust_build; sets
 * ctx->vt, ctx->trust and ctx->issuer_meta. */
mobid_err verifier_trust_load(verifier_ctx *ctx, const char *dir, const json_t *cfg);
/* A trust set built from the certificate files of a JSON array (registration roots). */
mobid_err verifier_trust_files(const char *dir, const json_t *files, mobid_trust **out);
/* The current snapshot, after refreshing VICALs past their nextUpdate (one thread
 * fetches; the others go on with the last good set). Thread-safe. */
const verifier_trustset *verifier_trust_acquire(verifier_ctx *ctx, mobid_time now);
void verifier_trust_release(verifier_ctx *ctx, const verifier_trustset *ts);
void verifier_trust_free(verifier_ctx *ctx);

/* ---- service (api.c, wallet.c) ---- */

/* Route the service's endpoints on srv and remember it in ctx. */
mobid_err verifier_routes(verifier_ctx *ctx, mobid_http_server *srv);
/* The wallet-facing routes (wallet.c): request_uri and response_uri. */
mobid_err verifier_wallet_routes(verifier_ctx *ctx, mobid_http_server *srv);
/* Set public_url from the server's URL when the configuration has none. */
mobid_err verifier_set_public_url(verifier_ctx *ctx, const char *url);

/* ---- events.c ---- */

/* Read "session_rate" and "http" from the configuration (after the relying parties). */
mobid_err verifier_events_load(verifier_ctx *ctx, const char *db_url, const json_t *cfg);
/* Start the sweeper and, on PostgreSQL, the listener for other instances' wake-ups;
 * both stop when srv stops. */
mobid_err verifier_events_start(verifier_ctx *ctx, mobid_http_server *srv);
void verifier_events_free(verifier_ctx *ctx);
/* Wake this instance's long-polls waiting on session id. */
void verifier_announce(verifier_ctx *ctx, const char *id);
/* One housekeeping round now (the sweeper's work; exposed for tests). */
mobid_err verifier_sweep(verifier_ctx *ctx, mobid_time now, int64_t *deleted);
/* Copy the configured HTTP limits into hc (fields left 0 keep the server defaults). */
void verifier_http_config(const verifier_ctx *ctx, mobid_http_config *hc);

/* ---- session.c ---- */

typedef struct verifier_session {
    char *id, *rp_id, *status, *error, *detail, *nonce, *state, *dcql, *request_jwt;
    char *response_mode;
    mobid_buf enc_key;   /* sealed private JWK (empty for direct_post) */
    mobid_buf result;    /* sealed claims (empty until verified or after delivery) */
    int64_t created_at, expires_at;
    bool delivered;
    char *redirect_uri;  /* same-device: where the wallet sends the user back, or NULL */
    char *response_code; /* hex SHA-256 of the one-time response code, or NULL */
} verifier_session;

mobid_err verifier_store_migrate(mobid_store *s);
mobid_err verifier_session_insert(mobid_store *s, const verifier_session *vs);
/* Load a session; NOT_FOUND when absent. Clear with verifier_session_clear. */
mobid_err verifier_session_load(mobid_store *s, const char *id, verifier_session *out);
void verifier_session_clear(verifier_session *vs);
/* pending -> verified (with sealed claims; code MOBID_OK) or failed (code and detail),
 * atomically and only while unexpired; SESSION_USED when another response came first,
 * SESSION_EXPIRED when its time is up. Notifies other instances (PostgreSQL). */
/* Wrong answers a session takes before it fails: a response bound to the session
 * (decrypts, right state) that proves no holder of a trusted credential counts one. */
#define VERIFIER_RESPONSE_ATTEMPTS 3

/* Count one such answer against session id. *counted: the session stays pending (below
 * the limit); false: this was the last allowed one, record it with
 * verifier_session_answer. Returns MOBID_OK, SESSION_USED / SESSION_EXPIRED (no longer
 * pending) or store errors. */
mobid_err verifier_session_strike(mobid_store *s, const char *id, mobid_time now,
                                  bool *counted);
mobid_err verifier_session_answer(mobid_store *s, const char *id, mobid_time now, mobid_err code,
                                  const char *detail, mobid_view sealed_result);
/* Housekeeping (events.c runs it): fail sessions left "processing" since before
 * stuck_before with SESSION_ABANDONED (their ids go to on_failed), and delete at most
 * batch sessions that expired before purge_before. *deleted (may be NULL) counts them. */
mobid_err verifier_sessions_sweep(mobid_store *s, mobid_time stuck_before, mobid_time purge_before,
                                  unsigned batch, void (*on_failed)(void *ctx, const char *id),
                                  void *ctx, int64_t *deleted);
/* Same-device flows (OpenID4VP 1.0 §8.2, HAIP): make a fresh one-time response code for
 * an answered session, keep its hash and put the code (base64url) in code. */
mobid_err verifier_session_response_code(mobid_store *s, const char *id, char code[44]);
/* May the result be handed over? True without a response code, else when code is it. */
bool verifier_response_code_ok(const verifier_session *vs, const char *code);
/* Hand the claims over once: marks session id's claims delivered and erases them, in
 * one conditional update. *taken: this call did it, so the sealed result read with the
 * session (verifier_session_load, status "verified") is the caller's to hand over;
 * false: they were handed over already (or the session is not verified). */
mobid_err verifier_session_take(mobid_store *s, const char *id, bool *taken);

/* AES-256-GCM sealing bound to an id (used as AAD): iv || ciphertext || tag. */
mobid_err verifier_seal(const verifier_ctx *ctx, const char *id, mobid_view plain, mobid_buf *out);
MOBID_MUST_CHECK mobid_err verifier_unseal(const verifier_ctx *ctx, const char *id,
                                           mobid_view sealed, mobid_buf *out);

/* ---- cache.c ---- */

#define VERIFIER_CACHE_SLOTS 4096

/* What a session's request object and answer need, all fixed at its creation: built
 * at creation or from a pending session read from the store, then shared read-only
 * and reference-counted. */
typedef struct verifier_fixed {
    char *id, *rp_id, *nonce, *state;
    char *redirect_uri;  /* same-device flows, or NULL */
    char *request_jwt;   /* a JWT stored by an older version, served as it is; or NULL */
    bool encrypted;      /* direct_post.jwt */
    mobid_key *key;      /* the ephemeral decryption key when encrypted, else NULL */
    mobid_dcql *query;   /* the parsed DCQL query */
    int64_t created_at, expires_at;
    atomic_long refs;
} verifier_fixed;

/* Build the fixed parts of vs (one reference, give it back with verifier_fixed_release).
 * query: the parsed query, taken over in every case; NULL parses vs->dcql. key: the
 * session's ephemeral key (a reference is taken); NULL unseals vs->enc_key when the
 * response mode is direct_post.jwt. Returns MOBID_OK, NOMEM, INVALID_ARG (a field
 * missing), or the errors of the query's parse and of the key's unsealing. */
mobid_err verifier_fixed_new(const verifier_ctx *ctx, const verifier_session *vs, mobid_dcql *query,
                             mobid_key *key, verifier_fixed **out);
verifier_fixed *verifier_fixed_ref(verifier_fixed *f);
void verifier_fixed_release(verifier_fixed *f); /* NULL is ignored */

/* A table of at most n_slots entries (rounded up to a power of two). Every function
 * below accepts a NULL cache: nothing is kept and nothing is found. Thread-safe. */
mobid_err verifier_cache_new(size_t n_slots, verifier_cache **out);
void verifier_cache_free(verifier_cache *c);
/* Keep f (a new reference), replacing whatever shared its slot. */
void verifier_cache_put(verifier_cache *c, verifier_fixed *f);
/* A new reference to session id's entry while now is before its expiry, else NULL. */
verifier_fixed *verifier_cache_get(verifier_cache *c, const char *id, mobid_time now);
/* Forget session id (answered, here or elsewhere); every entry for clear. */
void verifier_cache_drop(verifier_cache *c, const char *id);
void verifier_cache_clear(verifier_cache *c);

/* ---- check.c ---- */

typedef struct verifier_check {
    const verifier_ctx *ctx;
    const char *client_id;
    const char *nonce;
    const char *response_uri;
    mobid_view jwk_thumbprint;     /* raw 32 bytes for direct_post.jwt, else empty */
    const mobid_dcql *query;
    mobid_time now;
    unsigned *warnings;            /* out (may be NULL): MOBID_TRUST_WARN_* bits */
    bool *holder_proven;           /* out (may be NULL): set once a presentation's issuer
                                      signature and holder binding to this session held */
} verifier_check;

/* Verify every presentation of vp_token against the session and build *claims:
 * {"<credential query id>": {requested claims}} (an array of those for multiple).
 * detail (at least 160 bytes) says what failed. */
MOBID_MUST_CHECK mobid_err verifier_check_vp_token(const verifier_check *c, const json_t *vp_token,
                                                   json_t **claims, char *detail,
                                                   size_t detail_len);

/* The result a relying party reads: {"claims": claims, "warnings": [names of the
 * MOBID_TRUST_WARN_* bits, e.g. "DS_EKU_MISSING"]}; a new reference or NULL. */
json_t *verifier_result_json(const json_t *claims, unsigned warnings);

/* ---- qr.c ---- */

/* The session's request_uri (appended to ruri) and openid4vp:// deep link (appended
 * to link), both NUL-terminated. */
mobid_err verifier_deep_link(const verifier_ctx *ctx, const verifier_rp *rp, const char *id,
                             mobid_buf *ruri, mobid_buf *link);
/* The "qr" option of a creation request: absent, or an array of "png" and "svg".
 * INVALID_ARG for anything else. */
mobid_err verifier_qr_option(const json_t *asked, bool *png, bool *svg);
/* Put "qr_png" (a data: URL) and/or "qr_svg" of link into out. */
mobid_err verifier_qr_embed(const char *link, bool png, bool svg, json_t *out);
/* GET /api/v1/verifications/{id}/qr.png and qr.svg. */
mobid_err verifier_qr_routes(verifier_ctx *ctx, mobid_http_server *srv);

#endif
