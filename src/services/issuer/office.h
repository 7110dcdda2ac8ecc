/*
 * The issuer's offices-and-applications part: diplomatic offices, officers and their
 * sign-in, consular applications (eligibility, four-eyes approval, sealed PII) and
 * the hash-chained audit log (issuer_audit_* in issuer.h).
 *
 * Every function that acts for an officer takes the authenticated officer (`who`)
 * and scopes its queries by who->office_id; only a ministry admin crosses offices.
 * A function taking a connection `s` runs its own transaction on it (mobid_store_tx),
 * so s must not be inside one; every state change and its audit entry commit
 * together.
 *
 * Ownership: strings and JSON passed in are borrowed; JSON returned through **out is
 * owned by the caller (json_decref); detail is the caller's buffer, filled with a
 * sentence on failure and left empty when there is nothing to add (svc_error.h).
 */
#ifndef MOBID_ISSUER_OFFICE_H
#define MOBID_ISSUER_OFFICE_H

#include "services/issuer/issuer.h"

typedef enum issuer_role {
    ISSUER_ROLE_NONE = 0,
    ISSUER_ROLE_OFFICER,       /* takes applications, verifies, approves others' work */
    ISSUER_ROLE_SUPERVISOR,    /* + officers of the office, resume and revoke */
    ISSUER_ROLE_ADMIN          /* ministry admin: offices, every office's officers */
} issuer_role;

/* "officer", "supervisor", "ministry_admin" and back (ISSUER_ROLE_NONE if unknown). */
const char *issuer_role_name(issuer_role r);
issuer_role issuer_role_parse(const char *s);

/* An authenticated officer (a copy of the row; no secrets). */
typedef struct issuer_officer {
    char id[23];
    char username[65];
    char office_id[65];        /* "" for a ministry admin */
    issuer_role role;
} issuer_officer;

#define ISSUER_TOKEN_LEN 43    /* 32 random bytes in base64url */

/* ---- offices (offices.c) ---- */

/* Create or update offices from a JSON array of
 * {id, name, country, city, tz, accepts_from:"YYYY-MM-DD", wave} (the seed file
 * etc/offices.example.json, or one office from the API). who must be a ministry admin
 * (NULL = bootstrap from the command line, audited as "system"). Returns
 * MOBID_ERR_INVALID_ARG with detail for a bad entry (nothing written),
 * MOBID_SVC_ERR_ACCESS_DENIED, store errors. *count (may be NULL) gets the number written. */
MOBID_MUST_CHECK mobid_err issuer_offices_put(issuer_ctx *ctx, mobid_store *s,
                                              const issuer_officer *who, const json_t *list,
                                              size_t *count, char *detail, size_t detail_len);
/* Read a seed file and put its offices (as above, who = NULL). */
MOBID_MUST_CHECK mobid_err issuer_offices_seed(issuer_ctx *ctx, mobid_store *s,
                                               const char *path, size_t *count);
/* MOBID_OK when the office accepts applications at `now`; MOBID_ERR_NOT_FOUND,
 * MOBID_SVC_ERR_OFFICE_NOT_OPEN (with the opening date in *opens, 11 bytes, may be NULL). */
MOBID_MUST_CHECK mobid_err issuer_office_check_open(mobid_store *s, const char *office_id,
                                                    int64_t now, char *opens);
/* All offices (or the one with id when id is not NULL) as a JSON array. */
MOBID_MUST_CHECK mobid_err issuer_offices_json(mobid_store *s, const char *id, json_t **out);
/* Epoch seconds of 00:00 local time on civil day `days` in IANA zone tz.
 * MOBID_ERR_INVALID_ARG for an unknown zone. */
MOBID_MUST_CHECK mobid_err issuer_local_midnight(const char *tz, int64_t days, int64_t *out);

/* ---- officers and passwords (officers.c) ---- */

/* "scrypt$N$r$p$salt$hash" with a fresh 16-byte salt, N = 2^15, r = 8, p = 1 (out is
 * at least 128 bytes). */
MOBID_MUST_CHECK mobid_err issuer_password_hash(const char *password, char out[128]);
/* MOBID_OK when password matches stored (constant-time compare of the hash),
 * MOBID_ERR_UNAUTHENTICATED when not, MOBID_ERR_MALFORMED for a bad stored value. */
MOBID_MUST_CHECK mobid_err issuer_password_verify(const char *password, const char *stored);

/* NULL when password may be an officer's password, else why not: 12 to 256
 * characters, at least 6 different ones, not containing the user name, and at least
 * 8 characters outside common passwords and runs like "abc" or "123". */
const char *issuer_password_weak(const char *username, const char *password);

/* Create an officer. who: a ministry admin (any office, any role), a supervisor (own
 * office, role officer) or NULL (bootstrap). office_id NULL for a ministry admin,
 * required otherwise. Weak passwords are refused (issuer_password_weak). id (23 bytes)
 * gets the new officer's id. MOBID_SVC_ERR_ACCESS_DENIED, MOBID_ERR_INVALID_ARG (detail),
 * MOBID_ERR_NOT_FOUND (office), MOBID_SVC_ERR_STORE_CONFLICT (username taken). */
MOBID_MUST_CHECK mobid_err issuer_officer_create(issuer_ctx *ctx, mobid_store *s,
                                                 const issuer_officer *who,
                                                 const char *username, const char *display,
                                                 const char *office_id, const char *role,
                                                 const char *password, char id[23],
                                                 char *detail, size_t detail_len);
/* As issuer_officer_create by the system (a first start: who is NULL), but the
 * password is one-time: it was made for the officer and handed over, so the first
 * sign-in must choose a new one (MOBID_SVC_ERR_PASSWORD_CHANGE_REQUIRED until then). */
MOBID_MUST_CHECK mobid_err issuer_officer_create_one_time(issuer_ctx *ctx, mobid_store *s,
                                                          const char *username,
                                                          const char *display,
                                                          const char *office_id,
                                                          const char *role,
                                                          const char *password, char id[23],
                                                          char *detail, size_t detail_len);
/* If officer username's password is still `password` (one that was kept on disk and
 * handed over), make it one-time: the next sign-in must choose a new one. *marked
 * says whether it was; an account whose owner chose another password is left alone.
 * Audited as by "system". */
MOBID_MUST_CHECK mobid_err issuer_officer_make_one_time(mobid_store *s, const char *username,
                                                        const char *password, bool *marked);
/* Load an officer by id (NOT_FOUND, or UNAUTHENTICATED when disabled). */
MOBID_MUST_CHECK mobid_err issuer_officer_load(mobid_store *s, const char *id,
                                               issuer_officer *out);
/* Fill *out from the current row of a statement whose first columns are
 * id, username, office_id, role, disabled (UNAUTHENTICATED when disabled). */
MOBID_MUST_CHECK mobid_err issuer_officer_from_row(mobid_store_stmt *st, issuer_officer *out);
/* The officers who sees (own office; all for an admin) as a JSON array. */
MOBID_MUST_CHECK mobid_err issuer_officers_json(mobid_store *s, const issuer_officer *who,
                                                json_t **out);

/* ---- the sign-in guard (signin.c) ---- */

/* One sign-in attempt. username, password, source (the client address, see
 * issuer_request_source) and path ("api" or "console", for the audit log) are
 * borrowed; retry_after is set on SIGNIN_THROTTLED and BUSY. */
typedef struct issuer_signin {
    const char *username, *password, *source, *path;
    int64_t retry_after;
    const char *totp;          /* the authenticator code, when the officer has one */
    const char *new_password;  /* set the password to this after the check (required
                                  after an administrator's reset); may be NULL */
    char detail[MOBID_SVC_DETAIL_MAX]; /* out: why a second factor or a new password was
                                          refused; empty when there is nothing to add */
} issuer_signin;

/* Check a password behind the throttle described in signin.c: per account and source
 * lockout, per source lockout, a growing delay per account, a cap on concurrent
 * password hashing. Runs its own transactions; audits every failure and refusal.
 * MOBID_OK and *who, MOBID_ERR_UNAUTHENTICATED (wrong name or password, same answer),
 * MOBID_SVC_ERR_SIGNIN_THROTTLED (no password was checked; in->retry_after seconds),
 * MOBID_SVC_ERR_BUSY (too many password checks running; retry in a second), store errors. */
MOBID_MUST_CHECK mobid_err issuer_signin_check(issuer_ctx *ctx, mobid_store *s,
                                               issuer_signin *in, issuer_officer *who);
/* The client address for per-source limits: the peer, or the last X-Forwarded-For
 * entry when the peer is one of the configuration's "trusted_proxies" (out: 64 bytes). */
void issuer_request_source(const issuer_ctx *ctx, mobid_http_req *req, char out[64]);
/* Take / give back one of max concurrent password-hashing slots (false: none free). */
bool issuer_hash_slot_take(issuer_ctx *ctx, int64_t max);
void issuer_hash_slot_give(issuer_ctx *ctx);

/* ---- sign-in: API tokens and console sessions (auth.c) ---- */

/* Check the attempt (issuer_signin_check) and issue an API token (lifetime_s > 0) for
 * the CLI; only its SHA-256 is stored. token gets ISSUER_TOKEN_LEN chars + NUL.
 * Audited. Errors as issuer_signin_check. */
MOBID_MUST_CHECK mobid_err issuer_token_create(issuer_ctx *ctx, mobid_store *s,
                                               issuer_signin *in,
                                               const char *label, int64_t lifetime_s,
                                               char token[ISSUER_TOKEN_LEN + 1],
                                               issuer_officer *who);
/* The officer a bearer token belongs to; MOBID_ERR_UNAUTHENTICATED when unknown,
 * expired, revoked or the officer is disabled. */
MOBID_MUST_CHECK mobid_err issuer_token_check(mobid_store *s, const char *token,
                                              issuer_officer *who);
/* Revoke a token (the caller's own, or any for an admin). Audited. */
MOBID_MUST_CHECK mobid_err issuer_token_revoke(issuer_ctx *ctx, mobid_store *s,
                                               const issuer_officer *who, const char *token);

/* Console sign-in (the office console): a cookie session plus its CSRF token, both random and
 * stored hashed. session and csrf get ISSUER_TOKEN_LEN chars + NUL. */
MOBID_MUST_CHECK mobid_err issuer_session_create(issuer_ctx *ctx, mobid_store *s,
                                                 issuer_signin *in, int64_t lifetime_s,
                                                 char session[ISSUER_TOKEN_LEN + 1],
                                                 char csrf[ISSUER_TOKEN_LEN + 1],
                                                 issuer_officer *who);
/* The officer of a session cookie. csrf: the request's CSRF token for a state-changing
 * request (checked in constant time), NULL for a safe (GET) request.
 * MOBID_ERR_UNAUTHENTICATED for an unknown/expired/ended session or a CSRF mismatch. */
MOBID_MUST_CHECK mobid_err issuer_session_check(mobid_store *s, const char *session,
                                                const char *csrf, issuer_officer *who);
/* Sign out: the session stops working. */
MOBID_MUST_CHECK mobid_err issuer_session_end(issuer_ctx *ctx, mobid_store *s,
                                              const char *session);

/* ---- eligibility (eligibility.c) ---- */

typedef struct issuer_eligibility_rules {
    const char *nationality;   /* ISO 3166-1 alpha-2 of the issuing state, "KR" */
    issuer_eligibility card;   /* the card type's own rules */
} issuer_eligibility_rules;

/* The rules for card type ct: its "eligibility", with the issuing state from the
 * configuration's "applications"."nationality" (default "KR"); the configuration's
 * "applications"."min_age", when set, raises the card type's minimum age. */
void issuer_eligibility_rules_get(const issuer_ctx *ctx, const issuer_cardtype *ct,
                                  issuer_eligibility_rules *out);
/* Check an applicant (the application's PII object) on civil day `today`:
 * MOBID_SVC_ERR_INELIGIBLE_NATIONALITY (a foreigner for a nationals' card, or a national
 * for a foreigners' card), _RESIDENCE (not "permanent" abroad, or not living in the
 * issuing state, as the card type asks), _AGE (under min_age on today, from
 * birth_date), MOBID_SVC_ERR_PASSPORT_INVALID (no number, or no chip where the card type
 * wants an e-passport), MOBID_SVC_ERR_PASSPORT_EXPIRED (expiry on or before today),
 * MOBID_ERR_INVALID_ARG for a missing or malformed field. detail names the reason. */
MOBID_MUST_CHECK mobid_err issuer_eligibility_check(const issuer_eligibility_rules *rules,
                                                    const json_t *pii, int64_t today,
                                                    char *detail, size_t detail_len);

/* ---- applicant PII at rest (pii.c) ---- */

/* Seal the PII object under the data key, AAD "mobid-application:" || id, as base64url
 * text (*out heap, free()). */
MOBID_MUST_CHECK mobid_err issuer_pii_seal(const issuer_ctx *ctx, const char *app_id,
                                           const json_t *pii, char **out);
/* Open it again; MOBID_ERR_DECRYPT_FAILED when edited, moved to another row or sealed
 * under another key. */
MOBID_MUST_CHECK mobid_err issuer_pii_open(const issuer_ctx *ctx, const char *app_id,
                                           const char *sealed, json_t **out);
/* person_ref: HMAC of the registration number with '-' and spaces removed. */
MOBID_MUST_CHECK mobid_err issuer_person_ref(const issuer_ctx *ctx, const char *rrn,
                                             char out[65]);

/* ---- intake checks (intake.c) ---- */

/* The applicant object against card type ct: only its claims and the application's
 * own fields, none the server sets (issuing_office, computed claims), each of its
 * claim's type; texts of 1-128 characters without control or bidirectional-override
 * characters; bytes base64url of at most applications.portrait_max_bytes (100000).
 * MOBID_ERR_INVALID_ARG with detail filled. */
MOBID_MUST_CHECK mobid_err issuer_intake_check(const issuer_ctx *ctx, const issuer_cardtype *ct,
                                               const json_t *pii, char *detail, size_t detail_len);
/* The registration number's YYMMDD and century digit agree with birth_date, its sex
 * digit (odd male, even female) with sex (1/2) when given; MOBID_ERR_INVALID_ARG. */
MOBID_MUST_CHECK mobid_err issuer_intake_consistent(const json_t *pii,
                                                    char *detail, size_t detail_len);

/* ---- applications (applications.c) ---- */

/* Take an application at office_id (who's own office unless admin) for cardtype with
 * the applicant's PII (object with resident_registration_number, birth_date,
 * nationality, residence_status, country_of_residence, passport_number,
 * passport_expiry, e_passport and the card type's claims). Refusals:
 * MOBID_SVC_ERR_OFFICE_NOT_OPEN, eligibility errors, MOBID_SVC_ERR_APPLICATION_EXISTS,
 * MOBID_SVC_ERR_ACCESS_DENIED, MOBID_ERR_NOT_FOUND (office or card type). */
MOBID_MUST_CHECK mobid_err issuer_app_create(issuer_ctx *ctx, mobid_store *s,
                                             const issuer_officer *who, const char *office_id,
                                             const char *cardtype, const json_t *pii,
                                             char id[23], char *detail, size_t detail_len);
/* received → verified: passport and residency evidence checked in person (evidence:
 * object with non-empty "passport" and "residency" texts, at most 200 characters each,
 * sealed into the audit entry, e.g. {"passport":"seen","residency":"PR card"});
 * MOBID_ERR_INVALID_ARG without them. */
MOBID_MUST_CHECK mobid_err issuer_app_verify(issuer_ctx *ctx, mobid_store *s,
                                             const issuer_officer *who, const char *id,
                                             const json_t *evidence);
/* verified → approved; MOBID_SVC_ERR_FOUR_EYES when who verified it. */
MOBID_MUST_CHECK mobid_err issuer_app_approve(issuer_ctx *ctx, mobid_store *s,
                                              const issuer_officer *who, const char *id);
/* received/verified/approved/offer_expired → rejected with a reason. */
MOBID_MUST_CHECK mobid_err issuer_app_reject(issuer_ctx *ctx, mobid_store *s,
                                             const issuer_officer *who, const char *id,
                                             const char *reason);
/* offer_issued/offer_expired → cancelled (supervisor or admin, with a reason): the
 * offer's code and access tokens stop working; the person may apply again. */
MOBID_MUST_CHECK mobid_err issuer_app_cancel(issuer_ctx *ctx, mobid_store *s,
                                             const issuer_officer *who, const char *id,
                                             const char *reason);
/* approved (or offer_expired: offered again) → offer_issued: issuer_offer_create in the same transaction. *offer gets
 * the one-time secrets (issuer_offer_clear). */
MOBID_MUST_CHECK mobid_err issuer_app_offer(issuer_ctx *ctx, mobid_store *s,
                                            const issuer_officer *who, const char *id,
                                            issuer_offer *offer, char *detail, size_t detail_len);
/* As issuer_app_offer, and also from offer_issued (a code that was lost before any card
 * came of it): the outstanding offer is voided in the same transaction. */
MOBID_MUST_CHECK mobid_err issuer_app_offer_replace(issuer_ctx *ctx, mobid_store *s,
                                                    const issuer_officer *who, const char *id,
                                                    issuer_offer *offer,
                                                    char *detail, size_t detail_len);
/* One application as JSON; with_pii adds the decrypted applicant data. */
MOBID_MUST_CHECK mobid_err issuer_app_json(issuer_ctx *ctx, mobid_store *s,
                                           const issuer_officer *who, const char *id,
                                           bool with_pii, json_t **out);
/* Applications who may see (state filter and rrn lookup optional, NULL = any), newest
 * first, at most limit. */
MOBID_MUST_CHECK mobid_err issuer_apps_list(issuer_ctx *ctx, mobid_store *s,
                                            const issuer_officer *who, const char *state,
                                            const char *rrn, int64_t limit, json_t **out);
/* "suspend" (any officer), "resume" / "revoke" (supervisor or admin) of the card of
 * an application of who's office, with a reason; calls the lifecycle functions. */
MOBID_MUST_CHECK mobid_err issuer_app_card_action(issuer_ctx *ctx, mobid_store *s,
                                                  const issuer_officer *who, const char *id,
                                                  const char *action, const char *reason);

/* ---- audit: sealed free text and reading (audit.c) ---- */

/* Open every "sealed" member of a listing from issuer_audit_json back into its detail
 * ("sealed" becomes true); entries that do not open stay as they are. */
void issuer_audit_unseal_list(const issuer_ctx *ctx, json_t *entries);

/* Entries with seq > after, at most limit, as a JSON array (admin: all; others: the
 * entries their office's officers made). */
MOBID_MUST_CHECK mobid_err issuer_audit_json(mobid_store *s, const issuer_officer *who,
                                             int64_t after, int64_t limit, json_t **out);

#endif
