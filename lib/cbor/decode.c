/*
 * CBOR decoder: validation of one whole data item as a cursor over the input.
 *
 * The walk is iterative with an explicit stack of open containers, so hostile
 * nesting costs a bounded amount of C stack and fails with TOO_DEEP. Declared
 * lengths and counts are compared with the bytes that remain before anything
 * is read, so a 9-byte input declaring 2^64 bytes is TRUNCATED at once. Nothing
 * here allocates.
 */
#include "cbor_internal.h"

#include <math.h>
#include <string.h>

const mobid_cbor_limits mobid_cbor_default_limits = {
    .max_depth = 64,
    .max_items = 1000000,
    .max_string = (size_t)16 * 1024 * 1024,
};

/* Children of validated items are re-walked with these: the depth was checked
 * already (and is at most the cap), counts and sizes too. */
const mobid_cbor_limits cbor_trusted_limits = {
    .max_depth = MOBID_CBOR_DEPTH_CAP,
    .max_items = SIZE_MAX,
    .max_string = SIZE_MAX,
};

mobid_err cbor_read_head(mobid_view in, cbor_head *h)
{
    if (in.len == 0)
        return MOBID_ERR_TRUNCATED;
    h->major = in.ptr[0] >> 5;
    h->ai = in.ptr[0] & 0x1f;
    h->arg = h->ai;
    h->len = 1;
    if (h->ai >= 28 && h->ai <= 30)
        return MOBID_ERR_MALFORMED;
    if (h->ai == 31) {
        h->arg = 0;
        /* Indefinite length exists only for strings, arrays and maps; on
         * major 7 it is the break, judged by the caller. */
        return (h->major <= 1 || h->major == 6) ? MOBID_ERR_MALFORMED : MOBID_OK;
    }
    if (h->ai >= 24) {
        size_t n = (size_t)1 << (h->ai - 24);
        if (in.len - 1 < n)
            return MOBID_ERR_TRUNCATED;
        h->arg = 0;
        for (size_t i = 0; i < n; i++)
            h->arg = (h->arg << 8) | in.ptr[1 + i];
        h->len = 1 + n;
    }
    /* RFC 8949 §3.3: simple values 0..31 have only the one-byte form. */
    if (h->major == 7 && h->ai == 24 && h->arg < 32)
        return MOBID_ERR_MALFORMED;
    return MOBID_OK;
}


double cbor_half_to_double(uint16_t h)
{
    int exp = (h >> 10) & 0x1f;
    int mant = h & 0x3ff;
    double v;
    if (exp == 0)
        v = ldexp(mant, -24);
    else if (exp != 31)
        v = ldexp(mant + 1024, exp - 25);
    else
        v = mant == 0 ? INFINITY : NAN;
    return (h & 0x8000) ? -v : v;
}

bool cbor_double_to_half(double d, uint16_t *h)
{
    uint16_t sign = signbit(d) ? 0x8000 : 0;
    double a = fabs(d);
    if (isnan(d))
        return false;
    if (isinf(d)) {
        *h = sign | 0x7c00;
        return true;
    }
    if (a > 65504.0)
        return false;
    if (a < ldexp(1, -14)) { /* zero or subnormal: a multiple of 2^-24 */
        double m = ldexp(a, 24);
        if (m != floor(m))
            return false;
        *h = sign | (uint16_t)m;
        return true;
    }
    int e;
    double fr = frexp(a, &e); /* a = fr * 2^e, 0.5 <= fr < 1 */
    double m = ldexp(fr, 11); /* 11 significant bits, 1024 <= m < 2048 */
    if (m != floor(m))
        return false;
    *h = sign | (uint16_t)((e - 1 + 15) << 10) | (uint16_t)((uint16_t)m - 1024);
    return true;
}

/* An open container on the validation stack. */
enum { FR_DEFINITE, FR_INDEF_CONTAINER, FR_INDEF_STRING };

typedef struct scan_frame {
    uint64_t n;    /* definite: items still expected; indefinite container: items
                      seen; indefinite string: bytes so far */
    uint8_t kind;  /* FR_* */
    uint8_t major; /* major type of the container */
} scan_frame;

typedef struct scan_state {
    scan_frame st[MOBID_CBOR_DEPTH_CAP + 1]; /* +1: an indefinite string's chunks */
    unsigned depth;
    unsigned max_depth;
    uint64_t top_indef_arg;
} scan_state;

static mobid_err scan_push(scan_state *s, uint8_t kind, uint8_t major, uint64_t n)
{
    /* Indefinite strings hold only flat chunks and do not count as nesting. */
    if (kind != FR_INDEF_STRING && s->depth >= s->max_depth)
        return MOBID_ERR_TOO_DEEP;
    s->st[s->depth].kind = kind;
    s->st[s->depth].major = major;
    s->st[s->depth].n = n;
    s->depth++;
    return MOBID_OK;
}

/* A child just completed: close every definite container it completes. */
static void scan_item_done(scan_state *s)
{
    while (s->depth > 0) {
        scan_frame *top = &s->st[s->depth - 1];
        if (top->kind == FR_INDEF_CONTAINER)
            top->n++;
        if (top->kind != FR_DEFINITE || --top->n > 0)
            return;
        s->depth--;
    }
}

static mobid_err scan_break(scan_state *s)
{
    if (s->depth == 0 || s->st[s->depth - 1].kind == FR_DEFINITE)
        return MOBID_ERR_MALFORMED; /* a break outside an indefinite item */
    scan_frame *top = &s->st[s->depth - 1];
    if (top->major == 5 && top->n % 2)
        return MOBID_ERR_MALFORMED; /* a key without a value */
    s->depth--;
    if (s->depth == 0)
        s->top_indef_arg = top->major == 5 ? top->n / 2 : top->n;
    scan_item_done(s);
    return MOBID_OK;
}

/* A string (or chunk) whose head h was read; `body` starts after the head. */
static mobid_err scan_string(scan_state *s, const cbor_head *h, mobid_view body,
                             const mobid_cbor_limits *lim, bool check_utf8)
{
    if (h->arg > body.len)
        return MOBID_ERR_TRUNCATED;
    scan_frame *top = s->depth ? &s->st[s->depth - 1] : NULL;
    uint64_t total = h->arg;
    if (top && top->kind == FR_INDEF_STRING)
        total += top->n; /* cannot wrap: both are bounded by the input length */
    if (total > lim->max_string)
        return MOBID_ERR_TOO_BIG;
    if (h->major == 3 && check_utf8 && !mobid_utf8_valid(mobid_view_make(body.ptr, h->arg)))
        return MOBID_ERR_MALFORMED;
    if (top && top->kind == FR_INDEF_STRING)
        top->n = total;
    return MOBID_OK;
}

/* One head at in[*pos]: check it and open a container or consume a leaf. */
static mobid_err scan_one(scan_state *s, mobid_view in, size_t *pos, const mobid_cbor_limits *lim,
                          bool check_utf8)
{
    cbor_head h;
    mobid_err err = cbor_read_head(mobid_view_make(in.ptr + *pos, in.len - *pos), &h);
    if (err != MOBID_OK)
        return err;
    *pos += h.len;
    size_t left = in.len - *pos;
    scan_frame *top = s->depth ? &s->st[s->depth - 1] : NULL;
    bool is_break = h.major == 7 && h.ai == 31;
    if (top && top->kind == FR_INDEF_STRING && !is_break && (h.major != top->major || h.ai == 31))
        return MOBID_ERR_MALFORMED; /* chunks are definite strings of the same type */
    if (is_break)
        return scan_break(s);
    if (h.ai == 31)
        return scan_push(s, h.major <= 3 ? FR_INDEF_STRING : FR_INDEF_CONTAINER, h.major, 0);
    switch (h.major) {
    case 2:
    case 3:
        if ((err = scan_string(s, &h, mobid_view_make(in.ptr + *pos, left), lim, check_utf8)))
            return err;
        *pos += (size_t)h.arg;
        break;
    case 4:
    case 5:
        /* Every element takes at least one byte. */
        if (h.arg > (h.major == 4 ? left : left / 2))
            return MOBID_ERR_TRUNCATED;
        if (h.arg > 0)
            return scan_push(s, FR_DEFINITE, h.major, h.major == 4 ? h.arg : 2 * h.arg);
        break;
    case 6:
        return scan_push(s, FR_DEFINITE, 6, 1);
    default:
        break;
    }
    scan_item_done(s);
    return MOBID_OK;
}

mobid_err cbor_scan(mobid_view in, const mobid_cbor_limits *lim, bool check_utf8, size_t *len,
                    uint64_t *indef_arg)
{
    scan_state s;
    s.depth = 0;
    s.max_depth = lim->max_depth < MOBID_CBOR_DEPTH_CAP ? lim->max_depth : MOBID_CBOR_DEPTH_CAP;
    s.top_indef_arg = 0;
    size_t pos = 0, items = 0;
    mobid_err err = MOBID_OK;
    do {
        /* Breaks end items; they are not items themselves. */
        if (pos < in.len && in.ptr[pos] != 0xff && ++items > lim->max_items) {
            err = MOBID_ERR_TOO_BIG;
            goto done;
        }
        if ((err = scan_one(&s, in, &pos, lim, check_utf8)) != MOBID_OK)
            goto done;
    } while (s.depth > 0);
    *len = pos;
    *indef_arg = s.top_indef_arg;
done:
    return err;
}

mobid_err cbor_skip_definite(mobid_view in, size_t *len)
{
    uint64_t pending = 1; /* items still to skip */
    size_t pos = 0;
    while (pending > 0) {
        cbor_head h;
        mobid_err err = cbor_read_head(mobid_view_make(in.ptr + pos, in.len - pos), &h);
        if (err != MOBID_OK)
            return err;
        if (h.ai == 31)
            return MOBID_ERR_NOT_FOUND; /* indefinite or break: the full scanner */
        pos += h.len;
        pending--;
        size_t left = in.len - pos;
        /* Bounds are still checked: counts and lengths never exceed the bytes
         * left, so pending cannot overflow. */
        if (h.major == 2 || h.major == 3) {
            if (h.arg > left)
                return MOBID_ERR_TRUNCATED;
            pos += (size_t)h.arg;
        } else if (h.major == 4 || h.major == 5) {
            if (h.arg > left)
                return MOBID_ERR_TRUNCATED;
            pending += h.major == 4 ? h.arg : 2 * h.arg;
        } else if (h.major == 6) {
            pending++;
        }
    }
    *len = pos;
    return MOBID_OK;
}

static void describe_float(const cbor_head *h, mobid_cbor_item *out)
{
    out->type = MOBID_CBOR_FLOAT;
    out->float_size = (uint8_t)(h->len - 1);
    if (h->ai == 25) {
        out->f = cbor_half_to_double((uint16_t)h->arg);
    } else if (h->ai == 26) {
        uint32_t bits = (uint32_t)h->arg;
        float f;
        memcpy(&f, &bits, sizeof f);
        out->f = f;
    } else {
        uint64_t bits = h->arg;
        memcpy(&out->f, &bits, sizeof out->f);
    }
}

void cbor_describe(mobid_view span, uint64_t indef_arg, mobid_cbor_item *out)
{
    cbor_head h;
    memset(out, 0, sizeof *out);
    (void)cbor_read_head(span, &h); /* cannot fail: the item was scanned */
    out->span = span;
    out->type = (mobid_cbor_type)h.major;
    out->indefinite = h.ai == 31;
    out->arg = out->indefinite ? indef_arg : h.arg;
    out->content = mobid_view_make(span.ptr + h.len, span.len - h.len);
    if ((h.major == 2 || h.major == 3) && !out->indefinite)
        out->str = out->content;
    if (h.major == 7 && h.ai >= 25 && h.ai <= 27)
        describe_float(&h, out);
    else if (h.major == 7)
        out->type = MOBID_CBOR_SIMPLE;
}

mobid_err mobid_cbor_decode(mobid_view in, const mobid_cbor_limits *lim, mobid_cbor_item *out,
                            size_t *consumed)
{
    size_t len = 0;
    uint64_t indef_arg = 0;
    mobid_err err = MOBID_ERR_INVALID_ARG;
    if (!out || (!in.ptr && in.len))
        goto done;
    err = cbor_scan(in, lim ? lim : &mobid_cbor_default_limits, true, &len, &indef_arg);
    if (err != MOBID_OK)
        goto done;
    cbor_describe(mobid_view_make(in.ptr, len), indef_arg, out);
    if (consumed)
        *consumed = len;
done:
    return err;
}

mobid_err mobid_cbor_decode_exact(mobid_view in, const mobid_cbor_limits *lim,
                                  mobid_cbor_item *out)
{
    size_t len = 0;
    mobid_err err = mobid_cbor_decode(in, lim, out, &len);
    if (err == MOBID_OK && len != in.len)
        err = MOBID_ERR_MALFORMED; /* trailing bytes */
    return err;
}
