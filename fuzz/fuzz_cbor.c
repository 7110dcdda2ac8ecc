// mobid-module: cbor
/*
 * libFuzzer target for lib/cbor. Each input is decoded item after item with
 * tight limits; every well-formed item is walked child by child (spans must
 * nest and tile their parent), printed in diagnostic notation, re-parsed from
 * its own span (same description, same diag), and re-encoded: the
 * deterministic encoding must decode, be a fixed point of re-encoding, and
 * match the size-only pass.
 */
#include <mobid/cbor.h>

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                                   \
    do {                                                                                   \
        if (!(cond))                                                                       \
            abort();                                                                       \
    } while (0)

static const mobid_cbor_limits fuzz_limits = {
    .max_depth = 48,
    .max_items = 100000,
    .max_string = 1 << 20,
};

static bool inside(mobid_view inner, mobid_view outer)
{
    return inner.ptr >= outer.ptr && inner.len <= outer.len &&
           (size_t)(inner.ptr - outer.ptr) <= outer.len - inner.len;
}

/* Children lie inside the parent's content, one after the other. Recursion
 * depth is bounded by fuzz_limits.max_depth. */
static void walk(const mobid_cbor_item *it)
{
    mobid_cbor_iter iter;
    mobid_cbor_item child;
    const uint8_t *next = it->content.ptr;
    uint64_t n = 0;
    mobid_cbor_iter_init(&iter, it);
    while (mobid_cbor_iter_next(&iter, &child) == MOBID_OK) {
        FUZZ_CHECK(inside(child.span, it->span));
        FUZZ_CHECK(child.span.ptr == next);
        next = child.span.ptr + child.span.len;
        n++;
        walk(&child);
    }
    if (it->type == MOBID_CBOR_ARRAY)
        FUZZ_CHECK(n == it->arg);
    if (it->type == MOBID_CBOR_MAP)
        FUZZ_CHECK(n == 2 * it->arg);
    if (it->type == MOBID_CBOR_TAG)
        FUZZ_CHECK(n == 1);
    /* The content ends with the last child, or with a break after it. */
    if (n > 0 && (it->type == MOBID_CBOR_ARRAY || it->type == MOBID_CBOR_MAP ||
                  it->type == MOBID_CBOR_TAG || it->indefinite))
        FUZZ_CHECK(next + (it->indefinite ? 1 : 0) == it->span.ptr + it->span.len);
}

static void diag_of(const mobid_cbor_item *it, mobid_buf *out)
{
    mobid_buf_init(out, 0);
    FUZZ_CHECK(mobid_cbor_diag_item(it, out) == MOBID_OK);
}

/* The item's own span decodes to the same description and the same text. */
static void reparse(const mobid_cbor_item *it, const mobid_buf *diag)
{
    mobid_cbor_item again;
    mobid_buf d2;
    FUZZ_CHECK(mobid_cbor_decode_exact(it->span, &fuzz_limits, &again) == MOBID_OK);
    FUZZ_CHECK(again.type == it->type && again.arg == it->arg &&
               again.indefinite == it->indefinite && again.span.len == it->span.len);
    diag_of(&again, &d2);
    FUZZ_CHECK(mobid_view_eq(mobid_buf_view(&d2), mobid_buf_view(diag)));
    mobid_buf_free(&d2);
}

static mobid_err encode(const mobid_cbor_item *it, mobid_buf *out, size_t *size)
{
    mobid_cbor_enc e;
    if (out)
        mobid_buf_init(out, 0);
    mobid_cbor_enc_init(&e, out);
    mobid_cbor_put_item(&e, it);
    *size = e.size;
    return mobid_cbor_enc_finish(&e);
}

static void reencode(const mobid_cbor_item *it)
{
    mobid_buf once, twice;
    size_t n1, n2, n0;
    mobid_cbor_item dec;
    mobid_err err = encode(it, &once, &n1);
    mobid_err size_err = encode(it, NULL, &n0);
    /* Too deep for the encoder, duplicate keys, NaN payloads...: only the
     * duplicate check is invisible to the size-only pass. */
    if (err == MOBID_OK) {
        FUZZ_CHECK(size_err == MOBID_OK && n0 == n1 && once.len == n1);
        FUZZ_CHECK(mobid_cbor_decode_exact(mobid_buf_view(&once), NULL, &dec) == MOBID_OK);
        FUZZ_CHECK(encode(&dec, &twice, &n2) == MOBID_OK);
        FUZZ_CHECK(mobid_view_eq(mobid_buf_view(&once), mobid_buf_view(&twice)));
        mobid_buf_free(&twice);
    }
    mobid_buf_free(&once);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mobid_view in = mobid_view_make(data, size);
    mobid_buf all;
    mobid_buf_init(&all, 0);
    /* The whole input through the diag entry point (errors are fine). */
    (void)mobid_cbor_diag(in, &fuzz_limits, &all);
    mobid_buf_free(&all);
    while (in.len > 0) {
        mobid_cbor_item it;
        size_t used = 0;
        if (mobid_cbor_decode(in, &fuzz_limits, &it, &used) != MOBID_OK)
            break;
        FUZZ_CHECK(used > 0 && used <= in.len && it.span.ptr == in.ptr && it.span.len == used);
        mobid_buf diag;
        walk(&it);
        diag_of(&it, &diag);
        reparse(&it, &diag);
        mobid_buf_free(&diag);
        reencode(&it);
        in.ptr += used;
        in.len -= used;
    }
    return 0;
}
