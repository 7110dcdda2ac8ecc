/*
 * mobid CBOR (RFC 8949): a decoder that is a cursor over the caller's bytes and
 * never allocates, and a deterministic encoder (RFC 8949 §4.2.1).
 *
 * Decoding: mobid_cbor_decode() checks that a whole data item is well formed
 * within the limits (iteratively: depth cannot exhaust the C stack) and returns
 * its top-level item. Children are then walked with mobid_cbor_iter_*; they are
 * already validated, so walking cannot read out of bounds. Every item carries
 * `span`, the exact encoded bytes as received (mdoc hashes these, never a
 * re-encoding). Views point into the input: keep it alive while items are used.
 *
 * Encoding: a mobid_cbor_enc appends to a mobid_buf (or only counts bytes when
 * the buffer is NULL: the size-only pass) with a sticky error checked once by
 * mobid_cbor_enc_finish(). Maps opened with mobid_cbor_map_begin() are sorted
 * by encoded key bytes when closed, and their counts filled in, so output is
 * deterministic whatever order the caller writes pairs in.
 */
#ifndef MOBID_CBOR_H
#define MOBID_CBOR_H

#include <mobid/base.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum mobid_cbor_type {
    MOBID_CBOR_UINT = 0,   /* major 0 */
    MOBID_CBOR_NEGINT = 1, /* major 1: value is -1 - arg */
    MOBID_CBOR_BYTES = 2,
    MOBID_CBOR_TEXT = 3,
    MOBID_CBOR_ARRAY = 4,
    MOBID_CBOR_MAP = 5,
    MOBID_CBOR_TAG = 6,
    MOBID_CBOR_SIMPLE = 7, /* false(20) true(21) null(22) undefined(23) and others */
    MOBID_CBOR_FLOAT = 8   /* half, single or double */
} mobid_cbor_type;

#define MOBID_CBOR_FALSE 20
#define MOBID_CBOR_TRUE 21
#define MOBID_CBOR_NULL 22
#define MOBID_CBOR_UNDEFINED 23

/* Hard ceiling on max_depth: the decoder's validation stack has this many
 * frames (about 16 KiB of C stack); larger limits are clamped to it. */
#define MOBID_CBOR_DEPTH_CAP 1024

typedef struct mobid_cbor_limits {
    unsigned max_depth; /* nesting of arrays, maps and tags; default 64 (an item
                           inside one array is at depth 1; 0 allows scalars only) */
    size_t max_items;   /* data items in the whole input; default 1 000 000 */
    size_t max_string;  /* bytes in one string (chunks summed); default 16 MiB */
} mobid_cbor_limits;

/* Defaults used when a NULL limits pointer is passed. */
extern const mobid_cbor_limits mobid_cbor_default_limits;

typedef struct mobid_cbor_item {
    mobid_cbor_type type;
    mobid_view span;   /* the whole encoded item: head and content */
    bool indefinite;   /* indefinite-length string, array or map */
    uint64_t arg;      /* UINT/NEGINT: argument; TAG: tag number; ARRAY/MAP:
                          count of elements/pairs (also for indefinite, counted
                          during validation); BYTES/TEXT: total length;
                          SIMPLE: simple value */
    double f;          /* FLOAT: value */
    uint8_t float_size;/* FLOAT: 2, 4 or 8 bytes as encoded */
    mobid_view str;    /* BYTES/TEXT definite: the content; indefinite: empty
                          (walk the chunks with mobid_cbor_iter) */
    mobid_view content;/* ARRAY/MAP/TAG and indefinite strings: bytes after the
                          head (up to and including the break, if any) */
} mobid_cbor_item;

/* Validate one complete item at the start of `in` and describe it in *out
 * (views into `in`, which the caller keeps alive; nothing is allocated or
 * copied). lim NULL = mobid_cbor_default_limits. *consumed (may be NULL) gets
 * its encoded length; trailing bytes are allowed here (use
 * mobid_cbor_decode_exact to forbid them). Non-preferred but well-formed heads
 * (e.g. 1801 for 1) are accepted and kept as received in the spans.
 * Errors: TRUNCATED (input ends early, including any declared length or count
 * larger than the bytes left, checked before reading on), MALFORMED (reserved
 * additional info 28..30, indefinite length on majors 0, 1 and 6, a break
 * outside an indefinite item or after a map key, a chunk that is not a definite
 * string of the same major type, invalid UTF-8 in text, simple values 0..31 in
 * the two-byte form), TOO_DEEP (max_depth), TOO_BIG (max_items, max_string),
 * INVALID_ARG (out NULL, or in.ptr NULL with a length). On error *out and
 * *consumed are left unchanged. */
MOBID_MUST_CHECK mobid_err mobid_cbor_decode(mobid_view in, const mobid_cbor_limits *lim,
                                             mobid_cbor_item *out, size_t *consumed);
/* As mobid_cbor_decode, but the item must fill `in` exactly (else MALFORMED). */
MOBID_MUST_CHECK mobid_err mobid_cbor_decode_exact(mobid_view in,
                                                   const mobid_cbor_limits *lim,
                                                   mobid_cbor_item *out);

/* Iterate over the children of a validated ARRAY (elements), MAP (key, value,
 * key, value, ...), TAG (the one tagged item) or indefinite string (chunks). */
typedef struct mobid_cbor_iter {
    mobid_view rest;
    uint64_t remaining; /* items left (maps count keys and values) */
    bool indefinite;
} mobid_cbor_iter;

/* Any other item (or a definite string) gives an iterator that is at its end.
 * `container` must come from mobid_cbor_decode or an iterator over a decoded
 * item; the iterator points into the same input. */
void mobid_cbor_iter_init(mobid_cbor_iter *it, const mobid_cbor_item *container);
/* MOBID_OK with *out set, or MOBID_ERR_NOT_FOUND at the end. Walking skips each
 * child once (cost linear in the child's size); nothing is allocated. */
mobid_err mobid_cbor_iter_next(mobid_cbor_iter *it, mobid_cbor_item *out);

/* The item a TAG wraps. */
mobid_err mobid_cbor_tag_content(const mobid_cbor_item *tag, mobid_cbor_item *out);

/* Look up a map value by text key (definite-length keys only) or by integer
 * key (first match; a linear walk). NOT_FOUND if absent, MALFORMED if `map` is
 * not a map. */
mobid_err mobid_cbor_map_get_text(const mobid_cbor_item *map, const char *key,
                                  mobid_cbor_item *out);
mobid_err mobid_cbor_map_get_int(const mobid_cbor_item *map, int64_t key,
                                 mobid_cbor_item *out);

/* Typed accessors; MALFORMED when the item has another type or does not fit. */
mobid_err mobid_cbor_get_int64(const mobid_cbor_item *it, int64_t *out);
mobid_err mobid_cbor_get_uint64(const mobid_cbor_item *it, uint64_t *out);
mobid_err mobid_cbor_get_bool(const mobid_cbor_item *it, bool *out);
/* Definite-length text/bytes only. */
mobid_err mobid_cbor_get_text(const mobid_cbor_item *it, mobid_view *out);
mobid_err mobid_cbor_get_bytes(const mobid_cbor_item *it, mobid_view *out);
bool mobid_cbor_is_null(const mobid_cbor_item *it);
/* Tag 24 (encoded CBOR data item): the embedded item, decoded and validated
 * with the same limits; *bytes (may be NULL) gets the inner byte string content. */
mobid_err mobid_cbor_get_embedded(const mobid_cbor_item *tag24, const mobid_cbor_limits *lim,
                                  mobid_cbor_item *out, mobid_view *bytes);

/* Diagnostic notation (RFC 8949 §8) of every item in `in`, one per line (each
 * line ends with '\n'), appended to out. Floats are printed as in RFC 8949
 * Appendix A (1.5, 1.0e+300, 5.960464477539063e-8, NaN, -Infinity), tags 2 and 3
 * over a byte string as the decimal number they stand for, indefinite items
 * with "_". Errors: those of mobid_cbor_decode (output then holds the lines of
 * the items before the bad one), or out's sticky error. */
mobid_err mobid_cbor_diag(mobid_view in, const mobid_cbor_limits *lim, mobid_buf *out);
/* Diagnostic notation of one decoded item (no newline), appended to out. */
mobid_err mobid_cbor_diag_item(const mobid_cbor_item *it, mobid_buf *out);

/* ---------------------------------------------------------------- encoder */

#define MOBID_CBOR_ENC_MAX_DEPTH 32

typedef struct mobid_cbor_enc {
    mobid_buf *out;   /* NULL: size-only pass */
    size_t size;      /* bytes written (or that would be written) */
    mobid_err err;    /* sticky */
    unsigned depth;
    struct {
        size_t start;   /* offset of the container content */
        uint64_t count; /* items written directly inside; for a fixed-count
                           head or a tag: items still expected */
        uint8_t kind;   /* array, map, byte-string wrapper, fixed head/tag */
    } open[MOBID_CBOR_ENC_MAX_DEPTH];
} mobid_cbor_enc;

/* Start encoding: output is appended to out (which the caller owns and frees;
 * its existing content is kept), or only counted in e->size when out is NULL.
 * An error already in out->err is adopted as the sticky error. */
void mobid_cbor_enc_init(mobid_cbor_enc *e, mobid_buf *out);
/* The sticky error, or MALFORMED if a container is still open. Errors recorded
 * along the way: NOMEM/TOO_BIG from the buffer, TOO_DEEP past
 * MOBID_CBOR_ENC_MAX_DEPTH open containers and tags, MALFORMED for an end that
 * does not match its begin, an odd number of map items, duplicate map keys,
 * invalid UTF-8 text or a bad raw item, INVALID_ARG for simple values 24..31.
 * The size-only pass cannot see duplicate keys (it keeps no bytes). */
MOBID_MUST_CHECK mobid_err mobid_cbor_enc_finish(mobid_cbor_enc *e);

void mobid_cbor_put_uint(mobid_cbor_enc *e, uint64_t v);
void mobid_cbor_put_int(mobid_cbor_enc *e, int64_t v);
/* The negative integer -1 - arg (down to -2^64). */
void mobid_cbor_put_negint(mobid_cbor_enc *e, uint64_t arg);
void mobid_cbor_put_bytes(mobid_cbor_enc *e, mobid_view v);
void mobid_cbor_put_text(mobid_cbor_enc *e, mobid_view v); /* must be valid UTF-8 */
void mobid_cbor_put_cstr(mobid_cbor_enc *e, const char *s);
void mobid_cbor_put_tag(mobid_cbor_enc *e, uint64_t tag);  /* the next item is tagged */
void mobid_cbor_put_bool(mobid_cbor_enc *e, bool v);
void mobid_cbor_put_null(mobid_cbor_enc *e);
void mobid_cbor_put_undefined(mobid_cbor_enc *e);
void mobid_cbor_put_simple(mobid_cbor_enc *e, uint8_t v);
/* Shortest of half/single/double that keeps the value exactly (NaN as f97e00). */
void mobid_cbor_put_float(mobid_cbor_enc *e, double v);
/* An already-encoded item, copied as is (counted as one item). It must be exactly
 * one well-formed item (else MALFORMED); it is not re-encoded. */
void mobid_cbor_put_raw(mobid_cbor_enc *e, mobid_view encoded);
/* Containers with a known count: the caller then writes exactly n items (2n for maps,
 * which are NOT sorted; prefer map_begin). Until they are written the head is
 * open (it counts towards MOBID_CBOR_ENC_MAX_DEPTH, as does a tag until its
 * item is written); the container then counts as one item of its parent. */
void mobid_cbor_put_array_head(mobid_cbor_enc *e, uint64_t n);
void mobid_cbor_put_map_head(mobid_cbor_enc *e, uint64_t n);
/* Containers whose count is filled in at the end; maps are sorted by encoded key
 * and duplicate keys are an error (MALFORMED). */
void mobid_cbor_array_begin(mobid_cbor_enc *e);
void mobid_cbor_array_end(mobid_cbor_enc *e);
void mobid_cbor_map_begin(mobid_cbor_enc *e);
void mobid_cbor_map_end(mobid_cbor_enc *e);
/* A byte string whose content is the CBOR written between begin and end
 * (COSE protected headers, tag-24 items: put_tag(24) first). */
void mobid_cbor_bstr_begin(mobid_cbor_enc *e);
void mobid_cbor_bstr_end(mobid_cbor_enc *e);
/* Re-encode a decoded item deterministically: shortest heads and floats,
 * indefinite items made definite, maps sorted (duplicates MALFORMED). */
void mobid_cbor_put_item(mobid_cbor_enc *e, const mobid_cbor_item *it);

#ifdef __cplusplus
}
#endif
#endif
