/*
 * The one table from a mobid error to the HTTP status every service answers with,
 * and the one error body: {"error": the error's stable name, "detail": ...}. The
 * admin API, the console's pages and the verifier's API all use it, so a client sees
 * the same status and the same name for the same failure whichever service it asks.
 */
#include "http/server.h"

unsigned mobid_http_status_of(mobid_err err)
{
    switch ((int)err) {
    case MOBID_ERR_OK: return 200;
    case MOBID_ERR_UNAUTHENTICATED:
    case MOBID_SVC_ERR_SECOND_FACTOR_REQUIRED: return 401;
    case MOBID_SVC_ERR_ACCESS_DENIED:
    case MOBID_SVC_ERR_PASSWORD_CHANGE_REQUIRED:
    case MOBID_ERR_CLAIM_NOT_ALLOWED: return 403;
    case MOBID_ERR_NOT_FOUND: return 404;
    case MOBID_SVC_ERR_WRONG_STATE:
    case MOBID_SVC_ERR_FOUR_EYES:
    case MOBID_SVC_ERR_APPLICATION_EXISTS:
    case MOBID_SVC_ERR_SESSION_USED:
    case MOBID_SVC_ERR_STORE_CONFLICT: return 409;
    case MOBID_SVC_ERR_SESSION_EXPIRED: return 410;
    case MOBID_ERR_TOO_BIG: return 413;
    case MOBID_ERR_UNSUPPORTED: return 415;
    /* the request was understood and refused by a rule of the service */
    case MOBID_SVC_ERR_OFFICE_NOT_OPEN:
    case MOBID_SVC_ERR_INELIGIBLE_NATIONALITY:
    case MOBID_SVC_ERR_INELIGIBLE_RESIDENCE:
    case MOBID_SVC_ERR_INELIGIBLE_AGE:
    case MOBID_SVC_ERR_PASSPORT_INVALID:
    case MOBID_SVC_ERR_PASSPORT_EXPIRED:
    case MOBID_SVC_ERR_PASSPORT_CHANGED:
    case MOBID_SVC_ERR_RENEWAL_UNDELIVERABLE:
    case MOBID_SVC_ERR_CREDENTIAL_LIMIT: return 422;
    case MOBID_SVC_ERR_SIGNIN_THROTTLED:
    case MOBID_ERR_RATE_LIMITED: return 429;
    case MOBID_SVC_ERR_BUSY:
    case MOBID_SVC_ERR_STORE_RETRY: return 503;
    case MOBID_ERR_INVALID_ARG:
    case MOBID_ERR_MALFORMED:
    case MOBID_ERR_TRUNCATED:
    case MOBID_ERR_BAD_BASE64:
    case MOBID_ERR_BAD_HEX:
    case MOBID_ERR_BAD_TIME: return 400;
    default: return 500;
    }
}

mobid_err mobid_http_resp_err(mobid_http_resp *r, mobid_err err, const char *detail)
{
    unsigned status = mobid_http_status_of(err);
    if (status == 500)
        detail = "internal error"; /* store and crypto messages stay in the server log */
    return mobid_http_resp_error(r, status, mobid_svc_err_name(err),
                                 detail ? detail : mobid_svc_strerror(err));
}
