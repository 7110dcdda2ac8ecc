// mobid-module: statuslist
/*
 * Fuzz the status list decoders. The first byte picks the parser:
 *   0 JSON list form     1 CBOR list form    2 token (JWT or CWT, not verified)
 *   3 raw zlib (bits from the second byte)  4 status reference (JSON)
 *   5 status reference (CBOR)
 * Every list that decodes must survive a re-encode/decode round trip unchanged.
 * Decoding is capped at 1 MiB packed so a zip bomb ends quickly in TOO_BIG.
 */
#include <mobid/statuslist.h>

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const mobid_statuslist_limits LIMITS = { 1024 * 1024, 0 };

/* Re-encode l in the JSON form and decode it again: the packed bytes must match. */
static void roundtrip(const mobid_statuslist *l)
{
    mobid_buf j;
    mobid_buf_init(&j, 0);
    mobid_statuslist *back = NULL;
    if (mobid_statuslist_to_json(l, MOBID_STATUSLIST_ZLIB_RLE, &j) != MOBID_OK ||
        mobid_statuslist_from_json(mobid_buf_view(&j), &LIMITS, &back) != MOBID_OK ||
        !mobid_view_eq(mobid_statuslist_packed(l), mobid_statuslist_packed(back)))
        abort();
    unsigned v;
    if (mobid_statuslist_get(l, mobid_statuslist_size(l), &v) != MOBID_ERR_STATUS_INDEX_OUT_OF_RANGE)
        abort();
    mobid_statuslist_free(back);
    mobid_buf_free(&j);
}

static void fuzz_cbor_list(mobid_view in, mobid_statuslist **l)
{
    mobid_cbor_item it;
    if (mobid_cbor_decode_exact(in, NULL, &it) == MOBID_OK &&
        mobid_statuslist_from_cbor(&it, &LIMITS, l) != MOBID_OK)
        *l = NULL;
}

static void fuzz_refs(uint8_t mode, mobid_view in)
{
    mobid_status_ref r = { 0, NULL };
    mobid_cbor_item it;
    mobid_err err = MOBID_ERR_MALFORMED;
    if (mode == 4)
        err = mobid_status_ref_from_json(in, &r);
    else if (mobid_cbor_decode_exact(in, NULL, &it) == MOBID_OK)
        err = mobid_status_ref_from_cbor(&it, &r);
    if ((err == MOBID_OK) != (r.uri != NULL))
        abort(); /* a uri exactly when the reference decoded */
    mobid_status_ref_clear(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    uint8_t mode = data[0] % 6;
    mobid_view in = mobid_view_make(data + 1, size - 1);
    mobid_statuslist *l = NULL;
    mobid_statuslist_token *t = NULL;
    mobid_err err = MOBID_OK;
    switch (mode) {
    case 0: err = mobid_statuslist_from_json(in, &LIMITS, &l); break;
    case 1: fuzz_cbor_list(in, &l); break;
    case 2: err = mobid_statuslist_token_decode(in, &LIMITS, &t); break;
    case 3:
        err = mobid_statuslist_decompress(1u << (data[1] % 4), mobid_view_make(data + 2, size - 2),
                                          &LIMITS, &l);
        break;
    default: fuzz_refs(mode, in); break;
    }
    /* A failed decode hands nothing out. */
    if (err != MOBID_OK && (l || t))
        abort();
    if (l)
        roundtrip(l);
    if (t)
        roundtrip(t->list);
    mobid_statuslist_free(l);
    mobid_statuslist_token_free(t);
    return 0;
}
