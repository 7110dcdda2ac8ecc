/* Internals shared by the files of lib/statuslist/ (not installed). */
#ifndef MOBID_STATUSLIST_INT_H
#define MOBID_STATUSLIST_INT_H

#include <jansson.h>
#include <stdio.h>
#include <mobid/statuslist.h>

/* Parse JSON text of at most max bytes, duplicate members rejected. *out is a new
 * reference (NULL on error). Returns MOBID_OK, TOO_BIG or MALFORMED. */
mobid_err statuslist_json_load(mobid_view text, size_t max, json_t **out);
/* The list in a JSON object {"bits":B,"lst":"..."} (obj borrowed). */
mobid_err statuslist_from_json_obj(const json_t *obj, const mobid_statuslist_limits *lim,
                                   mobid_statuslist **out);

/* How far iat may lie in the future of the verification time (clock skew). */
#define STATUSLIST_IAT_SKEW 300

/* What verification needs besides the token; NULL trust means decode only
 * (no signature, chain, subject or time checks). */
typedef struct statuslist_verify_ctx {
    mobid_trust *trust;
    mobid_time at;
    const char *expected_uri;
    const mobid_statuslist_limits *limits;
} statuslist_verify_ctx;

/* Subject and time checks common to both forms (nothing when decoding only). */
mobid_err statuslist_check_claims(const statuslist_verify_ctx *c, const mobid_statuslist_token *t);
/* A zeroed token of the given format; NOMEM. */
mobid_err statuslist_token_alloc(mobid_statuslist_format format, mobid_statuslist_token **out);
/* ES256/384/512 or EdDSA by the key's curve; MOBID_ALG_NONE otherwise. */
mobid_alg statuslist_alg_for_key(const mobid_key *k);

/* The two forms (token_jwt.c, token_cwt.c): sign appends the token to out; read
 * parses and, with a trust set in c, verifies. */
mobid_err statuslist_sign_jwt(const mobid_statuslist *l, const mobid_statuslist_sign_params *p,
                              mobid_alg alg, mobid_time iat, mobid_buf *out);
mobid_err statuslist_sign_cwt(const mobid_statuslist *l, const mobid_statuslist_sign_params *p,
                              mobid_alg alg, mobid_time iat, mobid_buf *out);
mobid_err statuslist_read_jwt(mobid_view token, const statuslist_verify_ctx *c,
                              mobid_statuslist_token **out);
mobid_err statuslist_read_cwt(mobid_view token, const statuslist_verify_ctx *c,
                              mobid_statuslist_token **out);

#endif
