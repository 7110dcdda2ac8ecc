/*
 * Officer management by the ministry administrator (officer_admin.c): disabling and
 * re-enabling an account, resetting its password (the officer must choose a new one
 * at the next sign-in), an optional TOTP second factor (RFC 6238: SHA-1, 6 digits,
 * 30 s steps, what authenticator apps use) and offices that require it. Each action
 * is one transaction with its audit entry; the ones that take access away also end
 * the officer's console sessions and API tokens.
 *
 * Errors: MOBID_SVC_ERR_ACCESS_DENIED (who is not a ministry admin),
 * MOBID_ERR_NOT_FOUND (no such officer or office), MOBID_ERR_INVALID_ARG (detail:
 * an administrator acting on their own account), store errors. Strings are borrowed.
 */
#ifndef MOBID_ISSUER_OFFICER_ADMIN_H
#define MOBID_ISSUER_OFFICER_ADMIN_H

#include "services/issuer/office.h"

#define ISSUER_TEMP_PASSWORD_LEN 20   /* characters of a reset password */
#define ISSUER_TOTP_SECRET_B32 33     /* 20 random bytes in base32 (32) + NUL */

/* Disable (true) or enable (false) officer id. */
MOBID_MUST_CHECK mobid_err issuer_officer_set_disabled(issuer_ctx *ctx, mobid_store *s,
                                                       const issuer_officer *who, const char *id,
                                                       bool disabled,
                                                       char *detail, size_t detail_len);
/* A random temporary password (temp gets ISSUER_TEMP_PASSWORD_LEN chars + NUL, shown
 * once) that only lets the officer choose a new one. */
MOBID_MUST_CHECK mobid_err issuer_officer_reset_password(issuer_ctx *ctx, mobid_store *s,
                                                         const issuer_officer *who,
                                                         const char *id,
                                                         char temp[ISSUER_TEMP_PASSWORD_LEN + 1],
                                                         char *detail, size_t detail_len);
/* A new TOTP secret for officer id, sealed under the data key; secret gets it in
 * base32 and *uri (heap, free()) the otpauth:// URI for an authenticator app, both
 * shown once. Replaces an earlier secret. */
MOBID_MUST_CHECK mobid_err issuer_officer_totp_set(issuer_ctx *ctx, mobid_store *s,
                                                   const issuer_officer *who, const char *id,
                                                   char secret[ISSUER_TOTP_SECRET_B32],
                                                   char **uri, char *detail, size_t detail_len);
/* Remove officer id's second factor (a lost phone). */
MOBID_MUST_CHECK mobid_err issuer_officer_totp_clear(issuer_ctx *ctx, mobid_store *s,
                                                     const issuer_officer *who, const char *id,
                                                     char *detail, size_t detail_len);
/* Require (true) or not a second factor for every officer of office_id. */
MOBID_MUST_CHECK mobid_err issuer_office_require_totp(issuer_ctx *ctx, mobid_store *s,
                                                      const issuer_officer *who,
                                                      const char *office_id, bool required);

/* Called by the sign-in guard once the password is right: the second factor when the
 * officer has one or the office requires it (in->totp, each 30 s step used once),
 * then a forced or asked-for password change (in->new_password, checked by
 * issuer_password_weak; *in->detail says why not). Returns MOBID_OK,
 * MOBID_SVC_ERR_SECOND_FACTOR_REQUIRED (*counted: a wrong code, which counts as a failed
 * sign-in; a missing one does not), MOBID_SVC_ERR_PASSWORD_CHANGE_REQUIRED,
 * MOBID_ERR_INVALID_ARG (weak new password), store errors. */
MOBID_MUST_CHECK mobid_err issuer_signin_second(issuer_ctx *ctx, mobid_store *s,
                                                issuer_signin *in, const issuer_officer *who,
                                                bool *counted);

/* The officer behind an admin API request: a bearer token, else the console session
 * cookie plus X-CSRF-Token on anything but GET (admin_api.c). */
MOBID_MUST_CHECK mobid_err issuer_admin_authenticate(mobid_http_req *req, mobid_store *s,
                                                     issuer_officer *who);

/* One admin API call: *out (owned by the caller's answer) or a refusal, its sentence
 * in the detail buffer (empty when the code says all). */
typedef mobid_err (*issuer_admin_fn)(issuer_ctx *ctx, mobid_store *s, const issuer_officer *who,
                                     mobid_http_req *req, json_t **out,
                                     char *detail, size_t detail_len);
/* Borrow a connection, authenticate (issuer_admin_authenticate), run fn and answer its
 * JSON with 200 or its refusal as {"error","detail"}; no-store (officer_admin_api.c). */
mobid_err issuer_admin_answer(mobid_http_req *req, mobid_http_resp *resp, issuer_ctx *ctx,
                              issuer_admin_fn fn);

/* Admin API routes: POST /api/v1/officers/{id}/disable|enable|password-reset|totp|
 * totp-remove and POST /api/v1/offices/{id}/require-totp. */
mobid_err issuer_routes_officer_admin(mobid_http_server *srv, issuer_ctx *ctx);

#endif
