/*
 * Checking a parsed VICAL: each entry against its own certificate, the list's
 * signature and signer chain, its dates; then feeding its IACAs to a trust set
 * with their docType restrictions, and describing it as JSON.
 */
#include "trust_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Big-endian magnitudes equal once leading zeros are dropped. */
static bool same_number(mobid_view a, mobid_view b)
{
    while (a.len && !a.ptr[0])
        a = mobid_view_make(a.ptr + 1, a.len - 1);
    while (b.len && !b.ptr[0])
        b = mobid_view_make(b.ptr + 1, b.len - 1);
    return mobid_view_eq(a, b);
}

mobid_err trust_entry_check(mobid_vical_entry *e)
{
    mobid_buf b;
    mobid_err err = mobid_cert_parse(e->certificate, &e->cert);
    if (err != MOBID_OK)
        return err == MOBID_ERR_NOMEM ? err : MOBID_ERR_CERT_INVALID;
    mobid_buf_init(&b, 0);
    if (e->ski.len && mobid_cert_ski(e->cert, &b) == MOBID_OK &&
        !mobid_view_eq(e->ski, mobid_buf_view(&b)))
        err = MOBID_ERR_VICAL_INVALID;
    b.len = 0;
    if (err == MOBID_OK && e->serial.len && mobid_cert_serial(e->cert, &b) == MOBID_OK &&
        !same_number(e->serial, mobid_buf_view(&b)))
        err = MOBID_ERR_VICAL_INVALID;
    mobid_buf_free(&b);
    return err;
}

__attribute__((format(printf, 4, 5))) static mobid_err say(char *detail, size_t len,
                                                           mobid_err err, const char *fmt, ...)
{
    va_list ap;
    if (!detail || !len)
        return err;
    va_start(ap, fmt);
    vsnprintf(detail, len, fmt, ap);
    va_end(ap);
    return err;
}

/* The signer's chain and the signature, each failure under its VICAL name. */
static mobid_err check_signature(const mobid_vical *v, mobid_trust *anchors, mobid_time at,
                                 char *detail, size_t len)
{
    mobid_err err = mobid_cose_sign1_verify_x5chain(&v->sign1, anchors, at, MOBID_PURPOSE_VICAL,
                                                    mobid_view_make(NULL, 0),
                                                    mobid_view_make(NULL, 0),
                                                    mobid_cose_algs_all, NULL);
    switch (err) {
    case MOBID_OK:
        return MOBID_OK;
    case MOBID_ERR_SIGNATURE_INVALID:
    case MOBID_ERR_KEY_INVALID:
        return say(detail, len, MOBID_ERR_VICAL_SIGNATURE_INVALID,
                   "the VICAL signature does not verify with its signer's key");
    case MOBID_ERR_NOMEM:
        return err;
    case MOBID_ERR_NOT_FOUND:
        return say(detail, len, MOBID_ERR_VICAL_SIGNER_UNTRUSTED, "the VICAL has no x5chain");
    default:
        return say(detail, len, MOBID_ERR_VICAL_SIGNER_UNTRUSTED, "VICAL signer: %s (%s)",
                   mobid_strerror(err), mobid_err_name(err));
    }
}

mobid_err mobid_vical_verify(const mobid_vical *v, mobid_trust *anchors, mobid_time at,
                             bool allow_stale, char *detail, size_t detail_len)
{
    char when[21];
    if (!v || !anchors)
        return MOBID_ERR_INVALID_ARG;
    if (!at)
        at = mobid_now();
    mobid_err err = check_signature(v, anchors, at, detail, detail_len);
    if (err != MOBID_OK)
        return err;
    if (at < v->date) {
        mobid_time_format_rfc3339(v->date, when);
        return say(detail, detail_len, MOBID_ERR_VICAL_NOT_YET_VALID, "the VICAL is dated %s",
                   when);
    }
    if (v->has_next_update && at > v->next_update && !allow_stale) {
        mobid_time_format_rfc3339(v->next_update, when);
        return say(detail, detail_len, MOBID_ERR_VICAL_EXPIRED,
                   "the VICAL's nextUpdate %s has passed", when);
    }
    return MOBID_OK;
}

mobid_err mobid_vical_add_to_trust(const mobid_vical *v, mobid_trust *t, size_t *added)
{
    size_t n = 0;
    mobid_err err = v && t ? MOBID_OK : MOBID_ERR_INVALID_ARG;
    for (size_t i = 0; err == MOBID_OK && i < v->n_entries; i++) {
        const mobid_vical_entry *e = &v->entries[i];
        if (e->problem != MOBID_OK || !e->cert)
            continue;
        err = mobid_trust_add_for_doctypes(t, e->cert, e->doctypes, e->n_doctypes);
        n += err == MOBID_OK;
    }
    if (added)
        *added = n;
    return err;
}

/* ---- JSON ---- */

static json_t *time_json(mobid_time t)
{
    char s[21];
    return t && mobid_time_format_rfc3339(t, s) == MOBID_OK ? json_string(s) : json_null();
}

static json_t *text_json(mobid_view v)
{
    return v.len ? json_stringn((const char *)v.ptr, v.len) : json_null();
}

static json_t *hex_json(mobid_view v)
{
    mobid_buf b;
    mobid_buf_init(&b, 0);
    json_t *j = v.len && mobid_hex_encode(v, &b) == MOBID_OK
                    ? json_stringn((const char *)b.ptr, b.len) : json_null();
    mobid_buf_free(&b);
    return j;
}

static json_t *entry_json(const mobid_vical_entry *e)
{
    json_t *dt = json_array(), *o;
    mobid_buf subject;
    mobid_buf_init(&subject, 0);
    for (size_t i = 0; dt && i < e->n_doctypes; i++)
        json_array_append_new(dt, text_json(e->doctypes[i]));
    if (e->cert)
        (void)mobid_cert_subject(e->cert, &subject);
    o = json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "subject",
                  subject.len ? json_stringn((const char *)subject.ptr, subject.len) : json_null(),
                  "issuingCountry", text_json(e->issuing_country), "stateOrProvinceName",
                  text_json(e->state_or_province), "issuingAuthority",
                  text_json(e->issuing_authority), "docTypes", dt, "notBefore",
                  time_json(e->not_before), "notAfter", time_json(e->not_after), "serialNumber",
                  hex_json(e->serial), "ski", hex_json(e->ski), "problem",
                  e->problem ? json_string(mobid_err_name(e->problem)) : json_null());
    mobid_buf_free(&subject);
    return o;
}

mobid_err mobid_vical_to_json(const mobid_vical *v, json_t **out)
{
    if (!v || !out)
        return MOBID_ERR_INVALID_ARG;
    json_t *entries = json_array();
    for (size_t i = 0; entries && i < v->n_entries; i++)
        json_array_append_new(entries, entry_json(&v->entries[i]));
    *out = json_pack("{s:o,s:o,s:o,s:o,s:o,s:o}", "version", text_json(v->version),
                     "vicalProvider", text_json(v->provider), "date", time_json(v->date),
                     "nextUpdate", v->has_next_update ? time_json(v->next_update) : json_null(),
                     "vicalIssueID",
                     v->has_issue_id ? json_integer((json_int_t)v->issue_id) : json_null(),
                     "entries", entries);
    return *out ? MOBID_OK : MOBID_ERR_NOMEM;
}
