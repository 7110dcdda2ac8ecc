/*
 * Diagnostic notation (RFC 8949 §8), formatted as RFC 8949 Appendix A prints
 * it: h'..' byte strings, JSON-like text, "_" for indefinite items, tags as
 * N(item), floats in the shortest form that reads back to the same value.
 *
 * Items are validated before printing, so the recursion here is bounded by the
 * decoder's depth limit (at most MOBID_CBOR_DEPTH_CAP).
 */
#include "cbor_internal.h"

#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Tags 2 and 3 print as numbers up to this many content bytes. */
#define DIAG_BIGNUM_MAX 64

static void put_str(mobid_buf *out, const char *s) { mobid_buf_append_str(out, s); }

static void put_u64(mobid_buf *out, uint64_t v)
{
    char tmp[24];
    snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)v);
    put_str(out, tmp);
}

/* Decimal digits of a big-endian unsigned number of n <= DIAG_BIGNUM_MAX bytes,
 * plus `add` (0 or 1), by repeated division by ten. */
static void put_bignum(mobid_buf *out, mobid_view mag, unsigned add)
{
    uint8_t num[DIAG_BIGNUM_MAX + 1] = { 0 };
    char dig[DIAG_BIGNUM_MAX * 3 + 4];
    size_t n = mag.len + 1, nd = 0;
    memcpy(num + 1, mag.ptr, mag.len);
    for (size_t i = n; add && i-- > 0;) { /* add with carry */
        add = ++num[i] == 0;
    }
    for (;;) {
        unsigned rem = 0;
        bool zero = true;
        for (size_t i = 0; i < n; i++) {
            unsigned cur = rem * 256 + num[i];
            num[i] = (uint8_t)(cur / 10);
            rem = cur % 10;
            zero = zero && num[i] == 0;
        }
        dig[nd++] = (char)('0' + rem);
        if (zero)
            break;
    }
    while (nd > 0)
        mobid_buf_append_byte(out, (uint8_t)dig[--nd]);
}

/* Parse "d.ddde[+-]XX" (printf %e) into digits and the exponent of d. */
static int split_exp(const char *tmp, char *digits)
{
    size_t k = 0;
    const char *p = tmp;
    for (; *p && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9')
            digits[k++] = *p;
    digits[k] = 0;
    return atoi(p + 1);
}

/* Does 0.digits * 10^point read back as v? (strtod follows the locale's
 * decimal point; an application may have set one.) */
static bool reads_back(const char *digits, int point, double v)
{
    char tmp[64];
    snprintf(tmp, sizeof tmp, "0%.4s%se%d", localeconv()->decimal_point, digits, point);
    return strtod(tmp, NULL) == v;
}

/* Add delta (+1 or -1) to the last digit, with carry or borrow. Returns false
 * when the result would need another digit or lose the first one. */
static bool bump_digits(char *d, int delta)
{
    size_t i = strlen(d);
    while (i-- > 0) {
        if (delta > 0 && d[i] < '9') {
            d[i]++;
            return true;
        }
        if (delta < 0 && d[i] > '0') {
            d[i]--;
            return d[0] != '0';
        }
        d[i] = delta > 0 ? '0' : '9';
    }
    return false;
}

/* Shortest digits that read back as v (> 0): "d1d2..dk" and the decimal
 * exponent point with v = 0.d1d2..dk * 10^point. printf gives the digits
 * nearest to v, but next to a power of two the spacing of doubles differs on
 * the two sides, and the neighbour one unit away may read back when the
 * nearest does not (2^-24 is 5.960464477539063e-8, not ...062e-8). */
static void shortest_digits(double v, char *digits, int *point)
{
    char tmp[40], cand[24];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*e", prec - 1, v);
        *point = split_exp(tmp, digits) + 1;
        if (reads_back(digits, *point, v))
            break;
        int found = 0;
        for (int delta = 1; delta >= -1 && !found; delta -= 2) {
            memcpy(cand, digits, strlen(digits) + 1);
            if (bump_digits(cand, delta) && reads_back(cand, *point, v)) {
                memcpy(digits, cand, strlen(cand) + 1);
                found = 1;
            }
        }
        if (found)
            break;
    }
    size_t k = strlen(digits);
    while (k > 1 && digits[k - 1] == '0')
        k--;
    digits[k] = 0;
}

static void put_zeros(mobid_buf *out, int n)
{
    while (n-- > 0)
        mobid_buf_append_byte(out, '0');
}

/* Like JavaScript's Number#toString, with ".0" added where no point or
 * fraction would show (Appendix A writes 1.0, 100000.0, 1.0e+300). */
static void put_double(mobid_buf *out, double v)
{
    char digits[24], exp[16];
    int n, k;
    if (isnan(v) || isinf(v)) {
        put_str(out, isnan(v) ? "NaN" : v < 0 ? "-Infinity" : "Infinity");
        return;
    }
    if (signbit(v))
        put_str(out, "-");
    if (v == 0) {
        put_str(out, "0.0");
        return;
    }
    shortest_digits(fabs(v), digits, &n);
    k = (int)strlen(digits);
    if (k <= n && n <= 21) { /* integral: 100000.0 */
        put_str(out, digits);
        put_zeros(out, n - k);
        put_str(out, ".0");
    } else if (0 < n && n <= 21) { /* 1.5 */
        mobid_buf_append(out, digits, (size_t)n);
        mobid_buf_append_byte(out, '.');
        put_str(out, digits + n);
    } else if (-6 < n && n <= 0) { /* 0.00006103515625 */
        put_str(out, "0.");
        put_zeros(out, -n);
        put_str(out, digits);
    } else { /* 1.0e+300, 5.960464477539063e-8 */
        mobid_buf_append_byte(out, (uint8_t)digits[0]);
        mobid_buf_append_byte(out, '.');
        put_str(out, k > 1 ? digits + 1 : "0");
        snprintf(exp, sizeof exp, "e%+d", n - 1);
        put_str(out, exp);
    }
}

static void put_text(mobid_buf *out, mobid_view s)
{
    mobid_buf_append_byte(out, '"');
    for (size_t i = 0; i < s.len; i++) {
        uint8_t c = s.ptr[i];
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\', esc[1] = (char)c, esc[2] = 0;
            put_str(out, esc);
        } else if (c < 0x20 || c == 0x7f) {
            snprintf(esc, sizeof esc, "\\u%04x", c);
            put_str(out, esc);
        } else {
            mobid_buf_append_byte(out, c);
        }
    }
    mobid_buf_append_byte(out, '"');
}

static void put_bytes(mobid_buf *out, mobid_view b)
{
    put_str(out, "h'");
    mobid_hex_encode(b, out);
    mobid_buf_append_byte(out, '\'');
}

static void put_simple(mobid_buf *out, uint64_t v)
{
    static const char *names[] = { "false", "true", "null", "undefined" };
    if (v >= 20 && v <= 23) {
        put_str(out, names[v - 20]);
        return;
    }
    put_str(out, "simple(");
    put_u64(out, v);
    put_str(out, ")");
}

static void diag_item(const mobid_cbor_item *it, mobid_buf *out);

/* Children of arrays, maps and indefinite strings, with their brackets. */
static void diag_children(const mobid_cbor_item *it, mobid_buf *out, const char *open,
                          const char *close)
{
    mobid_cbor_iter iter;
    mobid_cbor_item child;
    uint64_t i = 0;
    put_str(out, open);
    if (it->indefinite)
        put_str(out, "_ ");
    mobid_cbor_iter_init(&iter, it);
    while (out->err == MOBID_OK && mobid_cbor_iter_next(&iter, &child) == MOBID_OK) {
        if (i > 0)
            put_str(out, it->type == MOBID_CBOR_MAP && i % 2 ? ": " : ", ");
        diag_item(&child, out);
        i++;
    }
    put_str(out, close);
}

static void diag_tag(const mobid_cbor_item *it, mobid_buf *out)
{
    mobid_cbor_item inner;
    if (mobid_cbor_tag_content(it, &inner) != MOBID_OK)
        return;
    if ((it->arg == 2 || it->arg == 3) && inner.type == MOBID_CBOR_BYTES && !inner.indefinite &&
        inner.str.len <= DIAG_BIGNUM_MAX) {
        /* Tag 3 stands for -1 - n. */
        if (it->arg == 3)
            put_str(out, "-");
        put_bignum(out, inner.str, it->arg == 3);
        return;
    }
    put_u64(out, it->arg);
    put_str(out, "(");
    diag_item(&inner, out);
    put_str(out, ")");
}

static void diag_negint(const mobid_cbor_item *it, mobid_buf *out)
{
    uint8_t be[8];
    for (int i = 0; i < 8; i++)
        be[i] = (uint8_t)(it->arg >> (56 - 8 * i));
    put_str(out, "-");
    put_bignum(out, mobid_view_make(be, 8), 1); /* -1 - arg reaches -2^64 */
}

static void diag_item(const mobid_cbor_item *it, mobid_buf *out)
{
    switch (it->type) {
    case MOBID_CBOR_UINT:
        put_u64(out, it->arg);
        break;
    case MOBID_CBOR_NEGINT:
        diag_negint(it, out);
        break;
    case MOBID_CBOR_BYTES:
    case MOBID_CBOR_TEXT:
        if (it->indefinite)
            diag_children(it, out, "(", ")");
        else if (it->type == MOBID_CBOR_BYTES)
            put_bytes(out, it->str);
        else
            put_text(out, it->str);
        break;
    case MOBID_CBOR_ARRAY:
        diag_children(it, out, "[", "]");
        break;
    case MOBID_CBOR_MAP:
        diag_children(it, out, "{", "}");
        break;
    case MOBID_CBOR_TAG:
        diag_tag(it, out);
        break;
    case MOBID_CBOR_SIMPLE:
        put_simple(out, it->arg);
        break;
    case MOBID_CBOR_FLOAT:
        put_double(out, it->f);
        break;
    }
}

mobid_err mobid_cbor_diag_item(const mobid_cbor_item *it, mobid_buf *out)
{
    if (!it || !out)
        return MOBID_ERR_INVALID_ARG;
    diag_item(it, out);
    return out->err;
}

mobid_err mobid_cbor_diag(mobid_view in, const mobid_cbor_limits *lim, mobid_buf *out)
{
    mobid_err err = MOBID_ERR_INVALID_ARG;
    if (!out || (!in.ptr && in.len))
        goto done;
    err = MOBID_OK;
    while (in.len > 0 && err == MOBID_OK) {
        mobid_cbor_item it;
        size_t used = 0;
        if ((err = mobid_cbor_decode(in, lim, &it, &used)) != MOBID_OK)
            goto done;
        diag_item(&it, out);
        mobid_buf_append_byte(out, '\n');
        err = out->err;
        in.ptr += used;
        in.len -= used;
    }
done:
    return err;
}
