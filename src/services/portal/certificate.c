/*
 * Verified claims for display, and the sample resident registration certificate
 * ("주민등록표 등본" style) the Government 24 page issues after a verification. The
 * certificate's verification number is an HMAC of the verification id under the
 * portal's ticket key, so the portal can recompute it and nobody else can mint one.
 */
#include <stdio.h>
#include <string.h>
#include <mobid/crypto.h>
#include "services/portal/portal.h"
#include "services/provision/provision.h"

static mobid_err flatten_into(const json_t *j, json_t *out, int depth)
{
    const char *key;
    json_t *val;
    if (depth > 4)
        return MOBID_OK;
    json_object_foreach ((json_t *)j, key, val) {
        if (json_is_object(val)) {
            mobid_err err = flatten_into(val, out, depth + 1);
            if (err)
                return err;
        } else if (json_is_string(val) || json_is_number(val) || json_is_boolean(val)) {
            if (json_object_set(out, key, val))
                return MOBID_ERR_NOMEM;
        }
    }
    return MOBID_OK;
}

mobid_err portal_flatten_claims(const json_t *claims, json_t **out)
{
    mobid_err err = MOBID_OK;
    *out = json_object();
    if (!*out)
        return MOBID_ERR_NOMEM;
    if (json_is_array(claims)) {
        for (size_t i = 0; !err && i < json_array_size(claims); i++)
            err = json_is_object(json_array_get(claims, i))
                      ? flatten_into(json_array_get(claims, i), *out, 0) : MOBID_OK;
    } else if (json_is_object(claims)) {
        err = flatten_into(claims, *out, 0);
    }
    if (err) {
        json_decref(*out);
        *out = NULL;
    }
    return err;
}

/* "MOBID-XXXX-XXXX-XXXX" with digits of the MAC. Derived, not stored: the same
 * verification always prints the same number, and only the portal's key makes one. */
static mobid_err verification_number(const portal_ctx *ctx, const char *id, char number[32])
{
    uint8_t mac[MOBID_HASH_MAX];
    mobid_err err = portal_number_mac(ctx, id, mac);
    if (err)
        return err;
    unsigned d[3];
    for (int i = 0; i < 3; i++)
        d[i] = (((unsigned)mac[2 * i] << 8) | mac[2 * i + 1]) % 10000;
    snprintf(number, 32, "MOBID-%04u-%04u-%04u", d[0], d[1], d[2]);
    return MOBID_OK;
}

/* Claims the certificate and the page state otherwise: the name (as one row), the
 * portrait, and age flags (the certificate states the birth date itself). */
static bool folded(const char *claim)
{
    return !strncmp(claim, "family_name", 11) || !strncmp(claim, "given_name", 10) ||
           !strcmp(claim, "portrait") || !strncmp(claim, "age_", 4);
}

json_t *portal_shown(const portal_ctx *ctx, const json_t *flat)
{
    json_t *out = json_array();
    const char *key;
    const json_t *v;
    char label[256], text[512];
    const json_t *ct = prov_cardtype_for_claims(portal_cardtypes(ctx), flat);

    json_object_foreach ((json_t *)flat, key, v) {
        const json_t *cl = prov_claim_by_path(ct, key);
        prov_claim_label(cl, key, label, sizeof label);
        prov_value_text(cl, v, text, sizeof text);
        if (out && !json_is_object(v) && !json_is_array(v))
            json_array_append_new(out, json_pack("{s:s, s:s, s:s}", "claim", key, "label", label,
                                                 "value", text));
    }
    return out;
}

static void row(mobid_buf *b, const char *label, const char *text)
{
    mobid_buf_append_str(b, "<tr><th>");
    portal_html_escape(b, label);
    mobid_buf_append_str(b, "</th><td>");
    portal_html_escape(b, text);
    mobid_buf_append_str(b, "</td></tr>\n");
}

/* 성명: the whole name, then every other claim with the card type's label and words. */
static void rows(const portal_ctx *ctx, const json_t *flat, mobid_buf *html)
{
    char name[512];
    json_t *shown = portal_shown(ctx, flat);
    size_t i;
    const json_t *e;

    prov_person_name(flat, name, sizeof name);
    row(html, "성명 Name", name);
    json_array_foreach (shown, i, e) {
        const char *claim = json_string_value(json_object_get(e, "claim"));
        if (!folded(claim))
            row(html, json_string_value(json_object_get(e, "label")),
                json_string_value(json_object_get(e, "value")));
    }
    json_decref(shown);
}

mobid_err portal_certificate(const portal_ctx *ctx, const char *verification_id,
                             const json_t *flat, char number[32], mobid_buf *html)
{
    char issued[21];
    mobid_err err;

    if ((err = verification_number(ctx, verification_id, number)) ||
        (err = mobid_time_format_rfc3339(mobid_now(), issued)))
        return err;
    mobid_buf_append_str(html,
                         "<!DOCTYPE html>\n<html lang=\"ko\"><head><meta charset=\"utf-8\">"
                         "<title>주민등록표 등본 (Resident registration certificate)</title>"
                         "</head><body><h1>주민등록표 등본 <small>Resident registration "
                         "certificate (sample)</small></h1>\n<table>\n");
    rows(ctx, flat, html);
    mobid_buf_append_str(html, "</table>\n<p>발급일시 Issued: ");
    mobid_buf_append_str(html, issued);
    mobid_buf_append_str(html, "</p>\n<p>확인번호 Verification number: <strong>");
    mobid_buf_append_str(html, number);
    mobid_buf_append_str(html, "</strong></p>\n<p>모바일 신분증으로 본인 확인됨. Identity "
                               "verified with the mobile ID.</p>\n</body></html>\n");
    return html->err;
}
