/* JSON helpers over jansson: bounded, duplicate-rejecting parse and compact dump. */
#include <mobid/jose.h>

#include <string.h>

/* jansson names every problem with the input; some of its allocation failures leave
 * the code unset (json_error_unknown), so those count as out of memory too. */
static mobid_err parse_error(const json_error_t *e)
{
    enum json_error_code code = json_error_code(e);
    return code == json_error_unknown || code == json_error_out_of_memory ? MOBID_ERR_NOMEM
                                                                          : MOBID_ERR_MALFORMED;
}

mobid_err mobid_json_parse(mobid_view text, size_t max, json_t **out)
{
    if (!out || (!text.ptr && text.len))
        return MOBID_ERR_INVALID_ARG;
    *out = NULL;
    if (text.len > (max ? max : MOBID_JOSE_MAX_COMPACT))
        return MOBID_ERR_TOO_BIG;
    json_error_t jerr;
    memset(&jerr, 0, sizeof jerr); /* code json_error_unknown until jansson sets one */
    /* jansson rejects invalid UTF-8, \u0000 (without JSON_ALLOW_NUL), trailing
     * data after the value and nesting deeper than its fixed parser limit. */
    json_t *j = json_loadb((const char *)text.ptr, text.len,
                           JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    if (!j)
        return parse_error(&jerr);
    *out = j;
    return MOBID_OK;
}

mobid_err mobid_json_dump(const json_t *j, bool sort_keys, mobid_buf *out)
{
    if (!j || !out)
        return MOBID_ERR_INVALID_ARG;
    if (out->err != MOBID_OK)
        return out->err;
    size_t flags = JSON_COMPACT | JSON_ENCODE_ANY | (sort_keys ? JSON_SORT_KEYS : 0);
    size_t need = json_dumpb(j, NULL, 0, flags);
    /* jansson cannot hold NaN, infinities or invalid UTF-8 made through its checked
     * constructors, so a failed dump means it ran out of memory (sorting keys). */
    if (need == 0)
        return MOBID_ERR_NOMEM;
    if (mobid_buf_reserve(out, need) != MOBID_OK)
        return out->err;
    if (json_dumpb(j, (char *)out->ptr + out->len, need, flags) != need)
        return MOBID_ERR_NOMEM;
    out->len += need;
    return MOBID_OK;
}
