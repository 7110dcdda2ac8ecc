/*
 * Map key ordering for the encoder (RFC 8949 §4.2.1): pairs sorted by the
 * bytewise lexicographic order of their encoded keys; equal keys are an error.
 * Pairs written in order already (the common case) cost one pass and no
 * allocation; otherwise the pairs are sorted through a temporary copy.
 */
#include "cbor_internal.h"

#include <stdlib.h>
#include <string.h>

typedef struct map_pair {
    const uint8_t *key; /* into the temporary copy */
    size_t key_len;
    size_t len;         /* key and value */
} map_pair;

mobid_err cbor_sort_map(uint8_t *content, size_t len, uint64_t pairs);

/* <0, 0, >0 as a sorts before, equals or after b. Well-formed keys are never a
 * proper prefix of each other, but compare lengths anyway. */
static int key_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);
    if (c != 0)
        return c;
    return alen < blen ? -1 : alen > blen;
}

static int pair_cmp(const void *pa, const void *pb)
{
    const map_pair *a = pa, *b = pb;
    return key_cmp(a->key, a->key_len, b->key, b->key_len);
}

/* Length of the encoded item at the start of `in` (written by the encoder or
 * checked by put_raw, so only its extent is needed). */
static mobid_err item_len(mobid_view in, size_t *len)
{
    uint64_t unused;
    mobid_err err = cbor_skip_definite(in, len);
    if (err == MOBID_ERR_NOT_FOUND)
        err = cbor_scan(in, &cbor_trusted_limits, false, len, &unused);
    return err;
}

/* Split content into pairs; when `out` is NULL only report whether the keys
 * are strictly increasing already (*sorted). */
static mobid_err split_pairs(const uint8_t *content, size_t len, uint64_t pairs, map_pair *out,
                             bool *sorted)
{
    mobid_view rest = mobid_view_make(content, len);
    const uint8_t *prev = NULL;
    size_t prev_len = 0;
    *sorted = true;
    for (uint64_t i = 0; i < pairs; i++) {
        size_t klen = 0, vlen = 0;
        mobid_err err = item_len(rest, &klen);
        if (err == MOBID_OK)
            err = item_len(mobid_view_make(rest.ptr + klen, rest.len - klen), &vlen);
        if (err != MOBID_OK)
            return MOBID_ERR_MALFORMED;
        if (prev && key_cmp(prev, prev_len, rest.ptr, klen) >= 0)
            *sorted = false;
        if (out) {
            out[i].key = rest.ptr;
            out[i].key_len = klen;
            out[i].len = klen + vlen;
        }
        prev = rest.ptr;
        prev_len = klen;
        rest.ptr += klen + vlen;
        rest.len -= klen + vlen;
    }
    return MOBID_OK;
}

mobid_err cbor_sort_map(uint8_t *content, size_t len, uint64_t pairs)
{
    map_pair *pv = NULL;
    uint8_t *copy = NULL;
    bool sorted;
    mobid_err err = split_pairs(content, len, pairs, NULL, &sorted);
    if (err != MOBID_OK || sorted)
        goto done;
    err = MOBID_ERR_NOMEM;
    if (pairs > SIZE_MAX / sizeof *pv)
        goto done;
    pv = mobid_malloc((size_t)pairs * sizeof *pv);
    copy = mobid_malloc(len);
    if (!pv || !copy)
        goto done;
    memcpy(copy, content, len);
    if ((err = split_pairs(copy, len, pairs, pv, &sorted)) != MOBID_OK)
        goto done;
    qsort(pv, (size_t)pairs, sizeof *pv, pair_cmp);
    size_t off = 0;
    for (size_t i = 0; i < pairs; i++) {
        if (i > 0 && pair_cmp(&pv[i - 1], &pv[i]) == 0) {
            err = MOBID_ERR_MALFORMED; /* duplicate key */
            goto done;
        }
        memcpy(content + off, pv[i].key, pv[i].len);
        off += pv[i].len;
    }
    err = MOBID_OK;
done:
    if (copy)
        mobid_wipe(copy, len); /* maps may carry secrets (COSE keys) */
    mobid_free(copy);
    mobid_free(pv);
    return err;
}
