/* The "x5c" JOSE header (RFC 7515 §4.1.6): standard base64 DER, leaf first. */
#include <mobid/jose.h>

/* One array element: standard base64 (padding allowed, as RFC 7515 requires), a DER
 * SEQUENCE, parsed as a certificate. */
static mobid_err parse_one(const json_t *v, mobid_cert **out)
{
    mobid_buf der;
    mobid_err err = MOBID_ERR_MALFORMED;

    mobid_buf_init(&der, MOBID_JOSE_MAX_HEADER);
    if (!json_is_string(v))
        goto done;
    err = mobid_b64_decode(mobid_view_make(json_string_value(v), json_string_length(v)), &der);
    if (err != MOBID_OK)
        goto done;
    /* PEM text hidden in the base64 would otherwise be accepted by the parser. */
    err = MOBID_ERR_CERT_INVALID;
    if (der.len < 2 || der.ptr[0] != 0x30)
        goto done;
    err = mobid_cert_parse(mobid_buf_view(&der), out);
done:
    mobid_buf_free(&der);
    return err;
}

mobid_err mobid_jose_header_x5c(const json_t *header, mobid_cert ***certs, size_t *n)
{
    mobid_cert **list = NULL;
    size_t count = 0;
    mobid_err err = MOBID_ERR_INVALID_ARG;

    if (!certs || !n)
        return err;
    *certs = NULL;
    *n = 0;
    const json_t *arr = json_object_get(header, "x5c");
    err = MOBID_ERR_NOT_FOUND;
    if (!arr)
        goto done;
    err = MOBID_ERR_MALFORMED;
    if (!json_is_array(arr) || json_array_size(arr) == 0)
        goto done;
    err = MOBID_ERR_NOMEM;
    list = mobid_calloc(json_array_size(arr), sizeof *list);
    if (!list)
        goto done;
    for (; count < json_array_size(arr); count++) {
        err = parse_one(json_array_get(arr, count), &list[count]);
        if (err != MOBID_OK)
            goto done;
    }
    *certs = list;
    *n = count;
    list = NULL;
done:
    if (list)
        mobid_cert_list_free(list, count);
    return err;
}

mobid_err mobid_jose_x5c_from_certs(mobid_cert *const *certs, size_t n, json_t **out)
{
    json_t *arr = NULL;
    mobid_buf b64;
    mobid_err err = MOBID_ERR_INVALID_ARG;

    mobid_buf_init(&b64, 0);
    if (!out || (!certs && n))
        goto done;
    *out = NULL;
    err = MOBID_ERR_NOMEM;
    arr = json_array();
    if (!arr)
        goto done;
    for (size_t i = 0; i < n; i++) {
        b64.len = 0;
        err = mobid_b64_encode(mobid_cert_der(certs[i]), &b64);
        if (err != MOBID_OK)
            goto done;
        err = MOBID_ERR_NOMEM;
        if (json_array_append_new(arr, json_stringn((const char *)b64.ptr, b64.len)) != 0)
            goto done;
    }
    *out = arr;
    arr = NULL;
    err = MOBID_OK;
done:
    json_decref(arr);
    mobid_buf_free(&b64);
    return err;
}
