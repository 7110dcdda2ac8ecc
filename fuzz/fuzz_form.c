// mobid-module: http
/*
 * libFuzzer target for the application/x-www-form-urlencoded parser (src/http/form.c),
 * the first thing every OAuth and OpenID4VCI endpoint runs on an untrusted body.
 * A parse that succeeds must give NUL-free names that are never empty, at most the
 * field limit, and lookups that agree with the table; re-encoding the fields and
 * parsing again must give the same fields. A failed parse must leave the form empty.
 *
 * The parser lives in the services library, which fuzz targets do not link, so this
 * file compiles form.c itself. Seeds in fuzz/corpus/form/ are written by hand.
 */
#include "../src/http/form.c"

#include <stdlib.h>
#include <string.h>

static void check_roundtrip(const mobid_http_form *f)
{
    mobid_buf enc;
    mobid_buf_init(&enc, 0);
    for (size_t i = 0; i < f->n; i++)
        mobid_http_form_append(&enc, f->fields[i].name, f->fields[i].value);
    mobid_http_form again;
    if (enc.err != MOBID_OK || mobid_http_form_parse(mobid_buf_view(&enc), 0, &again) != MOBID_OK)
        abort();
    if (again.n != f->n)
        abort();
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(again.fields[i].name, f->fields[i].name) ||
            strcmp(again.fields[i].value, f->fields[i].value))
            abort();
    mobid_http_form_free(&again);
    mobid_buf_free(&enc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mobid_http_form f;
    mobid_err err = mobid_http_form_parse(mobid_view_make(data, size), 0, &f);
    if (err != MOBID_OK) {
        if (f.n || f.fields)
            abort();
        return 0;
    }
    if (f.n > MOBID_HTTP_FORM_MAX_FIELDS)
        abort();
    for (size_t i = 0; i < f.n; i++) {
        if (!f.fields[i].name[0] || strlen(f.fields[i].name) > size || strlen(f.fields[i].value) > size)
            abort();
        const char *v = NULL;
        err = mobid_http_form_get(&f, f.fields[i].name, &v);
        if (err != MOBID_OK && err != MOBID_ERR_MALFORMED)
            abort();
        if (err == MOBID_OK && strcmp(v, f.fields[i].value))
            abort();
    }
    check_roundtrip(&f);
    mobid_http_form_free(&f);
    mobid_buf b;
    mobid_buf_init(&b, 0);
    if (mobid_http_urldecode(mobid_view_make(data, size), &b) == MOBID_OK && memchr(b.ptr, 0, b.len))
        abort(); /* a decoded string never holds a NUL */
    mobid_buf_free(&b);
    return 0;
}
