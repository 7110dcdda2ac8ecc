/*
 * Deterministic CBOR encoder (RFC 8949 §4.2.1): shortest heads, shortest exact
 * floats, definite lengths only, map pairs sorted by their encoded key bytes.
 *
 * Containers opened with *_begin get a one-byte placeholder head; at *_end the
 * real count or length is known and, when its head is longer, the content is
 * shifted right to make room. The size-only pass (no buffer) adds the same
 * amounts to e->size, so both passes agree on the byte count.
 */
#include "cbor_internal.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { K_ARRAY = 1, K_MAP, K_BSTR, K_FIXED /* count = items still expected */ };

static void enc_fail(mobid_cbor_enc *e, mobid_err err)
{
    if (e->err == MOBID_OK)
        e->err = err;
}

static void enc_write(mobid_cbor_enc *e, const void *p, size_t n)
{
    if (e->err != MOBID_OK)
        return;
    if (e->out && mobid_buf_append(e->out, p, n) != MOBID_OK) {
        enc_fail(e, e->out->err);
        return;
    }
    e->size += n;
}

static size_t head_size(uint64_t v)
{
    return v < 24 ? 1 : v <= 0xff ? 2 : v <= 0xffff ? 3 : v <= 0xffffffffu ? 5 : 9;
}

/* Encode a head in its shortest form; returns its length. */
static size_t head_encode(uint8_t major, uint64_t v, uint8_t out[9])
{
    size_t n = head_size(v);
    static const uint8_t ai[10] = { [1] = 24, [2] = 25, [4] = 26, [8] = 27 };
    out[0] = (uint8_t)(major << 5) | (n == 1 ? (uint8_t)v : ai[n - 1]);
    for (size_t i = 1; i < n; i++)
        out[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
    return n;
}

static void put_head(mobid_cbor_enc *e, uint8_t major, uint64_t v)
{
    uint8_t h[9];
    enc_write(e, h, head_encode(major, v, h));
}

/* One complete item was written at the current level. */
static void item_done(mobid_cbor_enc *e)
{
    while (e->depth > 0) {
        if (e->open[e->depth - 1].kind != K_FIXED) {
            e->open[e->depth - 1].count++;
            return;
        }
        if (--e->open[e->depth - 1].count > 0)
            return;
        e->depth--; /* the fixed container is complete: an item of its parent */
    }
}

static void push(mobid_cbor_enc *e, uint8_t kind, uint64_t count)
{
    if (e->depth >= MOBID_CBOR_ENC_MAX_DEPTH) {
        enc_fail(e, MOBID_ERR_TOO_DEEP);
        return;
    }
    e->open[e->depth].start = e->size;
    e->open[e->depth].count = count;
    e->open[e->depth].kind = kind;
    e->depth++;
}

void mobid_cbor_enc_init(mobid_cbor_enc *e, mobid_buf *out)
{
    memset(e, 0, sizeof *e);
    e->out = out;
    e->err = out ? out->err : MOBID_OK;
}

mobid_err mobid_cbor_enc_finish(mobid_cbor_enc *e)
{
    if (e->err != MOBID_OK)
        return e->err;
    return e->depth ? MOBID_ERR_MALFORMED : MOBID_OK;
}

void mobid_cbor_put_uint(mobid_cbor_enc *e, uint64_t v)
{
    put_head(e, 0, v);
    item_done(e);
}

void mobid_cbor_put_int(mobid_cbor_enc *e, int64_t v)
{
    /* -1 - v for negative v, computed without overflow. */
    put_head(e, v < 0 ? 1 : 0, v < 0 ? (uint64_t)(-(v + 1)) : (uint64_t)v);
    item_done(e);
}

/* Negative integer -1 - arg (reaches -2^64). */
void mobid_cbor_put_negint(mobid_cbor_enc *e, uint64_t arg)
{
    put_head(e, 1, arg);
    item_done(e);
}

void mobid_cbor_put_bytes(mobid_cbor_enc *e, mobid_view v)
{
    put_head(e, 2, v.len);
    enc_write(e, v.ptr, v.len);
    item_done(e);
}

void mobid_cbor_put_text(mobid_cbor_enc *e, mobid_view v)
{
    if (!mobid_utf8_valid(v))
        enc_fail(e, MOBID_ERR_MALFORMED);
    put_head(e, 3, v.len);
    enc_write(e, v.ptr, v.len);
    item_done(e);
}

void mobid_cbor_put_cstr(mobid_cbor_enc *e, const char *s)
{
    if (!s)
        enc_fail(e, MOBID_ERR_INVALID_ARG);
    mobid_cbor_put_text(e, mobid_view_str(s));
}

void mobid_cbor_put_tag(mobid_cbor_enc *e, uint64_t tag)
{
    put_head(e, 6, tag);
    push(e, K_FIXED, 1); /* closed by the tagged item */
}

void mobid_cbor_put_simple(mobid_cbor_enc *e, uint8_t v)
{
    if (v >= 24 && v < 32) {
        enc_fail(e, MOBID_ERR_INVALID_ARG); /* no valid encoding exists */
        return;
    }
    put_head(e, 7, v);
    item_done(e);
}

void mobid_cbor_put_bool(mobid_cbor_enc *e, bool v)
{
    mobid_cbor_put_simple(e, v ? MOBID_CBOR_TRUE : MOBID_CBOR_FALSE);
}

void mobid_cbor_put_null(mobid_cbor_enc *e) { mobid_cbor_put_simple(e, MOBID_CBOR_NULL); }

void mobid_cbor_put_undefined(mobid_cbor_enc *e) { mobid_cbor_put_simple(e, MOBID_CBOR_UNDEFINED); }

void mobid_cbor_put_float(mobid_cbor_enc *e, double v)
{
    uint8_t b[9];
    size_t n;
    uint16_t h;
    if (isnan(v)) {
        b[0] = 0xf9, b[1] = 0x7e, b[2] = 0x00, n = 3;
    } else if (cbor_double_to_half(v, &h)) {
        b[0] = 0xf9, b[1] = (uint8_t)(h >> 8), b[2] = (uint8_t)h, n = 3;
    } else if (fabs(v) <= FLT_MAX && (double)(float)v == v) {
        float f = (float)v;
        uint32_t bits;
        memcpy(&bits, &f, sizeof bits);
        b[0] = 0xfa;
        for (int i = 0; i < 4; i++)
            b[1 + i] = (uint8_t)(bits >> (24 - 8 * i));
        n = 5;
    } else {
        uint64_t bits;
        memcpy(&bits, &v, sizeof bits);
        b[0] = 0xfb;
        for (int i = 0; i < 8; i++)
            b[1 + i] = (uint8_t)(bits >> (56 - 8 * i));
        n = 9;
    }
    enc_write(e, b, n);
    item_done(e);
}

void mobid_cbor_put_raw(mobid_cbor_enc *e, mobid_view encoded)
{
    size_t len = 0;
    uint64_t indef_arg;
    if (cbor_scan(encoded, &cbor_trusted_limits, true, &len, &indef_arg) != MOBID_OK ||
        len != encoded.len)
        enc_fail(e, MOBID_ERR_MALFORMED); /* keep the output well formed */
    enc_write(e, encoded.ptr, encoded.len);
    item_done(e);
}

void mobid_cbor_put_array_head(mobid_cbor_enc *e, uint64_t n)
{
    put_head(e, 4, n);
    if (n == 0)
        item_done(e);
    else
        push(e, K_FIXED, n);
}

void mobid_cbor_put_map_head(mobid_cbor_enc *e, uint64_t n)
{
    if (n > UINT64_MAX / 2) {
        enc_fail(e, MOBID_ERR_INVALID_ARG);
        return;
    }
    put_head(e, 5, n);
    if (n == 0)
        item_done(e);
    else
        push(e, K_FIXED, 2 * n);
}

static void begin(mobid_cbor_enc *e, uint8_t kind, uint8_t placeholder)
{
    if (e->err != MOBID_OK)
        return;
    if (e->depth >= MOBID_CBOR_ENC_MAX_DEPTH) {
        enc_fail(e, MOBID_ERR_TOO_DEEP);
        return;
    }
    enc_write(e, &placeholder, 1);
    push(e, kind, 0);
}

void mobid_cbor_array_begin(mobid_cbor_enc *e) { begin(e, K_ARRAY, 0x80); }
void mobid_cbor_map_begin(mobid_cbor_enc *e) { begin(e, K_MAP, 0xa0); }
void mobid_cbor_bstr_begin(mobid_cbor_enc *e) { begin(e, K_BSTR, 0x40); }

mobid_err cbor_sort_map(uint8_t *content, size_t len, uint64_t pairs);

/* Replace the placeholder head of the open container by its real head. */
static void end(mobid_cbor_enc *e, uint8_t kind, uint8_t major)
{
    if (e->err != MOBID_OK)
        return;
    if (e->depth == 0 || e->open[e->depth - 1].kind != kind) {
        enc_fail(e, MOBID_ERR_MALFORMED); /* nesting error */
        return;
    }
    size_t start = e->open[e->depth - 1].start;
    uint64_t n = kind == K_BSTR ? e->size - start : e->open[e->depth - 1].count;
    if (kind == K_MAP && n % 2) {
        enc_fail(e, MOBID_ERR_MALFORMED); /* a key without a value */
        return;
    }
    if (kind == K_MAP)
        n /= 2;
    uint8_t h[9];
    size_t hlen = head_encode(major, n, h);
    if (e->out) {
        size_t pos = e->out->len - (e->size - start); /* content start in the buffer */
        if (kind == K_MAP && n > 1) {
            mobid_err err = cbor_sort_map(e->out->ptr + pos, e->out->len - pos, n);
            if (err != MOBID_OK) {
                enc_fail(e, err);
                return;
            }
        }
        if (hlen > 1 && mobid_buf_reserve(e->out, hlen - 1) != MOBID_OK) {
            enc_fail(e, e->out->err);
            return;
        }
        memmove(e->out->ptr + pos + hlen - 1, e->out->ptr + pos, e->out->len - pos);
        memcpy(e->out->ptr + pos - 1, h, hlen);
        e->out->len += hlen - 1;
    }
    e->size += hlen - 1;
    e->depth--;
    item_done(e);
}

void mobid_cbor_array_end(mobid_cbor_enc *e) { end(e, K_ARRAY, 4); }
void mobid_cbor_map_end(mobid_cbor_enc *e) { end(e, K_MAP, 5); }
void mobid_cbor_bstr_end(mobid_cbor_enc *e) { end(e, K_BSTR, 2); }

/* Re-encode a decoded item deterministically. Recursion stops at the encoder's
 * depth limit, which sets the sticky error. */
void mobid_cbor_put_item(mobid_cbor_enc *e, const mobid_cbor_item *it)
{
    mobid_cbor_iter iter;
    mobid_cbor_item child;
    if (e->err != MOBID_OK)
        return;
    switch (it->type) {
    case MOBID_CBOR_UINT:
        mobid_cbor_put_uint(e, it->arg);
        return;
    case MOBID_CBOR_NEGINT:
        mobid_cbor_put_negint(e, it->arg);
        return;
    case MOBID_CBOR_BYTES:
    case MOBID_CBOR_TEXT:
        /* Indefinite strings become one definite string of the chunks. */
        put_head(e, (uint8_t)it->type, it->arg);
        if (!it->indefinite)
            enc_write(e, it->str.ptr, it->str.len);
        mobid_cbor_iter_init(&iter, it);
        while (mobid_cbor_iter_next(&iter, &child) == MOBID_OK)
            enc_write(e, child.str.ptr, child.str.len);
        item_done(e);
        return;
    case MOBID_CBOR_ARRAY:
    case MOBID_CBOR_MAP:
        begin(e, it->type == MOBID_CBOR_MAP ? K_MAP : K_ARRAY, it->type == MOBID_CBOR_MAP ? 0xa0 : 0x80);
        mobid_cbor_iter_init(&iter, it);
        while (e->err == MOBID_OK && mobid_cbor_iter_next(&iter, &child) == MOBID_OK)
            mobid_cbor_put_item(e, &child);
        end(e, it->type == MOBID_CBOR_MAP ? K_MAP : K_ARRAY, (uint8_t)it->type);
        return;
    case MOBID_CBOR_TAG:
        mobid_cbor_put_tag(e, it->arg);
        if (mobid_cbor_tag_content(it, &child) == MOBID_OK)
            mobid_cbor_put_item(e, &child);
        return;
    case MOBID_CBOR_SIMPLE:
        mobid_cbor_put_simple(e, (uint8_t)it->arg);
        return;
    case MOBID_CBOR_FLOAT:
        mobid_cbor_put_float(e, it->f);
        return;
    }
}
