/*
 * mobid base: byte views and buffers, encodings, time.
 *
 * Ownership: a mobid_view never owns what it points at; the caller keeps the
 * bytes alive while the view is used. A mobid_buf owns its heap storage and is
 * released with mobid_buf_free(). Builders that append to a mobid_buf carry a
 * sticky error in buf->err: check it once at the end.
 */
#ifndef MOBID_BASE_H
#define MOBID_BASE_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <mobid/error.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A read-only span of bytes; ptr may be NULL only when len is 0. */
typedef struct mobid_view {
    const uint8_t *ptr;
    size_t len;
} mobid_view;

/* A growable, owned byte buffer with a hard maximum and a sticky error. */
typedef struct mobid_buf {
    uint8_t *ptr;
    size_t len;
    size_t cap;
    size_t max;     /* appends past this fail with MOBID_ERR_TOO_BIG; 0 = default */
    mobid_err err;  /* first error seen by any append; later appends do nothing */
} mobid_buf;

#define MOBID_BUF_DEFAULT_MAX ((size_t)64 * 1024 * 1024)

static inline mobid_view mobid_view_make(const void *p, size_t n)
{
    mobid_view v = { (const uint8_t *)p, n };
    return v;
}
mobid_view mobid_view_str(const char *s); /* view of a C string without its NUL */
static inline mobid_view mobid_buf_view(const mobid_buf *b)
{
    mobid_view v = { b->ptr, b->len };
    return v;
}
bool mobid_view_eq(mobid_view a, mobid_view b);      /* not constant time */
bool mobid_view_eq_str(mobid_view a, const char *s); /* not constant time */

/* Initialise an empty buffer that may grow to max bytes (0 = default max). */
void mobid_buf_init(mobid_buf *b, size_t max);
/* Free storage (wiping it first) and reset to empty. Safe on a zeroed buffer. */
void mobid_buf_free(mobid_buf *b);
/* Make room for n more bytes; returns the sticky error. */
mobid_err mobid_buf_reserve(mobid_buf *b, size_t n);
mobid_err mobid_buf_append(mobid_buf *b, const void *p, size_t n);
mobid_err mobid_buf_append_view(mobid_buf *b, mobid_view v);
mobid_err mobid_buf_append_str(mobid_buf *b, const char *s);
mobid_err mobid_buf_append_byte(mobid_buf *b, uint8_t c);
/* Append a NUL without counting it in len, so ptr can be used as a C string. */
mobid_err mobid_buf_terminate(mobid_buf *b);
/* Take ownership of the storage as a NUL-terminated heap string (free with free()). */
char *mobid_buf_detach_str(mobid_buf *b);
/* Heap copy of a view as a NUL-terminated string; NULL on allocation failure. */
char *mobid_view_strdup(mobid_view v);

/* Allocation through one hook, so tests can make the n-th allocation fail. */
void *mobid_malloc(size_t n);
void *mobid_calloc(size_t count, size_t n);
void *mobid_realloc(void *p, size_t n);
void mobid_free(void *p);
/* Test hook: fail every allocation after `countdown` more succeed; -1 disables. */
void mobid_alloc_fail_after(long countdown);

/* Wipe memory in a way the compiler cannot elide. */
void mobid_wipe(void *p, size_t n);
/* Constant-time comparison of equal-length byte strings; false if lengths differ. */
bool mobid_ct_eq(mobid_view a, mobid_view b);

/* ---- base64url (RFC 4648 §5), strict: no padding, no whitespace ---- */
size_t mobid_b64url_encoded_len(size_t n);
/* Appends the encoding of in to out. */
mobid_err mobid_b64url_encode(mobid_view in, mobid_buf *out);
/* Decodes strictly: padding, whitespace, non-alphabet bytes, a length of 1 mod 4
 * and non-zero trailing bits are MOBID_ERR_BAD_BASE64. Appends to out. */
MOBID_MUST_CHECK mobid_err mobid_b64url_decode(mobid_view in, mobid_buf *out);
/* Standard base64 with padding (for x5c and PEM), strict likewise. */
mobid_err mobid_b64_encode(mobid_view in, mobid_buf *out);
MOBID_MUST_CHECK mobid_err mobid_b64_decode(mobid_view in, mobid_buf *out);

/* ---- percent-encoding (RFC 3986 2.1) ---- */
/* Append in with every byte percent-encoded (upper-case hex) except the unreserved
 * characters (ALPHA, DIGIT, "-", ".", "_", "~") and those in also_keep (NULL: none;
 * e.g. "/:" inside a PKCS#11 URI's values). Returns out's sticky error. */
mobid_err mobid_pct_encode(mobid_view in, const char *also_keep, mobid_buf *out);

/* ---- hex ---- */
mobid_err mobid_hex_encode(mobid_view in, mobid_buf *out); /* lower case */
/* Write the n bytes of in as 2n lower-case hex digits and a NUL into out, which has
 * room for 2n + 1 chars: for fixed-size digests, keys and ids that need no buffer. */
void mobid_hex_str(const uint8_t *in, size_t n, char *out);
/* Decodes hex, ignoring ASCII whitespace between digit pairs; odd digits or
 * other bytes are MOBID_ERR_BAD_HEX. */
MOBID_MUST_CHECK mobid_err mobid_hex_decode(mobid_view in, mobid_buf *out);
/* True when the whole input is hex digits and whitespace with an even digit count. */
bool mobid_looks_hex(mobid_view in);
/* The value of one hex digit (0-9, a-f, A-F), or -1 for any other byte. */
int mobid_hex_digit(uint8_t c);

/* Length (1 to 4) of the well-formed UTF-8 sequence (RFC 3629: no overlong form, no
 * surrogate, nothing above U+10FFFF) that s starts with; 0 when it starts with none
 * or s is empty. */
size_t mobid_utf8_seq(mobid_view s);
/* True when all of s is well-formed UTF-8 (an empty view is). */
bool mobid_utf8_valid(mobid_view s);

/* ---- time: seconds since the Unix epoch, UTC ---- */
typedef int64_t mobid_time;

/* Parse RFC 3339 date-time ("2020-10-01T13:30:02Z", offsets, optional fraction).
 * Fractions are truncated; *has_fraction (may be NULL) tells if one was present. */
MOBID_MUST_CHECK mobid_err mobid_time_parse_rfc3339(mobid_view s, mobid_time *out,
                                                    bool *has_fraction);
/* Format as "YYYY-MM-DDTHH:MM:SSZ" into out (at least 21 bytes). */
mobid_err mobid_time_format_rfc3339(mobid_time t, char out[21]);
/* full-date "YYYY-MM-DD" → days since epoch and back (out at least 11 bytes). */
MOBID_MUST_CHECK mobid_err mobid_date_parse(mobid_view s, int64_t *days);
mobid_err mobid_date_format(int64_t days, char out[11]);
/* Civil date helpers. */
int64_t mobid_days_from_civil(int64_t y, unsigned m, unsigned d);
void mobid_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);
/* Completed years of age on civil day `today` for someone born on civil day `birth`
 * (days since 1970-01-01): the birthday counts on the day itself, and someone born
 * on 29 February turns a year older on 1 March in common years. Negative when birth
 * is after today. */
int64_t mobid_age_years(int64_t birth, int64_t today);

/* The clock: real time unless pinned (tests, --at). */
mobid_time mobid_now(void);
void mobid_clock_pin(mobid_time t);
void mobid_clock_unpin(void);

#ifdef __cplusplus
}
#endif
#endif
