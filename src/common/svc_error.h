/*
 * mobid — the services' error codes, beside the library's.
 *
 * Errors come in two layers. <mobid/error.h> holds what libmobid itself can
 * return (codecs, signatures, trust, protocols, the wallet). The codes here
 * belong to the services and their infrastructure above lib/: the database
 * (src/store), verification sessions, the consular office's rules, sign-in and
 * load shedding. The library never returns one of them.
 *
 * Both share one number space and one wire vocabulary: a service function
 * returns a mobid_err that holds either a library code or one of the codes
 * below. Their numbers were taken from the library's list when the codes moved
 * here, so names and numbers on the wire, in JSON "error" fields, in the CLI and
 * in stored rows are unchanged; the library's list skips them for good. A new
 * service code takes the next number after the highest of both lists.
 *
 * mobid_svc_err_name() and mobid_svc_strerror() answer for both vocabularies;
 * code above lib/ uses them rather than mobid_err_name()/mobid_strerror(), which
 * know the library's codes only. A switch over such a value casts it to int,
 * since the service codes are not enumerators of mobid_err.
 *
 * Failure detail, one convention in every layer: a function that can say more
 * than its code takes the caller's `char *detail, size_t detail_len` buffer and
 * fills it (snprintf) with a sentence for people, or leaves it empty when there
 * is nothing to add. The library does so because its sentences carry values; the
 * services do the same with their fixed sentences (mobid_svc_detail()) and pass
 * the buffer down to the functions they call. Callers test detail[0]. Database
 * text stays in the server log (mobid_store_errmsg()), never in an answer.
 */
#ifndef MOBID_SVC_ERROR_H
#define MOBID_SVC_ERROR_H

#include <mobid/error.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* X(NAME, number, "message"), as in MOBID_ERR_LIST. */
#define MOBID_SVC_ERR_LIST(X)                                                          \
    X(STORE, 57, "database error")                                                     \
    X(STORE_CONFLICT, 58, "row violates a uniqueness constraint")                      \
    X(STORE_RETRY, 59, "transaction conflicted with another; retry it")                \
    X(SESSION_EXPIRED, 60, "verification session expired")                            \
    X(SESSION_USED, 61, "verification session already answered")                      \
    X(SESSION_MISMATCH, 62, "response belongs to another session")                    \
    X(OFFICE_NOT_OPEN, 65, "the office does not accept applications yet")              \
    X(ACCESS_DENIED, 66, "access denied (to this officer or office, or by the holder's wallet)") \
    X(FOUR_EYES, 67, "final approval must come from a second person")                 \
    X(INELIGIBLE_NATIONALITY, 68, "applicant is not a national")                      \
    X(INELIGIBLE_RESIDENCE, 69, "applicant is not a permanent resident abroad")       \
    X(INELIGIBLE_AGE, 70, "applicant is younger than the minimum age")                \
    X(PASSPORT_INVALID, 71, "passport is not a valid e-passport")                     \
    X(PASSPORT_EXPIRED, 72, "passport expires on or before today")                    \
    X(WRONG_STATE, 73, "action not allowed in the item's current state")              \
    X(APPLICATION_EXISTS, 74, "person already has an active application")             \
    X(SIGNIN_THROTTLED, 80, "too many failed sign-ins; try again later")              \
    X(BUSY, 81, "the server is busy; try again shortly")                              \
    X(CREDENTIAL_LIMIT, 85, "the offer's credentials were all issued")                \
    X(SESSION_ABANDONED, 99, "the answer to the session was interrupted")             \
    X(PASSWORD_CHANGE_REQUIRED, 101, "the password was reset: choose a new one to sign in") \
    X(SECOND_FACTOR_REQUIRED, 102, "a valid authenticator code is required")            \
    X(PASSPORT_CHANGED, 103, "the passport differs from the one the card was issued on") \
    X(RENEWAL_UNDELIVERABLE, 104, "the card's wallet holds no key-bound refresh token")

enum {
#define MOBID_SVC_ERR_NUM_(name, num, msg) MOBID_SVC_ERR_NUM_##name = num,
    MOBID_SVC_ERR_LIST(MOBID_SVC_ERR_NUM_)
#undef MOBID_SVC_ERR_NUM_
};

/* Each code as a mobid_err value, so it is returned, stored and compared like a
 * library code without an enum-conversion warning. */
#define MOBID_SVC_ERR_(name) ((mobid_err)MOBID_SVC_ERR_NUM_##name)
#define MOBID_SVC_ERR_STORE MOBID_SVC_ERR_(STORE)
#define MOBID_SVC_ERR_STORE_CONFLICT MOBID_SVC_ERR_(STORE_CONFLICT)
#define MOBID_SVC_ERR_STORE_RETRY MOBID_SVC_ERR_(STORE_RETRY)
#define MOBID_SVC_ERR_SESSION_EXPIRED MOBID_SVC_ERR_(SESSION_EXPIRED)
#define MOBID_SVC_ERR_SESSION_USED MOBID_SVC_ERR_(SESSION_USED)
#define MOBID_SVC_ERR_SESSION_MISMATCH MOBID_SVC_ERR_(SESSION_MISMATCH)
#define MOBID_SVC_ERR_OFFICE_NOT_OPEN MOBID_SVC_ERR_(OFFICE_NOT_OPEN)
#define MOBID_SVC_ERR_ACCESS_DENIED MOBID_SVC_ERR_(ACCESS_DENIED)
#define MOBID_SVC_ERR_FOUR_EYES MOBID_SVC_ERR_(FOUR_EYES)
#define MOBID_SVC_ERR_INELIGIBLE_NATIONALITY MOBID_SVC_ERR_(INELIGIBLE_NATIONALITY)
#define MOBID_SVC_ERR_INELIGIBLE_RESIDENCE MOBID_SVC_ERR_(INELIGIBLE_RESIDENCE)
#define MOBID_SVC_ERR_INELIGIBLE_AGE MOBID_SVC_ERR_(INELIGIBLE_AGE)
#define MOBID_SVC_ERR_PASSPORT_INVALID MOBID_SVC_ERR_(PASSPORT_INVALID)
#define MOBID_SVC_ERR_PASSPORT_EXPIRED MOBID_SVC_ERR_(PASSPORT_EXPIRED)
#define MOBID_SVC_ERR_WRONG_STATE MOBID_SVC_ERR_(WRONG_STATE)
#define MOBID_SVC_ERR_APPLICATION_EXISTS MOBID_SVC_ERR_(APPLICATION_EXISTS)
#define MOBID_SVC_ERR_SIGNIN_THROTTLED MOBID_SVC_ERR_(SIGNIN_THROTTLED)
#define MOBID_SVC_ERR_BUSY MOBID_SVC_ERR_(BUSY)
#define MOBID_SVC_ERR_CREDENTIAL_LIMIT MOBID_SVC_ERR_(CREDENTIAL_LIMIT)
#define MOBID_SVC_ERR_SESSION_ABANDONED MOBID_SVC_ERR_(SESSION_ABANDONED)
#define MOBID_SVC_ERR_PASSWORD_CHANGE_REQUIRED MOBID_SVC_ERR_(PASSWORD_CHANGE_REQUIRED)
#define MOBID_SVC_ERR_SECOND_FACTOR_REQUIRED MOBID_SVC_ERR_(SECOND_FACTOR_REQUIRED)
#define MOBID_SVC_ERR_PASSPORT_CHANGED MOBID_SVC_ERR_(PASSPORT_CHANGED)
#define MOBID_SVC_ERR_RENEWAL_UNDELIVERABLE MOBID_SVC_ERR_(RENEWAL_UNDELIVERABLE)

/* True when err is one of the service codes above. */
bool mobid_svc_err_is_service(mobid_err err);

/* Stable code name of a library or service code, e.g. "FOUR_EYES" or "EXPIRED";
 * "UNKNOWN" for a number in neither list. Never NULL; a static string. */
const char *mobid_svc_err_name(mobid_err err);

/* Human sentence for a library or service code; never NULL; a static string. */
const char *mobid_svc_strerror(mobid_err err);

/* Room for one failure sentence; callers size their detail buffers with it. */
#define MOBID_SVC_DETAIL_MAX 256

/* Fill detail (detail_len bytes, may be 0) with the sentence why, or empty it for NULL. */
static inline void mobid_svc_detail(char *detail, size_t detail_len, const char *why)
{
    if (detail && detail_len)
        snprintf(detail, detail_len, "%s", why ? why : "");
}

#endif
