/* base64url, base64 and hex: strict decoders, as untrusted input needs. */
#include <mobid/base.h>

#include <string.h>

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

/* Reverse lookups: symbol value (0..63) for each byte, 0xFF for bytes outside the
 * alphabet, so decoding costs one table load per character. */
static const uint8_t B64URL_REV[256] = {
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x3E, 0xFF, 0xFF,
    0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3A, 0x3B, 0x3C, 0x3D, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E,
    0x0F, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0xFF, 0xFF, 0xFF, 0xFF, 0x3F,
    0xFF, 0x1A, 0x1B, 0x1C, 0x1D, 0x1E, 0x1F, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28,
    0x29, 0x2A, 0x2B, 0x2C, 0x2D, 0x2E, 0x2F, 0x30, 0x31, 0x32, 0x33, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
};

static const uint8_t B64STD_REV[256] = {
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x3E, 0xFF, 0xFF, 0xFF, 0x3F,
    0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3A, 0x3B, 0x3C, 0x3D, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E,
    0x0F, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0x1A, 0x1B, 0x1C, 0x1D, 0x1E, 0x1F, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28,
    0x29, 0x2A, 0x2B, 0x2C, 0x2D, 0x2E, 0x2F, 0x30, 0x31, 0x32, 0x33, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
};

static const uint8_t *b64_reverse(const char *alpha) { return alpha == B64URL ? B64URL_REV : B64STD_REV; }

/* The final group of 2 or 3 symbols (1 or 2 bytes); its unused low bits must be
 * zero (RFC 4648 §3.5 canonical encoding). Returns the bytes written, -1 if bad. */
static int b64_tail(const uint8_t *rev, const uint8_t *in, size_t n, uint8_t *o)
{
    uint32_t acc = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t v = rev[in[i]];
        if (v == 0xFF)
            return -1;
        acc = acc << 6 | v;
    }
    if (n == 2 && !(acc & 0xF)) {
        o[0] = (uint8_t)(acc >> 4);
        return 1;
    }
    if (n == 3 && !(acc & 0x3)) {
        o[0] = (uint8_t)(acc >> 10);
        o[1] = (uint8_t)(acc >> 2);
        return 2;
    }
    return n == 0 ? 0 : -1;
}

/* Decode groups of 4 symbols, then the final short group. The output goes through a
 * local pointer, 3 bytes a group: written through out->ptr[out->len++], each byte
 * store could alias out's own fields, which the compiler then reloaded every byte
 * (about 19 instructions a symbol, a twentieth of a wallet's work in a verification). */
static mobid_err b64_decode_symbols(const char *alpha, mobid_view in, mobid_buf *out)
{
    if (in.len % 4 == 1)
        return MOBID_ERR_BAD_BASE64;
    if (mobid_buf_reserve(out, in.len / 4 * 3 + 2) != MOBID_OK)
        return out->err;
    const uint8_t *rev = b64_reverse(alpha), *p = in.ptr;
    uint8_t *o = out->ptr + out->len;
    size_t groups = in.len / 4;
    for (size_t g = 0; g < groups; g++, p += 4, o += 3) {
        uint32_t a = rev[p[0]], b = rev[p[1]], c = rev[p[2]], d = rev[p[3]];
        if ((a | b | c | d) & 0xC0) /* a 0xFF: not in the alphabet */
            return MOBID_ERR_BAD_BASE64;
        uint32_t v = a << 18 | b << 12 | c << 6 | d;
        o[0] = (uint8_t)(v >> 16);
        o[1] = (uint8_t)(v >> 8);
        o[2] = (uint8_t)v;
    }
    int tail = b64_tail(rev, p, in.len % 4, o);
    if (tail < 0)
        return MOBID_ERR_BAD_BASE64;
    out->len = (size_t)(o + tail - out->ptr);
    return MOBID_OK;
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

/* RFC 3986's unreserved characters, and those of also_keep. */
static bool pct_kept(uint8_t c, const char *also_keep)
{
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
        return true;
    return c && (strchr("-._~", c) || (also_keep && strchr(also_keep, c)));
}

/* Runs of kept bytes go in with one append: a direct_post.jwt answer is one 5 KB
 * base64url JWE, which byte-at-a-time appends made a tenth of the wallet's work. */
mobid_err mobid_pct_encode(mobid_view in, const char *also_keep, mobid_buf *out)
{
    static const char digits[] = "0123456789ABCDEF";
    size_t run = 0;
    for (size_t i = 0; i < in.len; i++) {
        uint8_t c = in.ptr[i];
        if (pct_kept(c, also_keep))
            continue;
        char esc[3] = { '%', digits[c >> 4], digits[c & 15] };
        mobid_buf_append(out, in.ptr + run, i - run);
        mobid_buf_append(out, esc, 3);
        run = i + 1;
    }
    if (run < in.len)
        mobid_buf_append(out, in.ptr + run, in.len - run);
    return out->err;
}

void mobid_hex_str(const uint8_t *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = 0;
}

int mobid_hex_digit(uint8_t c)
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
        int v = mobid_hex_digit(in.ptr[i]);
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
        if (mobid_hex_digit(in.ptr[i]) >= 0)
            digits++;
        else if (!is_space(in.ptr[i]))
            return false;
    }
    return digits > 0 && digits % 2 == 0;
}

size_t mobid_utf8_seq(mobid_view s)
{
    uint8_t c = s.len ? s.ptr[0] : 0x80, lo = 0x80, hi = 0xbf; /* range of the 2nd byte */
    size_t n;

    if (c < 0x80)
        return s.len ? 1 : 0;
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        lo = c == 0xe0 ? 0xa0 : 0x80; /* no overlong forms */
        hi = c == 0xed ? 0x9f : 0xbf; /* no surrogates */
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        lo = c == 0xf0 ? 0x90 : 0x80;
        hi = c == 0xf4 ? 0x8f : 0xbf; /* nothing above U+10FFFF */
    } else {
        return 0; /* a continuation byte, C0/C1 (overlong) or F5..FF */
    }
    if (s.len < n || s.ptr[1] < lo || s.ptr[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if ((s.ptr[i] & 0xc0) != 0x80)
            return 0;
    return n;
}

bool mobid_utf8_valid(mobid_view s)
{
    size_t i = 0, n;
    while (i < s.len) {
        if (!(n = mobid_utf8_seq(mobid_view_make(s.ptr + i, s.len - i))))
            return false;
        i += n;
    }
    return true;
}
