/* base64url, base64 and hex: strict decoders, as untrusted input needs. */
#include <mobid/base.h>

static const char B64URL[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
static const char B64STD[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t mobid_b64url_encoded_len(size_t n) { return n / 3 * 4 + (n % 3 ? n % 3 + 1 : 0); }

static mobid_err b64_encode(const char *alpha, bool pad, mobid_view in, mobid_buf *out)
{
    if (mobid_buf_reserve(out, (in.len + 2) / 3 * 4) != MOBID_OK)
        return out->err;
    uint8_t *o = out->ptr + out->len;
    size_t i = 0;
    for (; i + 3 <= in.len; i += 3) {
        uint32_t v = (uint32_t)in.ptr[i] << 16 | (uint32_t)in.ptr[i + 1] << 8 | in.ptr[i + 2];
        *o++ = alpha[v >> 18];
        *o++ = alpha[(v >> 12) & 63];
        *o++ = alpha[(v >> 6) & 63];
        *o++ = alpha[v & 63];
    }
    size_t rest = in.len - i;
    if (rest) {
        uint32_t v = (uint32_t)in.ptr[i] << 16 | (rest == 2 ? (uint32_t)in.ptr[i + 1] << 8 : 0);
        *o++ = alpha[v >> 18];
        *o++ = alpha[(v >> 12) & 63];
        if (rest == 2)
            *o++ = alpha[(v >> 6) & 63];
        if (pad) {
            if (rest == 1)
                *o++ = '=';
            *o++ = '=';
        }
    }
    out->len = (size_t)(o - out->ptr);
    return MOBID_OK;
}

static int b64_value(const char *alpha, uint8_t c)
{
    for (int i = 0; i < 64; i++)
        if ((uint8_t)alpha[i] == c)
            return i;
    return -1;
}

/* Decode groups of 4 symbols; a final group of 2 or 3 symbols must have zero
 * trailing bits (RFC 4648 §3.5 canonical encoding). */
static mobid_err b64_decode_symbols(const char *alpha, mobid_view in, mobid_buf *out)
{
    if (in.len % 4 == 1)
        return MOBID_ERR_BAD_BASE64;
    if (mobid_buf_reserve(out, in.len / 4 * 3 + 2) != MOBID_OK)
        return out->err;
    uint32_t acc = 0;
    unsigned nsym = 0;
    size_t start = out->len;
    for (size_t i = 0; i < in.len; i++) {
        int v = b64_value(alpha, in.ptr[i]);
        if (v < 0) {
            out->len = start;
            return MOBID_ERR_BAD_BASE64;
        }
        acc = acc << 6 | (uint32_t)v;
        if (++nsym == 4) {
            out->ptr[out->len++] = (uint8_t)(acc >> 16);
            out->ptr[out->len++] = (uint8_t)(acc >> 8);
            out->ptr[out->len++] = (uint8_t)acc;
            acc = 0;
            nsym = 0;
        }
    }
    if (nsym == 2) {
        if (acc & 0xF)
            goto bad;
        out->ptr[out->len++] = (uint8_t)(acc >> 4);
    } else if (nsym == 3) {
        if (acc & 0x3)
            goto bad;
        out->ptr[out->len++] = (uint8_t)(acc >> 10);
        out->ptr[out->len++] = (uint8_t)(acc >> 2);
    }
    return MOBID_OK;
bad:
    out->len = start;
    return MOBID_ERR_BAD_BASE64;
}

mobid_err mobid_b64url_encode(mobid_view in, mobid_buf *out) { return b64_encode(B64URL, false, in, out); }

mobid_err mobid_b64url_decode(mobid_view in, mobid_buf *out) { return b64_decode_symbols(B64URL, in, out); }

mobid_err mobid_b64_encode(mobid_view in, mobid_buf *out) { return b64_encode(B64STD, true, in, out); }

mobid_err mobid_b64_decode(mobid_view in, mobid_buf *out)
{
    if (in.len % 4 != 0)
        return MOBID_ERR_BAD_BASE64;
    size_t n = in.len;
    if (n && in.ptr[n - 1] == '=')
        n--;
    if (n && in.ptr[n - 1] == '=')
        n--;
    mobid_view body = { in.ptr, n };
    return b64_decode_symbols(B64STD, body, out);
}

mobid_err mobid_hex_encode(mobid_view in, mobid_buf *out)
{
    static const char digits[] = "0123456789abcdef";
    if (mobid_buf_reserve(out, in.len * 2) != MOBID_OK)
        return out->err;
    for (size_t i = 0; i < in.len; i++) {
        out->ptr[out->len++] = (uint8_t)digits[in.ptr[i] >> 4];
        out->ptr[out->len++] = (uint8_t)digits[in.ptr[i] & 15];
    }
    return MOBID_OK;
}

static int hex_value(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static bool is_space(uint8_t c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

mobid_err mobid_hex_decode(mobid_view in, mobid_buf *out)
{
    if (mobid_buf_reserve(out, in.len / 2) != MOBID_OK)
        return out->err;
    size_t start = out->len;
    int hi = -1;
    for (size_t i = 0; i < in.len; i++) {
        if (is_space(in.ptr[i]) && hi < 0)
            continue;
        int v = hex_value(in.ptr[i]);
        if (v < 0) {
            out->len = start;
            return MOBID_ERR_BAD_HEX;
        }
        if (hi < 0) {
            hi = v;
        } else {
            out->ptr[out->len++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    if (hi >= 0) {
        out->len = start;
        return MOBID_ERR_BAD_HEX;
    }
    return MOBID_OK;
}

bool mobid_looks_hex(mobid_view in)
{
    size_t digits = 0;
    for (size_t i = 0; i < in.len; i++) {
        if (hex_value(in.ptr[i]) >= 0)
            digits++;
        else if (!is_space(in.ptr[i]))
            return false;
    }
    return digits > 0 && digits % 2 == 0;
}
