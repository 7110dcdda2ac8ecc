/*
 * lib/cbor internals shared by the decoder, the accessors, the encoder and the
 * diagnostic printer. Not installed; nothing outside lib/cbor includes it.
 */
#ifndef MOBID_CBOR_INTERNAL_H
#define MOBID_CBOR_INTERNAL_H

#include <mobid/cbor.h>

/* One initial byte and its argument. */
typedef struct cbor_head {
    uint8_t major; /* 0..7 */
    uint8_t ai;    /* additional information, 0..31 */
    uint64_t arg;  /* argument (0 for ai 31) */
    size_t len;    /* bytes of the head: 1, 2, 3, 5 or 9 */
} cbor_head;

/* Parse the head at the start of `in`. TRUNCATED when the argument bytes are
 * missing; MALFORMED for reserved additional info 28..30, ai 31 on majors
 * 0, 1 and 6, and two-byte simple values below 32. */
mobid_err cbor_read_head(mobid_view in, cbor_head *h);

/* Check that one whole item starts at `in` within `lim` (depth clamped to
 * MOBID_CBOR_DEPTH_CAP); *len gets its encoded length. For an indefinite
 * string, array or map at the top, *indef_arg gets its total length, element
 * count or pair count. check_utf8 = false skips text validation (items already
 * validated). Never recurses, never allocates. */
mobid_err cbor_scan(mobid_view in, const mobid_cbor_limits *lim, bool check_utf8, size_t *len,
                    uint64_t *indef_arg);

/* Fast path for walking validated items: *len of the item at the start of
 * `in` when it holds no indefinite-length item, with one counter instead of a
 * stack and no UTF-8 or limit checks (the item was validated before); bounds
 * are still checked. NOT_FOUND when an indefinite item is met: use cbor_scan. */
mobid_err cbor_skip_definite(mobid_view in, size_t *len);

/* Describe the already-scanned item `span` (exactly its bytes). */
void cbor_describe(mobid_view span, uint64_t indef_arg, mobid_cbor_item *out);

/* Limits used to re-walk items that were validated before. */
extern const mobid_cbor_limits cbor_trusted_limits;

/* IEEE 754 binary16 ↔ double. cbor_double_to_half succeeds only when the value
 * is exactly representable (NaN is not handled here). */
double cbor_half_to_double(uint16_t h);
bool cbor_double_to_half(double d, uint16_t *h);

#endif
