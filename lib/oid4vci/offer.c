/* oid4vci: credential offer objects and openid-credential-offer:// URIs. */
#include <mobid/oid4vci.h>
#include <mobid/jose.h>

#include <string.h>

#define OFFER_MAX_JSON ((size_t)64 * 1024)

mobid_err mobid_oid4vci_pct_encode(mobid_view in, mobid_buf *out)
{
    return mobid_pct_encode(in, NULL, out);
}

mobid_err mobid_oid4vci_pct_decode(mobid_view in, mobid_buf *out)
{
    for (size_t i = 0; i < in.len; i++) {
        uint8_t c = in.ptr[i];
        if (c == '%') {
            if (i + 2 >= in.len)
                return MOBID_ERR_MALFORMED;
            int hi = mobid_hex_digit(in.ptr[i + 1]);
            int lo = mobid_hex_digit(in.ptr[i + 2]);
            if (hi < 0 || lo < 0)
                return MOBID_ERR_MALFORMED;
            c = (uint8_t)(hi << 4 | lo);
            i += 2;
        } else if (c == '+') {
            c = ' ';
        }
        mobid_buf_append_byte(out, c);
    }
    return out->err;
}

mobid_err mobid_oid4vci_offer_json(const mobid_oid4vci_offer *o, json_t **out)
{
    *out = NULL;
    if (!o || !o->credential_issuer || (!o->pre_auth_code && !o->issuer_state) ||
        !o->config_ids || !o->n_config_ids)
        return MOBID_ERR_INVALID_ARG;
    json_t *ids = json_array();
    json_t *grant = json_object();
    json_t *offer = json_object();
    mobid_err err = MOBID_ERR_NOMEM;
    if (!ids || !grant || !offer)
        goto done;
    for (size_t i = 0; i < o->n_config_ids; i++)
        if (json_array_append_new(ids, json_string(o->config_ids[i])))
            goto done;
    if (o->pre_auth_code &&
        json_object_set_new(grant, "pre-authorized_code", json_string(o->pre_auth_code)))
        goto done;
    if (o->tx_code_length) {
        json_t *tx = json_pack("{s:s,s:i}", "input_mode", "numeric", "length",
                               (int)o->tx_code_length);
        if (tx && o->tx_code_description)
            json_object_set_new(tx, "description", json_string(o->tx_code_description));
        if (json_object_set_new(grant, "tx_code", tx))
            goto done;
    }
    if (json_object_set_new(offer, "credential_issuer", json_string(o->credential_issuer)) ||
        json_object_set(offer, "credential_configuration_ids", ids) ||
        json_object_set_new(offer, "grants", json_object()))
        goto done;
    json_t *grants = json_object_get(offer, "grants");
    if ((o->pre_auth_code && json_object_set(grants, MOBID_OID4VCI_GRANT_PRE_AUTH, grant)) ||
        (o->issuer_state &&
         json_object_set_new(grants, MOBID_OID4VCI_GRANT_AUTH_CODE,
                             json_pack("{s:s}", "issuer_state", o->issuer_state))))
        goto done;
    *out = offer;
    offer = NULL;
    err = MOBID_OK;
done:
    json_decref(ids);
    json_decref(grant);
    json_decref(offer);
    return err;
}

static mobid_err uri_with(const char *param, mobid_view value, mobid_buf *out)
{
    mobid_buf_append_str(out, MOBID_OID4VCI_OFFER_SCHEME "?");
    mobid_buf_append_str(out, param);
    mobid_buf_append_byte(out, '=');
    return mobid_oid4vci_pct_encode(value, out);
}

mobid_err mobid_oid4vci_offer_uri(const json_t *offer, mobid_buf *out)
{
    if (!offer || !json_is_object(offer))
        return MOBID_ERR_INVALID_ARG;
    mobid_buf js = { 0 };
    mobid_err err = mobid_json_dump(offer, false, &js);
    if (err == MOBID_OK)
        err = uri_with("credential_offer", mobid_buf_view(&js), out);
    mobid_buf_free(&js);
    return err;
}

mobid_err mobid_oid4vci_offer_ref_uri(const char *offer_url, mobid_buf *out)
{
    if (!offer_url)
        return MOBID_ERR_INVALID_ARG;
    return uri_with("credential_offer_uri", mobid_view_str(offer_url), out);
}

/* Find name=value in a query string; *found false when absent, MALFORMED when twice. */
static mobid_err query_param(mobid_view q, const char *name, mobid_view *val, bool *found)
{
    size_t nlen = strlen(name), i = 0;
    *found = false;
    while (i <= q.len) {
        size_t j = i;
        while (j < q.len && q.ptr[j] != '&')
            j++;
        mobid_view part = mobid_view_make(q.ptr + i, j - i);
        if (part.len > nlen && !memcmp(part.ptr, name, nlen) && part.ptr[nlen] == '=') {
            if (*found)
                return MOBID_ERR_MALFORMED;
            *found = true;
            *val = mobid_view_make(part.ptr + nlen + 1, part.len - nlen - 1);
        }
        i = j + 1;
    }
    return MOBID_OK;
}

mobid_err mobid_oid4vci_offer_uri_parse(mobid_view uri, json_t **offer, char **offer_url)
{
    *offer = NULL;
    *offer_url = NULL;
    size_t slen = strlen(MOBID_OID4VCI_OFFER_SCHEME);
    mobid_buf dec = { 0 };
    mobid_view q, vv = { 0 }, vr = { 0 };
    bool has_v = false, has_r = false;
    mobid_err err = MOBID_ERR_MALFORMED;
    if (uri.len < slen || memcmp(uri.ptr, MOBID_OID4VCI_OFFER_SCHEME, slen))
        goto done;
    q = mobid_view_make(uri.ptr + slen, uri.len - slen);
    const uint8_t *qm = memchr(q.ptr, '?', q.len);
    if (!qm)
        goto done;
    q = mobid_view_make(qm + 1, q.len - (size_t)(qm + 1 - q.ptr));
    if ((err = query_param(q, "credential_offer", &vv, &has_v)) != MOBID_OK ||
        (err = query_param(q, "credential_offer_uri", &vr, &has_r)) != MOBID_OK)
        goto done;
    err = MOBID_ERR_MALFORMED;
    if (has_v == has_r)
        goto done;
    mobid_buf_init(&dec, OFFER_MAX_JSON);
    if ((err = mobid_oid4vci_pct_decode(has_v ? vv : vr, &dec)) != MOBID_OK)
        goto done;
    if (has_v) {
        err = mobid_json_parse(mobid_buf_view(&dec), OFFER_MAX_JSON, offer);
        if (err == MOBID_OK && !json_is_object(*offer)) {
            json_decref(*offer);
            *offer = NULL;
            err = MOBID_ERR_MALFORMED;
        }
    } else {
        *offer_url = mobid_view_strdup(mobid_buf_view(&dec));
        err = *offer_url ? MOBID_OK : MOBID_ERR_NOMEM;
    }
done:
    mobid_buf_free(&dec);
    return err;
}

mobid_err mobid_oid4vci_offer_read(const json_t *offer, mobid_oid4vci_offer_view *out)
{
    memset(out, 0, sizeof *out);
    const json_t *grants = json_object_get(offer, "grants");
    const json_t *pa = json_object_get(grants, MOBID_OID4VCI_GRANT_PRE_AUTH);
    const json_t *ids = json_object_get(offer, "credential_configuration_ids");
    const json_t *iss = json_object_get(offer, "credential_issuer");
    const json_t *code = json_object_get(pa, "pre-authorized_code");
    const json_t *ac = json_object_get(grants, MOBID_OID4VCI_GRANT_AUTH_CODE);
    const json_t *state = json_object_get(ac, "issuer_state");
    if (!json_is_string(iss) || !json_is_array(ids) || !json_array_size(ids) ||
        (pa && !json_is_string(code)) || (ac && !json_is_object(ac)) ||
        (state && !json_is_string(state)) || (!pa && !ac))
        return MOBID_ERR_MALFORMED;
    out->has_auth_code = ac != NULL;
    out->issuer_state = json_string_value(state);
    for (size_t i = 0; i < json_array_size(ids); i++)
        if (!json_is_string(json_array_get(ids, i)))
            return MOBID_ERR_MALFORMED;
    const json_t *tx = json_object_get(pa, "tx_code");
    if (tx) {
        if (!json_is_object(tx))
            return MOBID_ERR_MALFORMED;
        const json_t *len = json_object_get(tx, "length");
        if (len && (!json_is_integer(len) || json_integer_value(len) < 1 ||
                    json_integer_value(len) > 64))
            return MOBID_ERR_MALFORMED;
        out->has_tx_code = true;
        out->tx_code_length = len ? (unsigned)json_integer_value(len) : 6;
    }
    out->credential_issuer = json_string_value(iss);
    out->config_ids = ids;
    out->pre_auth_code = json_string_value(code);
    return MOBID_OK;
}
