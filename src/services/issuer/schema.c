/*
 * The issuer database: one ordered, append-only list of migrations (component
 * "issuer") shared by both parts of the service.
 *
 * Rules: never edit or renumber a migration that was committed; add a new one with
 * the next version number at the end of issuer_migrations[]. Portable SQL only (see
 * store.h): TEXT, BIGINT, times as epoch seconds; binary values are stored as
 * base64url TEXT so one statement serves SQLite and PostgreSQL.
 */
#include "services/issuer/issuer.h"

/* v1 — core + OpenID4VCI: offers, tokens, nonces, cards, credentials, status lists. */
static const char V1_CORE[] =
    /* document / status-list signers that signed anything (the PKI files hold keys) */
    "CREATE TABLE issuer_signers ("
    " id TEXT PRIMARY KEY,"             /* file stem, "ds-0001" */
    " kind TEXT NOT NULL,"              /* "ds" or "status" */
    " cert_sha256 TEXT NOT NULL UNIQUE,"
    " first_used_at BIGINT NOT NULL);"
    /* credential offers: the pre-authorized code and tx_code only as hashes */
    "CREATE TABLE issuer_offers ("
    " id TEXT PRIMARY KEY,"
    " application_id TEXT,"
    " cardtype TEXT NOT NULL,"
    " person_ref TEXT NOT NULL,"        /* HMAC of the person's registration number */
    " claims_sealed TEXT NOT NULL,"     /* AES-256-GCM under the data key, base64url */
    " code_hash TEXT NOT NULL UNIQUE,"  /* SHA-256 of the pre-authorized code, hex */
    " tx_code_hash TEXT NOT NULL,"
    " tx_failures BIGINT NOT NULL DEFAULT 0,"
    " created_at BIGINT NOT NULL,"
    " expires_at BIGINT NOT NULL,"
    " used_at BIGINT,"                  /* code exchanged for a token (single use) */
    " killed_at BIGINT,"                /* too many wrong tx_codes */
    " actor TEXT);"
    "CREATE INDEX issuer_offers_app ON issuer_offers (application_id);"
    /* access tokens from /token, stored hashed */
    "CREATE TABLE issuer_access_tokens ("
    " token_hash TEXT PRIMARY KEY,"
    " offer_id TEXT NOT NULL REFERENCES issuer_offers (id),"
    " created_at BIGINT NOT NULL,"
    " expires_at BIGINT NOT NULL);"
    /* c_nonces from /nonce: single use, short-lived */
    "CREATE TABLE issuer_nonces ("
    " nonce TEXT PRIMARY KEY,"
    " created_at BIGINT NOT NULL,"
    " expires_at BIGINT NOT NULL,"
    " used_at BIGINT);"
    "CREATE INDEX issuer_nonces_exp ON issuer_nonces (expires_at);"
    /* a card = one delivery of a card type to one phone; state: 0 active,
     * 1 replaced, 2 suspended, 3 revoked, 4 expired */
    "CREATE TABLE issuer_cards ("
    " id TEXT PRIMARY KEY,"
    " offer_id TEXT NOT NULL UNIQUE REFERENCES issuer_offers (id),"
    " application_id TEXT,"
    " cardtype TEXT NOT NULL,"
    " person_ref TEXT NOT NULL,"
    " state BIGINT NOT NULL,"
    " issued_at BIGINT NOT NULL,"
    " expires_at BIGINT NOT NULL,"
    " updated_at BIGINT NOT NULL,"
    " reason TEXT);"
    /* one active card per person and card type */
    "CREATE UNIQUE INDEX issuer_cards_one_active ON issuer_cards (person_ref, cardtype)"
    " WHERE state = 0;"
    "CREATE INDEX issuer_cards_app ON issuer_cards (application_id);"
    /* status lists and their entries; an index is taken once and never given again */
    "CREATE TABLE issuer_status_lists ("
    " id TEXT PRIMARY KEY,"
    " bits BIGINT NOT NULL,"
    " size BIGINT NOT NULL,"
    " allocated BIGINT NOT NULL DEFAULT 0,"
    " dirty BIGINT NOT NULL DEFAULT 1,"
    " version BIGINT NOT NULL DEFAULT 0,"
    " jwt TEXT,"
    " cwt TEXT,"                        /* base64url of the CWT bytes */
    " signed_at BIGINT,"
    " created_at BIGINT NOT NULL);"
    "CREATE TABLE issuer_status_entries ("
    " list_id TEXT NOT NULL REFERENCES issuer_status_lists (id),"
    " idx BIGINT NOT NULL,"
    " status BIGINT NOT NULL DEFAULT 0,"
    " created_at BIGINT NOT NULL,"
    " PRIMARY KEY (list_id, idx));"
    /* every credential handed out, with its holder key and status index */
    "CREATE TABLE issuer_credentials ("
    " id TEXT PRIMARY KEY,"
    " card_id TEXT NOT NULL REFERENCES issuer_cards (id),"
    " format TEXT NOT NULL,"            /* "mso_mdoc" or "dc+sd-jwt" */
    " holder_jkt TEXT NOT NULL,"        /* RFC 7638 thumbprint of the holder key */
    " signer_id TEXT NOT NULL,"
    " list_id TEXT NOT NULL,"
    " status_idx BIGINT NOT NULL,"
    " issued_at BIGINT NOT NULL,"
    " expires_at BIGINT NOT NULL,"
    " digest TEXT NOT NULL,"            /* SHA-256 of the credential as delivered, hex */
    " UNIQUE (list_id, status_idx),"
    " FOREIGN KEY (list_id, status_idx) REFERENCES issuer_status_entries (list_id, idx));"
    "CREATE INDEX issuer_credentials_card ON issuer_credentials (card_id);";

/* v2 — offices, officers, sign-in, consular applications, the audit chain. */
static const char V2_OFFICES[] =
    /* diplomatic offices; accepts_from_at is local midnight of accepts_from in tz */
    "CREATE TABLE issuer_offices ("
    " id TEXT PRIMARY KEY,"             /* short slug, "los-angeles" */
    " name TEXT NOT NULL,"
    " country TEXT NOT NULL,"           /* ISO 3166-1 alpha-2 */
    " city TEXT NOT NULL,"
    " tz TEXT NOT NULL,"                /* IANA time zone, "America/Los_Angeles" */
    " accepts_from TEXT NOT NULL,"      /* "YYYY-MM-DD", office-local */
    " accepts_from_at BIGINT NOT NULL,"
    " wave BIGINT NOT NULL DEFAULT 0,"
    " created_at BIGINT NOT NULL,"
    " updated_at BIGINT NOT NULL);"
    /* officers; a ministry admin has no office (office_id NULL) */
    "CREATE TABLE issuer_officers ("
    " id TEXT PRIMARY KEY,"
    " username TEXT NOT NULL UNIQUE,"
    " display_name TEXT NOT NULL,"
    " office_id TEXT REFERENCES issuer_offices (id),"
    " role TEXT NOT NULL,"              /* officer, supervisor, ministry_admin */
    " pw_hash TEXT NOT NULL,"           /* scrypt$N$r$p$salt$hash (base64url) */
    " disabled BIGINT NOT NULL DEFAULT 0,"
    " created_at BIGINT NOT NULL,"
    " updated_at BIGINT NOT NULL);"
    "CREATE INDEX issuer_officers_office ON issuer_officers (office_id);"
    /* API tokens for the CLI: only SHA-256 of the token is kept */
    "CREATE TABLE issuer_api_tokens ("
    " token_hash TEXT PRIMARY KEY,"
    " officer_id TEXT NOT NULL REFERENCES issuer_officers (id),"
    " label TEXT NOT NULL,"
    " created_at BIGINT NOT NULL,"
    " expires_at BIGINT NOT NULL,"
    " revoked_at BIGINT);"
    /* console sign-in sessions (cookie) with their CSRF token, both stored hashed */
    "CREATE TABLE issuer_sessions ("
    " session_hash TEXT PRIMARY KEY,"
    " officer_id TEXT NOT NULL REFERENCES issuer_officers (id),"
    " csrf_hash TEXT NOT NULL,"
    " created_at BIGINT NOT NULL,"
    " expires_at BIGINT NOT NULL,"
    " revoked_at BIGINT);"
    /* applications; PII sealed (AAD = id), person_ref = HMAC of the registration number */
    "CREATE TABLE issuer_applications ("
    " id TEXT PRIMARY KEY,"
    " office_id TEXT NOT NULL REFERENCES issuer_offices (id),"
    " cardtype TEXT NOT NULL,"
    " person_ref TEXT NOT NULL,"
    " state TEXT NOT NULL,"             /* received, verified, approved, offer_issued,
                                           card_issued, rejected, offer_expired */
    " pii_sealed TEXT NOT NULL,"
    " received_by TEXT NOT NULL,"
    " verified_by TEXT,"
    " verified_at BIGINT,"
    " approved_by TEXT,"
    " approved_at BIGINT,"
    " offer_id TEXT,"
    " reason TEXT,"
    " created_at BIGINT NOT NULL,"
    " updated_at BIGINT NOT NULL);"
    "CREATE INDEX issuer_applications_office ON issuer_applications (office_id, created_at);"
    "CREATE INDEX issuer_applications_person ON issuer_applications (person_ref);"
    /* one active application per person and card type */
    "CREATE UNIQUE INDEX issuer_applications_one_active"
    " ON issuer_applications (person_ref, cardtype)"
    " WHERE state IN ('received', 'verified', 'approved', 'offer_issued');"
    /* the hash-chained audit log and its head (catches a deleted last entry) */
    "CREATE TABLE issuer_audit ("
    " seq BIGINT PRIMARY KEY,"
    " at BIGINT NOT NULL,"
    " actor TEXT NOT NULL,"
    " action TEXT NOT NULL,"
    " subject TEXT NOT NULL,"
    " detail TEXT NOT NULL,"
    " prev_hash TEXT NOT NULL,"
    " hash TEXT NOT NULL);"
    "CREATE TABLE issuer_audit_head ("
    " id BIGINT PRIMARY KEY,"
    " seq BIGINT NOT NULL,"
    " hash TEXT NOT NULL);"
    "INSERT INTO issuer_audit_head (id, seq, hash) VALUES (1, 0,"
    " '0000000000000000000000000000000000000000000000000000000000000000');";

/* v3 — the sign-in guard's counters (signin.c): k is "p:user\x1fsource", "s:source",
 * "u:user" or "k:user\x1fsource" (a source the account signed in from). */
static const char V3_SIGNIN_GUARD[] =
    "CREATE TABLE issuer_signin_guard ("
    " k TEXT PRIMARY KEY,"
    " failures BIGINT NOT NULL,"
    " last_at BIGINT NOT NULL,"
    " locked_until BIGINT NOT NULL);";

/* v4 — who created each officer account (four eyes: an account does not count as a
 * second person next to the one who created it). */
static const char V4_OFFICER_CREATOR[] =
    "ALTER TABLE issuer_officers ADD COLUMN created_by TEXT;";

/* v5 — signed checkpoints of the audit chain (checkpoint.c), every one ever signed. */
static const char V5_AUDIT_CHECKPOINTS[] =
    "CREATE TABLE issuer_audit_checkpoints ("
    " seq BIGINT NOT NULL,"
    " head TEXT NOT NULL,"
    " iat BIGINT NOT NULL,"
    " jws TEXT NOT NULL,"
    " PRIMARY KEY (iat, seq));";

/* v6 — officer management (officer_admin.c): a reset password must be changed at the
 * next sign-in; an optional TOTP secret (sealed under the data key) and the last
 * 30-second step accepted (each code works once); offices that require it. */
static const char V6_OFFICER_ADMIN[] =
    "ALTER TABLE issuer_officers ADD COLUMN must_change_pw BIGINT NOT NULL DEFAULT 0;"
    "ALTER TABLE issuer_officers ADD COLUMN totp_sealed TEXT;"
    "ALTER TABLE issuer_officers ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0;"
    "ALTER TABLE issuer_offices ADD COLUMN require_totp BIGINT NOT NULL DEFAULT 0;";

/* v7 — tokens bound to the wallet's key (DPoP) and the refresh grant (refresh.c):
 * the key of each access token, credentials issued under a refreshed token, refresh
 * tokens, the rate of refreshes per card, and the jti of every DPoP proof seen. */
static const char V7_REFRESH[] =
    "ALTER TABLE issuer_access_tokens ADD COLUMN jkt TEXT;"  /* NULL: a bearer token */
    "ALTER TABLE issuer_access_tokens ADD COLUMN refreshed BIGINT NOT NULL DEFAULT 0;"
    "ALTER TABLE issuer_credentials ADD COLUMN grant_hash TEXT;" /* the refreshed token */
    "CREATE INDEX issuer_credentials_grant ON issuer_credentials (grant_hash);"
    "CREATE TABLE issuer_refresh_tokens ("
    " token_hash TEXT PRIMARY KEY,"
    " offer_id TEXT NOT NULL REFERENCES issuer_offers (id),"
    " jkt TEXT NOT NULL,"                /* RFC 7638 thumbprint of the wallet's DPoP key */
    " created_at BIGINT NOT NULL,"
    " expires_at BIGINT NOT NULL);"
    "CREATE TABLE issuer_refresh_rate ("
    " card_id TEXT PRIMARY KEY REFERENCES issuer_cards (id),"
    " window_start BIGINT NOT NULL,"
    " grants BIGINT NOT NULL);"
    "CREATE TABLE issuer_dpop_jtis ("
    " jti_hash TEXT PRIMARY KEY,"
    " expires_at BIGINT NOT NULL);"
    "CREATE INDEX issuer_dpop_jtis_exp ON issuer_dpop_jtis (expires_at);";

/* v8 — which status-list signer signed each list's tokens, so a list signed by an
 * older signer is signed again by the newest (`mobid pki add-status`) at its next
 * request (NULL: signed before this version, also signed again once). */
static const char V8_STATUS_SIGNER[] = "ALTER TABLE issuer_status_lists ADD COLUMN signer TEXT;";

/* v9 — the authorization-code flow (oid4vci_authz.c): one row per pushed authorization
 * request (kind 'par', keyed by its request_uri) and per authorization code (kind
 * 'code'), each single-use and short-lived, tied to the offer whose issuer_state it
 * carries and to the attested client, redirect_uri and PKCE challenge. */
static const char V9_AUTHZ[] =
    "CREATE TABLE issuer_authz ("
    " k TEXT PRIMARY KEY,"              /* SHA-256 hex of the request_uri or the code */
    " kind TEXT NOT NULL,"
    " offer_id TEXT NOT NULL REFERENCES issuer_offers (id),"
    " client_id TEXT NOT NULL,"
    " redirect_uri TEXT NOT NULL,"
    " challenge TEXT NOT NULL,"         /* S256 code_challenge */
    " state TEXT,"
    " details TEXT,"                    /* authorization_details (JSON) */
    " jkt TEXT,"                        /* DPoP key the code is bound to (RFC 9449 §10) */
    " created_at BIGINT NOT NULL,"
    " expires_at BIGINT NOT NULL,"
    " used_at BIGINT);"
    "CREATE INDEX issuer_authz_exp ON issuer_authz (expires_at);";

/* v10 — renewal (renewal.c): an offer that renews a card names it. Such an offer has no
 * code anyone knows; the wallet's key-bound refresh token moves to it and the new card
 * is made when that wallet picks up its batch. */
static const char V10_RENEWAL[] =
    "ALTER TABLE issuer_offers ADD COLUMN renews TEXT;"
    "CREATE INDEX issuer_offers_renews ON issuer_offers (renews);";

static const mobid_store_migration issuer_migrations[] = {
    { 1, V1_CORE, NULL },
    /* ---- offices, officers, sessions, applications, audit (applications part):
     * append here from version 2 on. ---- */
    { 2, V2_OFFICES, NULL },
    { 3, V3_SIGNIN_GUARD, NULL },
    { 4, V4_OFFICER_CREATOR, NULL },
    { 5, V5_AUDIT_CHECKPOINTS, NULL },
    { 6, V6_OFFICER_ADMIN, NULL },
    { 7, V7_REFRESH, NULL },
    { 8, V8_STATUS_SIGNER, NULL },
    { 9, V9_AUTHZ, NULL },
    { 10, V10_RENEWAL, NULL },
};

mobid_err issuer_schema_migrate(mobid_store *s)
{
    return mobid_store_migrate(s, "issuer", issuer_migrations,
                               sizeof issuer_migrations / sizeof issuer_migrations[0], NULL);
}
