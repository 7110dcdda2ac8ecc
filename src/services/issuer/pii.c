/*
 * Applicant PII at rest: the whole applicant object sealed with AES-256-GCM under the
 * configured data key (issuer_seal: fresh IV per record), with AAD binding it to its
 * application id so a sealed value copied to another row does not open. Lookups by
 * resident registration number go through an HMAC (issuer_lookup_hash).
 */
#include "services/issuer/office.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AAD_PREFIX "mobid-application:"

static void make_aad(const char *app_id, char aad[96])
{
    snprintf(aad, 96, AAD_PREFIX "%s", app_id);
}

mobid_err issuer_pii_seal(const issuer_ctx *ctx, const char *app_id, const json_t *pii,
                          char **out)
{
    char aad[96];
    char *plain = NULL;
    mobid_buf sealed = { 0 }, text = { 0 };
    mobid_err err = MOBID_OK;

    *out = NULL;
    make_aad(app_id, aad);
    plain = json_dumps(pii, JSON_COMPACT | JSON_SORT_KEYS);
    if (!plain)
        return MOBID_ERR_NOMEM;
    mobid_buf_init(&sealed, 0);
    mobid_buf_init(&text, 0);
    err = issuer_seal(ctx, mobid_view_str(aad), mobid_view_str(plain), &sealed);
    if (err == MOBID_OK) err = mobid_b64url_encode(mobid_buf_view(&sealed), &text);
    if (err == MOBID_OK) err = mobid_buf_terminate(&text);
    if (err == MOBID_OK) *out = mobid_buf_detach_str(&text);
    if (err == MOBID_OK && !*out) err = MOBID_ERR_NOMEM;
    mobid_wipe(plain, strlen(plain));
    free(plain);
    mobid_buf_free(&sealed);
    mobid_buf_free(&text);
    return err;
}

mobid_err issuer_pii_open(const issuer_ctx *ctx, const char *app_id, const char *sealed,
                          json_t **out)
{
    char aad[96];
    mobid_buf raw = { 0 }, plain = { 0 };
    mobid_err err;

    *out = NULL;
    make_aad(app_id, aad);
    mobid_buf_init(&raw, 0);
    mobid_buf_init(&plain, 0);
    err = mobid_b64url_decode(mobid_view_str(sealed), &raw);
    if (err == MOBID_OK)
        err = issuer_unseal(ctx, mobid_view_str(aad), mobid_buf_view(&raw), &plain);
    if (err == MOBID_OK) {
        *out = json_loadb((const char *)plain.ptr, plain.len, JSON_REJECT_DUPLICATES, NULL);
        if (!json_is_object(*out)) {
            json_decref(*out);
            *out = NULL;
            err = MOBID_ERR_MALFORMED;
        }
    }
    mobid_buf_free(&raw);
    mobid_buf_free(&plain); /* wipes */
    return err;
}

mobid_err issuer_person_ref(const issuer_ctx *ctx, const char *rrn, char out[65])
{
    char norm[32];
    size_t n = 0;

    if (!rrn)
        return MOBID_ERR_INVALID_ARG;
    /* "900101-1234567" and "9001011234567" are the same person */
    for (const char *p = rrn; *p; p++) {
        if (*p == '-' || *p == ' ')
            continue;
        if (*p < '0' || *p > '9' || n + 1 >= sizeof norm)
            return MOBID_ERR_INVALID_ARG;
        norm[n++] = *p;
    }
    if (n != 13)
        return MOBID_ERR_INVALID_ARG;
    norm[n] = 0;
    mobid_err err = issuer_lookup_hash(ctx, mobid_view_make(norm, n), out);
    mobid_wipe(norm, sizeof norm);
    return err;
}
