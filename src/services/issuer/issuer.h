/*
 * The issuer service: shared context and the interfaces between its parts.
 *
 * Two parts live in src/services/issuer/:
 *   core + OpenID4VCI (service.c, config.c, pki.c, cardtypes.c, offer.c, oid4vci.c,
 *     credential.c, lifecycle.c, statuslists.c, seal.c, schema.c):
 *     configuration, PKI material, card types, credential offers, /token, /nonce,
 *     /credential, status lists and the card lifecycle;
 *   offices + applications (offices.c, officers.c, applications.c, audit.c, admin.c, ...):
 *     offices, officers, applications with eligibility and four-eyes approval, applicant
 *     PII, the hash-chained audit log and the /api/v1 admin API.
 * The applications part hands an approved application to the core with
 * issuer_offer_create(); the core calls issuer_audit_append() for every lifecycle
 * change. Both parts share one database schema (schema.c, append-only migrations).
 *
 * Threading: one issuer_ctx serves every HTTP thread. It is read-only after
 * issuer_ctx_new() returns (config, PKI, card types), except the signer list that
 * issuer_pki_reload() swaps under ctx->lock. Database work borrows a connection from
 * ctx->pool per request.
 *
 * Identifiers: applications, offers, cards and credentials are TEXT ids (random,
 * base64url, 22 characters); times are int64 seconds since the epoch.
 */
#ifndef MOBID_ISSUER_H
#define MOBID_ISSUER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>
#include <mobid/base.h>
#include <mobid/crypto.h>
#include "http/server.h"
#include "store/store.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct issuer_ctx issuer_ctx;
struct issuer_config;

/* ---- card types (configuration) ---- */

#define ISSUER_FMT_MDOC 1u   /* mso_mdoc */
#define ISSUER_FMT_SDJWT 2u  /* dc+sd-jwt */

typedef enum issuer_claim_kind {
    ISSUER_CLAIM_STRING = 0,
    ISSUER_CLAIM_DATE,    /* "YYYY-MM-DD": full-date in mdoc, string in SD-JWT */
    ISSUER_CLAIM_BOOL,
    ISSUER_CLAIM_INT,
    ISSUER_CLAIM_BYTES,   /* base64url in the application data; bstr in mdoc */
    ISSUER_CLAIM_COMPUTED, /* set by the issuer at issuance (issuer_computed says how) */
    ISSUER_CLAIM_JSON     /* any JSON value (arrays, objects), e.g. driving_privileges */
} issuer_claim_kind;

/* How a COMPUTED claim is made (the card type's "type"). */
typedef enum issuer_computed {
    ISSUER_COMPUTED_AGE_OVER = 0, /* "age_over": completed years from birth_date (Civil Act) */
    ISSUER_COMPUTED_AGE_BY_YEAR,  /* "age_by_year": from 1 January of the year of that age
                                     (Youth Protection Act) */
    ISSUER_COMPUTED_ISSUED_ON,    /* "issued_on": the card's issue date */
    ISSUER_COMPUTED_EXPIRES_ON,   /* "expires_on": the card's expiry date */
    ISSUER_COMPUTED_CARD_ID,      /* "card_id": the card's number */
    ISSUER_COMPUTED_VALUE         /* "value": a constant of the card type */
} issuer_computed;

typedef struct issuer_claim {
    char *name;           /* ISO 18013-5 element identifier, key of the application data */
    char *sd_path;        /* SD-JWT VC claim path, segments joined by '/' ("birthdate",
                             "age_equal_or_over/18"); never NULL */
    bool sd_array;        /* SD-JWT VC: the value wrapped in an array ("nationalities") */
    issuer_claim_kind kind;
    issuer_computed computed; /* COMPUTED: how */
    json_t *value;        /* COMPUTED VALUE: the constant (owned) */
    bool required;        /* the application must supply it (not for COMPUTED) */
    bool sensitive;       /* granted to relying parties only by name ("non_sensitive") */
    int age;              /* COMPUTED AGE_*: the age */
    char *display_ko;     /* labels for the console and the metadata (may be NULL) */
    char *display_en;
} issuer_claim;

/* Where an applicant must live. */
typedef enum issuer_residence {
    ISSUER_RESIDENCE_ANY = 0,
    ISSUER_RESIDENCE_PERMANENT_ABROAD, /* "permanent" residency in another country */
    ISSUER_RESIDENCE_ISSUING_STATE     /* residing in the issuing state */
} issuer_residence;

/* Who may receive a card type ("eligibility" of the card type). */
typedef struct issuer_eligibility {
    bool nationals;       /* true: nationals of the issuing state only; false: foreigners only */
    issuer_residence residence;
    int min_age;          /* completed years on the day of application */
    bool e_passport;      /* the passport must carry a chip */
} issuer_eligibility;

/* A card type's validity when its "validity_days" is absent: 3 years. */
#define ISSUER_VALIDITY_DAYS 1095

typedef struct issuer_cardtype {
    char *id;             /* "resident_card", "mdl", ... (also the configuration id prefix) */
    char *name;           /* display name */
    char *display_ko;     /* Korean display name (may be NULL) */
    char *doctype;        /* mdoc docType */
    char *ns;             /* mdoc namespace of the claims */
    char *vct;            /* SD-JWT VC type */
    unsigned formats;     /* ISSUER_FMT_* bits */
    int64_t validity_s;   /* a card's lifetime: "validity_days" (ISSUER_VALIDITY_DAYS) */
    char *person_key;     /* the application field that identifies the person (one
                             active card per person): "resident_registration_number" */
    issuer_eligibility eligibility;
    json_t *form;         /* the application fields, each completed from its claim:
                             [{name, type, ko, en, required, claim?, options?, default?}] */
    issuer_claim *claims;
    size_t nclaims;
} issuer_cardtype;

/* Credential configuration ids in the metadata are "<cardtype id>_mdoc" and
 * "<cardtype id>_sdjwt". Returns the card type and sets *format, or NULL. */
const issuer_cardtype *issuer_cardtype_by_config_id(const issuer_ctx *ctx,
                                                    const char *config_id, unsigned *format);
/* Parse a "card_types" array (NULL = the catalogue compiled in from
 * etc/card-types.json). *out freed with issuer_cardtypes_free. MOBID_ERR_MALFORMED
 * with a message on stderr. */
MOBID_MUST_CHECK mobid_err issuer_cardtypes_parse(const json_t *list, issuer_cardtype **out,
                                                  size_t *n);
void issuer_cardtypes_free(issuer_cardtype *cts, size_t n);
/* Replace a leading "{issuer_url}" in each card type's vct by cfg->issuer_url (when
 * set); the issuer serves the type metadata at the result. Idempotent. */
MOBID_MUST_CHECK mobid_err issuer_cardtypes_bind(struct issuer_config *cfg);
/* The card type with this id, or NULL. */
const issuer_cardtype *issuer_cardtype_find(const issuer_ctx *ctx, const char *id);

/* ---- configuration (config.c; etc/issuer.example.json documents every key) ---- */

typedef struct issuer_config {
    char *issuer_url;        /* credential issuer identifier = public base URL, no '/' at end */
    char *pki_dir;           /* written by `mobid pki init` */
    char *data_key_file;     /* 32-byte data key (hex or raw) for PII / claims at rest */
    char *pkcs11_pin_file;   /* token PIN for "signing_keys" and DIR/NAME.uri keys (else
                                $MOBID_PKCS11_PIN); "pkcs11_module" and "signing_keys"
                                are read from raw by issuer_ctx_new */
    int64_t offer_lifetime_s;   /* pre-authorized code lifetime (default 900) */
    unsigned tx_code_attempts;  /* wrong tx_codes that kill an offer (default 5) */
    unsigned tx_code_length;    /* digits (default 6) */
    int64_t token_lifetime_s;   /* access token lifetime (default 300) */
    int64_t nonce_lifetime_s;   /* c_nonce lifetime (default 300) */
    unsigned nonce_per_second;  /* POST /nonce per source address (default 20; 0 = no limit) */
    unsigned nonce_burst;       /* ... and its burst (default 100) */
    unsigned batch_size;        /* max proofs per credential request (default 10) */
    unsigned status_list_size;  /* entries per status list (default 131072) */
    int64_t status_list_ttl_s;  /* ttl claim of served lists (default 300) */
    int64_t status_list_validity_s; /* exp - iat of served lists (default 86400) */
    size_t max_body;            /* request body limit (default 64 KiB) */
    mobid_http_config http;     /* the "http" limits (http/limits.h); 0 = default */
    issuer_cardtype *cardtypes;
    size_t ncardtypes;
    char **haip_providers;   /* "haip"."wallet_providers": PEM files, paths resolved */
    size_t nhaip_providers;
    json_t *raw;             /* the whole parsed file (owned); other parts read their keys */
} issuer_config;

/* Parse a configuration file into *cfg (zeroed first). Returns MOBID_ERR_IO when the
 * file cannot be read, MOBID_ERR_MALFORMED with a message on stderr for a bad value. */
MOBID_MUST_CHECK mobid_err issuer_config_load(const char *path, issuer_config *cfg);
/* Parse from a JSON object (borrowed; a reference is kept in cfg->raw). */
MOBID_MUST_CHECK mobid_err issuer_config_from_json(json_t *j, issuer_config *cfg);
void issuer_config_free(issuer_config *cfg);

/* ---- PKI material (pki.c) ---- */

typedef struct issuer_signer {
    char *id;             /* file stem: "ds-0001" */
    mobid_key *key;       /* private key */
    mobid_cert *cert;     /* its certificate */
    mobid_time not_after;
    bool retired;         /* present for verification only, never signs new cards */
} issuer_signer;

typedef struct issuer_pki {
    mobid_cert *iaca;              /* the ministry root */
    issuer_signer *ds;             /* document signers, oldest first */
    size_t nds;
    issuer_signer status;          /* the status-list signer that signs: the newest valid
                                      status-NNNN, else "status" (older ones are not loaded) */
    mobid_cert *rp_ca;             /* relying-party CA certificate (no key loaded) */
} issuer_pki;

/* Where the private keys live. NULL (or all fields NULL) means files in DIR. */
typedef struct issuer_pki_keys {
    const char *module;   /* PKCS#11 module for token keys (a URI's module-path wins) */
    const char *token;    /* token label: new keys are made in this token (init) */
    const char *pin;      /* the token's user PIN (borrowed); NULL: no token keys */
    const json_t *uris;   /* {"ds-0001": "pkcs11:...", ...}: keys named by the issuer's
                             configuration ("signing_keys"); borrowed, may be NULL */
} issuer_pki_keys;

/* Load DIR as written by `mobid pki init` / `mobid pki add-ds`. A signer's key is
 * keys->uris[id], else DIR/<id>.key, else the token key named by DIR/<id>.uri. */
MOBID_MUST_CHECK mobid_err issuer_pki_load(const char *dir, const issuer_pki_keys *keys,
                                           issuer_pki **out);
/* The token PIN: the first line of pin_file, or else $MOBID_PKCS11_PIN; *pin is NULL
 * (and MOBID_OK) when neither is given. Free with free(). */
MOBID_MUST_CHECK mobid_err issuer_pki_pin(const char *pin_file, char **pin);
void issuer_pki_free(issuer_pki *p);
/* The newest document signer that is not retired and is valid at `now`; NULL if none. */
const issuer_signer *issuer_pki_current_ds(const issuer_pki *p, mobid_time now);

/* Create a PKI directory: iaca.{pem,key}, ds-0001.{pem,key}, status.{pem,key},
 * rp-ca.{pem,key}; keys written 0600 (with keys->token: made in the token, and
 * NAME.uri written instead of NAME.key). `name` goes into subject CNs, `issuer_url` into
 * the DS and status signer URI SANs. Refuses to overwrite (MOBID_ERR_IO). */
MOBID_MUST_CHECK mobid_err issuer_pki_init(const char *dir, const char *name,
                                           const char *issuer_url, const char *country,
                                           const issuer_pki_keys *keys);
/* Add a new document signer ds-NNNN (the next number) under the existing IACA; its
 * key goes where the IACA's is (the same token, or a file). It carries the IACA's
 * country; issuer_url NULL takes the one DIR/status.pem names (from init). It lives
 * life_s seconds from an hour ago (0 or more than the maximum: 457 days, Annex B). */
MOBID_MUST_CHECK mobid_err issuer_pki_add_ds(const char *dir, const char *issuer_url,
                                             int64_t life_s, const issuer_pki_keys *keys,
                                             char **new_id);
/* Add a new status-list signer status-NNNN (the next number; the first one, from init,
 * is "status") under the existing IACA, as issuer_pki_add_ds does (life_s: 0 or at most
 * 5 years). The issuer signs
 * every status list and audit checkpoint with the newest valid one from its next start. */
MOBID_MUST_CHECK mobid_err issuer_pki_add_status(const char *dir, const char *issuer_url,
                                                 int64_t life_s, const issuer_pki_keys *keys,
                                                 char **new_id);
/* A DER CRL of ca (signed by key) listing the document signers marked revoked
 * (DIR/ds-NNNN.revoked) that ca issued; cRLNumber is this_update. Appended to der. */
MOBID_MUST_CHECK mobid_err issuer_pki_crl(const char *dir, const mobid_cert *ca,
                                          const mobid_key *key, mobid_time this_update,
                                          mobid_time next_update, mobid_buf *der);
/* Re-sign DIR/iaca.crl and DIR/rp-ca.crl (valid 30 days) with the CA keys. */
MOBID_MUST_CHECK mobid_err issuer_pki_write_crls(const char *dir, const issuer_pki_keys *keys);
/* Mark a document signer revoked: it goes into the IACA's CRL (DIR/<id>.revoked). */
MOBID_MUST_CHECK mobid_err issuer_pki_revoke_ds(const char *dir, const char *id);
/* A CA's key when this process may use it (DIR/NAME.key, or DIR/NAME.uri with a
 * PIN); MOBID_ERR_NOT_FOUND when the key is kept elsewhere (offline). */
MOBID_MUST_CHECK mobid_err issuer_pki_load_ca_key(const char *dir, const char *name,
                                                  const issuer_pki_keys *keys, mobid_key **key);
/* Mark a signer retired (writes DIR/<id>.retired): a document signer ds-NNNN or a
 * status-list signer status-NNNN stops signing. INVALID_ARG for another id. */
MOBID_MUST_CHECK mobid_err issuer_pki_retire_ds(const char *dir, const char *id);

/* ---- the service context ---- */

struct issuer_ctx {
    issuer_config cfg;
    issuer_pki *pki;
    mobid_store_pool *pool;
    uint8_t data_key[32];     /* from cfg.data_key_file; seal.c and the PII code use it */
    uint8_t lookup_key[32];   /* HKDF(data_key, "mobid issuer lookup"): HMAC key for
                                 searchable values such as the registration number */
    pthread_mutex_t lock;     /* guards pki swaps and status list regeneration */
    mobid_http_server *srv;   /* set by issuer_serve (NULL in unit tests) */
    struct mobid_ratelimit *nonce_rate; /* owned by the server; NULL: no limit */
    unsigned pw_hashing;      /* password hashes running now (signin.c caps it) */
    int64_t purge_due;        /* when purge.c runs next (epoch seconds) */
    /* refresh.c: the refresh grant and DPoP ("refresh" in the configuration) */
    bool refresh_enabled, dpop_required;
    int64_t refresh_max, refresh_period_s;
    /* oid4vci_authz.c: the HAIP profile ("haip" in the configuration) */
    bool haip;                /* authorization code + PKCE + PAR + wallet attestation on */
    bool haip_pre_auth;       /* ... and the pre-authorized grant still offered beside it */
    struct mobid_key **wallet_keys; /* trusted wallet-provider keys (owned) */
    size_t nwallet_keys;
    struct mobid_trust *wallet_roots; /* trusted wallet-provider CAs for x5c (owned) */
    struct issuer_crls *crls; /* crl.c: the CAs' CRLs and the keys that keep them current */
};

/* Build a context: load cfg (owned by the ctx afterwards), the PKI, the data key,
 * open a pool to db_url and run the migrations. *out freed with issuer_ctx_free. */
MOBID_MUST_CHECK mobid_err issuer_ctx_new(issuer_config *cfg, const char *db_url,
                                          issuer_ctx **out);
void issuer_ctx_free(issuer_ctx *ctx);

/* Run the migrations of schema.c (component "issuer"). */
MOBID_MUST_CHECK mobid_err issuer_schema_migrate(mobid_store *s);

/* Borrow / return a store connection for one request. */
MOBID_MUST_CHECK mobid_err issuer_db(issuer_ctx *ctx, mobid_store **out);
void issuer_db_release(issuer_ctx *ctx, mobid_store *s);

/* ---- sealing values at rest (seal.c): AES-256-GCM under ctx->data_key ---- */

/* out = iv(12) || ciphertext || tag(16); aad binds the value to its row (e.g. the id).
 * Returns MOBID_ERR_CRYPTO / NOMEM. */
mobid_err issuer_seal(const issuer_ctx *ctx, mobid_view aad, mobid_view plain, mobid_buf *out);
/* Inverse; MOBID_ERR_DECRYPT_FAILED when tampered or sealed under another key. */
MOBID_MUST_CHECK mobid_err issuer_unseal(const issuer_ctx *ctx, mobid_view aad,
                                         mobid_view sealed, mobid_buf *out);
/* HMAC-SHA-256(lookup_key, value) as lowercase hex (65 bytes with NUL). */
mobid_err issuer_lookup_hash(const issuer_ctx *ctx, mobid_view value, char out[65]);

/* A fresh random id (22 base64url chars + NUL). */
mobid_err issuer_new_id(char out[23]);

/* ---- offers (offer.c): the hand-over point from an approved application ---- */

typedef struct issuer_offer_req {
    const char *application_id; /* the approved application (NULL in core-only tests) */
    const char *cardtype;       /* issuer_cardtype id */
    const char *person_ref;     /* stable, non-PII person key: issuer_lookup_hash of the
                                   registration number; one active card per person+type */
    const json_t *claims;       /* claim values of the card type (object, borrowed);
                                   sealed into the offer row */
    const char *actor;          /* officer id for the audit log (NULL = "system") */
} issuer_offer_req;

typedef struct issuer_offer {
    char offer_id[23];
    char pre_auth_code[44];    /* 32 random bytes base64url; shown once, stored hashed */
    char tx_code[12];          /* the digits; shown once, stored hashed */
    char *offer_json;          /* the credential_offer object (owned; free()) */
    char *offer_uri;           /* openid-credential-offer://?credential_offer=... (owned) */
    char *offer_ref_uri;       /* openid-credential-offer://?credential_offer_uri=... (owned) */
    int64_t expires_at;
} issuer_offer;

/* Create an offer inside the caller's transaction s (the applications part moves the
 * application to "offer issued" in the same transaction). The secrets in *out are
 * returned only here. Returns MOBID_ERR_NOT_FOUND for an unknown card type,
 * MOBID_ERR_INVALID_ARG for claims that do not fit the card type (message in detail,
 * empty otherwise), store errors. Free *out with issuer_offer_clear. */
MOBID_MUST_CHECK mobid_err issuer_offer_create(issuer_ctx *ctx, mobid_store *s,
                                               const issuer_offer_req *req, issuer_offer *out,
                                               char *detail, size_t detail_len);
void issuer_offer_clear(issuer_offer *o);

/* Offer state for the admin API: "pending", "used", "expired", "killed", or "stale"
 * (the code was redeemed, no card came of it and every access token expired: the phone
 * died after /token, or /credential failed). */
MOBID_MUST_CHECK mobid_err issuer_offer_state(issuer_ctx *ctx, mobid_store *s,
                                              const char *offer_id, char state[16]);
/* Void an offer (cancelled by a supervisor): its code and access tokens stop working.
 * Runs inside the caller's transaction. */
MOBID_MUST_CHECK mobid_err issuer_offer_kill(mobid_store *s, const char *offer_id);

/* SQL condition on issuer_offers: the pre-authorized code may be exchanged (again)
 * while no credential was issued for the offer. A wallet killed after the token
 * answer, or one that lost its token, can then retry the offer; once a card exists
 * the code is spent. Each exchange still needs the tx_code. */
#define ISSUER_OFFER_REDEEMABLE                                                         \
    "(used_at IS NULL OR NOT EXISTS (SELECT 1 FROM issuer_cards c"                      \
    " WHERE c.offer_id = issuer_offers.id))"

/* ---- cards and their lifecycle (lifecycle.c) ----
 * A card is one delivery of a card type to one phone (holder key); its credentials
 * (a batch, both formats) share the card's state. Status list values:
 * 0 VALID, 1 INVALID (replaced or revoked), 2 SUSPENDED. */

typedef enum issuer_card_state {
    ISSUER_CARD_ACTIVE = 0,
    ISSUER_CARD_REPLACED,   /* a newer card for the same person and type was delivered */
    ISSUER_CARD_SUSPENDED,
    ISSUER_CARD_REVOKED,
    ISSUER_CARD_EXPIRED
} issuer_card_state;

const char *issuer_card_state_name(issuer_card_state s);

/* card_ref: a card id, an offer id, or an application id (then the application's
 * active card).
 * Each runs one transaction on its own connection: updates the card, sets the status
 * bits of all its credentials, marks the lists dirty, appends an audit entry
 * (actor, reason). Returns MOBID_ERR_NOT_FOUND, MOBID_ERR_INVALID_ARG for a transition
 * that is not allowed (resume of a revoked card, ...), store errors. The status lists
 * are re-signed before returning. */
MOBID_MUST_CHECK mobid_err issuer_card_suspend(issuer_ctx *ctx, const char *card_ref,
                                               const char *actor, const char *reason);
MOBID_MUST_CHECK mobid_err issuer_card_resume(issuer_ctx *ctx, const char *card_ref,
                                              const char *actor, const char *reason);
MOBID_MUST_CHECK mobid_err issuer_card_revoke(issuer_ctx *ctx, const char *card_ref,
                                              const char *actor, const char *reason);
/* Mark cards past their expiry EXPIRED (status bits stay; the credential exp decides). */
MOBID_MUST_CHECK mobid_err issuer_cards_expire(issuer_ctx *ctx, int64_t now, int64_t *count);
/* A card as JSON {id, application_id, cardtype, state, issued_at, expires_at,
 * credentials:[{id, format, status_list, status_idx}], renewal_pending (a renewal
 * waits for the wallet, renewal.h)}; *out owned by the caller. */
MOBID_MUST_CHECK mobid_err issuer_card_json(issuer_ctx *ctx, mobid_store *s,
                                            const char *card_ref, json_t **out);

/* ---- status lists (statuslists.c) ---- */

/* Re-sign every list marked dirty (JWT and CWT), storing the tokens. */
MOBID_MUST_CHECK mobid_err issuer_statuslists_refresh(issuer_ctx *ctx, mobid_store *s);

/* ---- audit (implemented by the applications part in audit.c) ---- */

/* Append one entry to the hash-chained log inside the caller's transaction s.
 * actor: officer id or "system"/"holder"; action: "card.suspend", "offer.create", ...;
 * subject: the id acted on; detail_json: a JSON object text or NULL. */
MOBID_MUST_CHECK mobid_err issuer_audit_append(issuer_ctx *ctx, mobid_store *s, const char *actor,
                                               const char *action, const char *subject,
                                               const char *detail_json);
/* Move the members keys (NULL-terminated) of detail into one "sealed" member:
 * AES-256-GCM under the data key, AAD "mobid-audit:" || subject, base64url. Nothing
 * happens when none is present. */
MOBID_MUST_CHECK mobid_err issuer_audit_seal(const issuer_ctx *ctx, const char *subject,
                                             json_t *detail, const char *const *keys);
/* Walk the whole chain; MOBID_ERR_DIGEST_MISMATCH when an entry was edited or
 * deleted (*bad_seq, may be NULL, gets its sequence number). */
MOBID_MUST_CHECK mobid_err issuer_audit_verify(mobid_store *s, int64_t *checked,
                                               int64_t *bad_seq);

/* As issuer_audit_verify, and at_hash (65 bytes, may be NULL) gets the chain's hash
 * after entry at_seq as recomputed from the start (64 zeros for 0; "" when the chain
 * is shorter or broken before it): what an audit checkpoint of at_seq must name. */
MOBID_MUST_CHECK mobid_err issuer_audit_verify_at(mobid_store *s, int64_t at_seq,
                                                  char at_hash[65], int64_t *checked,
                                                  int64_t *bad_seq);

/* ---- audit checkpoints (checkpoint.c) ----
 * A checkpoint is a compact JWS (typ "mobid-audit-checkpoint+jwt", x5c: the
 * status-list signer's certificate, which chains to the IACA) over
 * {"iss":issuer_url, "seq":N, "head":hex hash after entry N, "iat":time}. Saved
 * elsewhere, it pins the first N entries: rewriting any of them, even with the whole
 * tail and the head row recomputed, changes the hash at N. */

/* Sign a checkpoint of the chain as it is now; *jws heap (free()). */
MOBID_MUST_CHECK mobid_err issuer_audit_checkpoint(issuer_ctx *ctx, mobid_store *s, char **jws);
/* The newest stored checkpoint, signing and storing a new one first when the chain
 * moved and the newest is older than max_age_s (or none exists). *jws heap (free()). */
MOBID_MUST_CHECK mobid_err issuer_audit_checkpoint_latest(issuer_ctx *ctx, mobid_store *s,
                                                          int64_t max_age_s, char **jws);
/* GET /audit/checkpoint: the latest checkpoint as JSON {checkpoint, seq, head, iat}. */
mobid_err issuer_routes_checkpoint(mobid_http_server *srv, issuer_ctx *ctx);

/* ---- HTTP ---- */

/* OpenID4VCI + status lists (oid4vci.c, statuslists.c): /.well-known/..., /token, /nonce,
 * /credential, /offers/{id}, /status/{list}. */
mobid_err issuer_routes_oid4vci(mobid_http_server *srv, issuer_ctx *ctx);
/* /api/v1/... admin API of the applications part (admin.c). */
mobid_err issuer_routes_admin(mobid_http_server *srv, issuer_ctx *ctx);

/* Start the service on listen ("HOST:PORT"); blocks until SIGINT/SIGTERM. Prints
 * {"listen":URL} on stdout once listening (tests read the port from it). */
MOBID_MUST_CHECK mobid_err issuer_serve(issuer_ctx *ctx, const char *listen);

#ifdef __cplusplus
}
#endif
#endif
