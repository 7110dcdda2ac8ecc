/*
 * In person (ISO 18013-5), what the holder checks before anything is shown: the
 * reader's certificate (readerAuth, chained to the relying-party CA with the
 * 18013-5 reader EKU), its ministry-signed registration (carried in the
 * ItemsRequest's requestInfo under "registration", bound to that certificate),
 * and that every item asked is within the registration. Then the credential
 * that answers and the history entry.
 */
#include <stdio.h>
#include <string.h>

#include <mobid/cose.h>
#include "wallet_in_person.h"

/* The registration JWT of requestInfo {"registration": text}. */
static mobid_err registration_text(const mobid_px_doc_request *d, char **out)
{
    mobid_cbor_item info, v;
    mobid_view text;
    *out = NULL;
    if (!d->request_info.len)
        return MOBID_ERR_NOT_FOUND;
    if (mobid_cbor_decode_exact(d->request_info, NULL, &info) != MOBID_OK ||
        info.type != MOBID_CBOR_MAP)
        return MOBID_ERR_MALFORMED;
    if (mobid_cbor_map_get_text(&info, "registration", &v) != MOBID_OK)
        return MOBID_ERR_NOT_FOUND;
    if (mobid_cbor_get_text(&v, &text) != MOBID_OK || memchr(text.ptr, 0, text.len))
        return MOBID_ERR_MALFORMED;
    *out = mobid_view_strdup(text);
    return *out ? MOBID_OK : MOBID_ERR_NOMEM;
}

static mobid_err check_registration(ip_request *r, const wl_wallet *w, mobid_time now,
                                    char *detail, size_t dlen)
{
    mobid_trust *reg = NULL;
    char *jwt = NULL;
    mobid_err err = registration_text(r->doc, &jwt);
    if (err) {
        wl_detail(detail, dlen, "reader is not registered (no registration in requestInfo)");
        return err == MOBID_ERR_NOT_FOUND ? MOBID_ERR_RP_NOT_REGISTERED : err;
    }
    err = wl_trust(w, "registration", &reg);
    if (!err) {
        err = mobid_oid4vp_registration_verify(mobid_view_str(jwt), reg, now, &r->reg);
        r->has_reg = err == MOBID_OK;
        /* a registrar the ministry's anchors do not know: not registered with the ministry */
        if (err == MOBID_ERR_UNTRUSTED_ISSUER)
            err = MOBID_ERR_RP_NOT_REGISTERED;
        if (err)
            wl_detail(detail, dlen, "registration refused: %s", mobid_err_name(err));
    }
    if (!err && (!r->reg.client_id || strcmp(r->reg.client_id, r->client_id) != 0)) {
        wl_detail(detail, dlen, "registration names another reader certificate");
        err = MOBID_ERR_SUBJECT_MISMATCH;
    }
    mobid_trust_free(reg);
    mobid_free(jwt);
    return err;
}

mobid_err ip_check_reader(ip_request *r, const wl_wallet *w, mobid_view transcript,
                          mobid_time now, char *detail, size_t dlen)
{
    mobid_trust *rp = NULL;
    mobid_cert *leaf = NULL;
    mobid_buf cid;
    mobid_err err = wl_trust(w, "rp", &rp);
    mobid_buf_init(&cid, 0);
    if (!err) {
        err = mobid_px_reader_auth_verify(r->doc, transcript, rp, now, &leaf);
        if (err)
            wl_detail(detail, dlen, "reader authentication refused: %s", mobid_err_name(err));
    }
    if (!err)
        err = mobid_oid4vp_client_id(leaf, &cid);
    if (!err && !(r->client_id = mobid_buf_detach_str(&cid)))
        err = MOBID_ERR_NOMEM;
    if (!err)
        err = check_registration(r, w, now, detail, dlen);
    mobid_cert_free(leaf);
    mobid_trust_free(rp);
    mobid_buf_free(&cid);
    return err;
}

/* The request as a DCQL query, so the registration check is the online one. */
static json_t *as_dcql(const mobid_px_doc_request *d)
{
    json_t *claims = json_array();
    for (size_t i = 0; claims && i < d->n_items; i++) {
        json_t *path = json_pack("[s%s%]", (const char *)d->items[i].ns.ptr, d->items[i].ns.len,
                                 (const char *)d->items[i].id.ptr, d->items[i].id.len);
        if (!path || json_array_append_new(claims, json_pack("{s:o}", "path", path))) {
            json_decref(claims);
            return NULL;
        }
    }
    if (!claims)
        return NULL;
    return json_pack("{s:[{s:s,s:s,s:{s:s%},s:o}]}", "credentials", "id", "in_person", "format",
                     "mso_mdoc", "meta", "doctype_value", (const char *)d->doctype.ptr,
                     d->doctype.len, "claims", claims);
}

mobid_err ip_check_claims(ip_request *r, char *detail, size_t dlen)
{
    char d[160] = "", line[512];
    json_t *q = as_dcql(r->doc);
    mobid_dcql *dcql = NULL;
    mobid_err err = q ? mobid_dcql_parse(q, &dcql, d, sizeof d) : MOBID_ERR_MALFORMED;
    if (!err)
        err = mobid_oid4vp_registration_allows(&r->reg, dcql, d, sizeof d);
    if (err)
        wl_detail(detail, dlen, "request refused: %s", d[0] ? d : mobid_err_name(err));
    if (!err && !(r->claims = json_array()))
        err = MOBID_ERR_NOMEM;
    for (size_t i = 0; !err && i < r->doc->n_items; i++) {
        const mobid_px_item *it = &r->doc->items[i];
        snprintf(line, sizeof line, "%.*s: %.*s/%.*s%s", (int)r->doc->doctype.len,
                 (const char *)r->doc->doctype.ptr, (int)it->ns.len, (const char *)it->ns.ptr,
                 (int)it->id.len, (const char *)it->id.ptr,
                 it->intent_to_retain ? " (kept by the reader)" : "");
        if (json_array_append_new(r->claims, json_string(line)))
            err = MOBID_ERR_NOMEM;
    }
    mobid_dcql_free(dcql);
    json_decref(q);
    return err;
}

/* True when the credential's claims {ns:{id:v}} hold the item. */
static bool holds(const json_t *claims, const mobid_px_item *it)
{
    char ns[256], id[256];
    if (it->ns.len >= sizeof ns || it->id.len >= sizeof id)
        return false;
    memcpy(ns, it->ns.ptr, it->ns.len);
    ns[it->ns.len] = '\0';
    memcpy(id, it->id.ptr, it->id.len);
    id[it->id.len] = '\0';
    return json_object_get(json_object_get(claims, ns), id) != NULL;
}

mobid_err ip_choose(ip_request *r, wl_wallet *w, mobid_time now)
{
    size_t i, k;
    json_t *e, *it;
    json_array_foreach(json_object_get(w->vault, "credentials"), i, e)
    {
        const char *fmt = json_string_value(json_object_get(e, "format"));
        const char *type = json_string_value(json_object_get(e, "type"));
        if (!fmt || strcmp(fmt, "mso_mdoc") != 0 || !type ||
            !mobid_view_eq_str(r->doc->doctype, type))
            continue;
        json_array_foreach(json_object_get(e, "items"), k, it)
        {
            if (!wl_copy_usable(e, it, now))
                continue;
            r->entry = e;
            r->item = it;
            r->copy = k;
            /* disclose what is asked and held; items the card lacks are left out */
            r->n_shown = 0;
            for (size_t j = 0; j < r->doc->n_items; j++)
                if (holds(json_object_get(e, "claims"), &r->doc->items[j]))
                    r->shown[r->n_shown++] = r->doc->items[j];
            return r->n_shown ? MOBID_OK : MOBID_ERR_NO_CREDENTIAL;
        }
    }
    return MOBID_ERR_NO_CREDENTIAL;
}

mobid_err ip_record(const mobid_wallet_io *io, wl_wallet *w, const ip_request *r)
{
    char at[21];
    json_t *h;
    mobid_err err = mobid_time_format_rfc3339(wl_now(io), at);
    if (err)
        return err;
    json_object_set_new(r->item, "used", json_true());
    h = json_pack("{s:s,s:s,s:s,s:s,s:O,s:[O],s:[I],s:s}", "at", at, "rp", r->reg.name, "rp_id",
                  r->reg.rp_id, "client_id", r->client_id, "claims", r->claims, "credentials",
                  json_object_get(r->entry, "id"), "copies", (json_int_t)r->copy, "channel",
                  "in_person");
    if (!h || json_array_append_new(json_object_get(w->vault, "history"), h))
        return MOBID_ERR_NOMEM;
    return wl_save(io, w);
}
