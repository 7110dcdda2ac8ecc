/* Status lists: packed values (LSB first) and their bounded zlib compression. */
#include <mobid/statuslist.h>

#include <stdio.h>
#include <string.h>
#include <zlib.h>

struct mobid_statuslist {
    unsigned bits;
    size_t nbytes;
    uint8_t *bytes;
};

static bool bits_ok(unsigned bits) { return bits == 1 || bits == 2 || bits == 4 || bits == 8; }

/* Packed bytes needed for size entries, or 0 when it exceeds the cap. */
static size_t packed_len(unsigned bits, uint64_t size)
{
    uint64_t per_byte = 8 / bits;
    uint64_t n = size / per_byte + (size % per_byte != 0);
    return n > MOBID_STATUSLIST_MAX_BYTES ? 0 : (size_t)n;
}

/* Take ownership of bytes (allocated with mobid_malloc/calloc). */
static mobid_err list_wrap(unsigned bits, uint8_t *bytes, size_t n, mobid_statuslist **out)
{
    mobid_statuslist *l = mobid_malloc(sizeof *l);
    if (!l) {
        mobid_free(bytes);
        return MOBID_ERR_NOMEM;
    }
    l->bits = bits;
    l->nbytes = n;
    l->bytes = bytes;
    *out = l;
    return MOBID_OK;
}

mobid_err mobid_statuslist_new(unsigned bits, uint64_t size, mobid_statuslist **out)
{
    if (!out || !bits_ok(bits) || size == 0)
        return MOBID_ERR_INVALID_ARG;
    *out = NULL;
    size_t n = packed_len(bits, size);
    if (n == 0)
        return MOBID_ERR_TOO_BIG;
    uint8_t *bytes = mobid_calloc(n, 1);
    if (!bytes)
        return MOBID_ERR_NOMEM;
    return list_wrap(bits, bytes, n, out);
}

mobid_err mobid_statuslist_from_packed(unsigned bits, mobid_view packed, mobid_statuslist **out)
{
    if (!out || !bits_ok(bits) || packed.len == 0)
        return MOBID_ERR_INVALID_ARG;
    *out = NULL;
    if (packed.len > MOBID_STATUSLIST_MAX_BYTES)
        return MOBID_ERR_TOO_BIG;
    uint8_t *bytes = mobid_malloc(packed.len);
    if (!bytes)
        return MOBID_ERR_NOMEM;
    memcpy(bytes, packed.ptr, packed.len);
    return list_wrap(bits, bytes, packed.len, out);
}

void mobid_statuslist_free(mobid_statuslist *l)
{
    if (!l)
        return;
    mobid_free(l->bytes);
    mobid_free(l);
}

unsigned mobid_statuslist_bits(const mobid_statuslist *l) { return l ? l->bits : 0; }

uint64_t mobid_statuslist_size(const mobid_statuslist *l)
{
    return l ? (uint64_t)l->nbytes * (8 / l->bits) : 0;
}

mobid_view mobid_statuslist_packed(const mobid_statuslist *l)
{
    return l ? mobid_view_make(l->bytes, l->nbytes) : mobid_view_make(NULL, 0);
}

mobid_err mobid_statuslist_get(const mobid_statuslist *l, uint64_t idx, unsigned *value)
{
    if (!l || !value)
        return MOBID_ERR_INVALID_ARG;
    if (idx >= mobid_statuslist_size(l))
        return MOBID_ERR_STATUS_INDEX_OUT_OF_RANGE;
    uint64_t bit = idx * l->bits;
    unsigned mask = (1u << l->bits) - 1;
    *value = (l->bytes[bit / 8] >> (bit % 8)) & mask;
    return MOBID_OK;
}

mobid_err mobid_statuslist_set(mobid_statuslist *l, uint64_t idx, unsigned value)
{
    if (!l)
        return MOBID_ERR_INVALID_ARG;
    if (idx >= mobid_statuslist_size(l))
        return MOBID_ERR_STATUS_INDEX_OUT_OF_RANGE;
    unsigned mask = (1u << l->bits) - 1;
    if (value > mask)
        return MOBID_ERR_INVALID_ARG;
    uint64_t bit = idx * l->bits;
    unsigned shift = (unsigned)(bit % 8);
    uint8_t *b = &l->bytes[bit / 8];
    *b = (uint8_t)((*b & ~(mask << shift)) | (value << shift));
    return MOBID_OK;
}

void mobid_statuslist_value_name(unsigned value, char out[12])
{
    static const char *const names[] = { "VALID", "INVALID", "SUSPENDED" };
    if (value < 3)
        snprintf(out, 12, "%s", names[value]);
    else
        snprintf(out, 12, "0x%X", value & 0xFFu);
}

/* ------------------------------------------------------------ compression */

/* Level 9 throughout (the draft recommends the highest level). The strategy is
 * what differs: for a 10-million-entry 2-bit list with 2% set, the default
 * strategy gives 277 KB in ~1.5 s, Z_RLE 297 KB in ~0.01 s. AUTO keeps the
 * default strategy (and the draft's exact example bytes) for lists up to 1 MiB
 * packed, where it costs at most tens of milliseconds, and switches to Z_RLE
 * above, so a national-scale list is signed well within a second and still
 * under 300 KB. */
static int zlib_strategy(const mobid_statuslist *l, mobid_statuslist_zlib mode)
{
    if (mode == MOBID_STATUSLIST_ZLIB_RLE)
        return Z_RLE;
    if (mode == MOBID_STATUSLIST_ZLIB_AUTO && l->nbytes > MOBID_STATUSLIST_AUTO_BEST_MAX)
        return Z_RLE;
    return Z_DEFAULT_STRATEGY;
}

mobid_err mobid_statuslist_compress(const mobid_statuslist *l, mobid_statuslist_zlib mode,
                                    mobid_buf *out)
{
    if (!l || !out || mode > MOBID_STATUSLIST_ZLIB_RLE || l->nbytes > UINT32_MAX)
        return MOBID_ERR_INVALID_ARG;
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    /* memLevel 8 is zlib's default (what produced the draft's bytes); Z_RLE gains
     * a little from memLevel 9's larger blocks (297.6 KB -> 296.9 KB at 10M). */
    int strategy = zlib_strategy(l, mode);
    if (deflateInit2(&zs, 9, Z_DEFLATED, 15, strategy == Z_RLE ? 9 : 8, strategy) != Z_OK)
        return MOBID_ERR_NOMEM;
    mobid_err err = MOBID_OK;
    size_t bound = deflateBound(&zs, (uLong)l->nbytes);
    size_t start = out->len;
    if ((err = mobid_buf_reserve(out, bound)) != MOBID_OK)
        goto done;
    zs.next_in = l->bytes;
    zs.avail_in = (uInt)l->nbytes;
    zs.next_out = out->ptr + out->len;
    zs.avail_out = (uInt)bound;
    if (deflate(&zs, Z_FINISH) != Z_STREAM_END) {
        err = MOBID_ERR_MALFORMED;
        goto done;
    }
    out->len = start + zs.total_out;
done:
    deflateEnd(&zs);
    return err;
}

/* Packed-size ceiling for bits under lim (see mobid_statuslist_limits). */
static size_t limit_bytes(unsigned bits, const mobid_statuslist_limits *lim)
{
    size_t max = MOBID_STATUSLIST_MAX_BYTES;
    if (lim && lim->max_bytes && lim->max_bytes < max)
        max = lim->max_bytes;
    if (lim && lim->max_entries) {
        size_t by_entries = packed_len(bits, lim->max_entries);
        if (by_entries && by_entries < max)
            max = by_entries;
    }
    return max;
}

/* Inflate target whose storage never exceeds max + 1 bytes: the one byte past
 * the limit is how an over-long stream is told from one that fills it exactly. */
typedef struct growbuf {
    uint8_t *ptr;
    size_t len, cap, max;
} growbuf;

static mobid_err growbuf_grow(growbuf *g)
{
    if (g->cap == g->max + 1)
        return MOBID_ERR_TOO_BIG;
    size_t cap = g->cap ? g->cap * 2 : 4096;
    if (cap > g->max + 1)
        cap = g->max + 1;
    uint8_t *p = mobid_realloc(g->ptr, cap);
    if (!p)
        return MOBID_ERR_NOMEM;
    g->ptr = p;
    g->cap = cap;
    return MOBID_OK;
}

/* Inflate exactly one zlib stream; nothing may follow it. */
static mobid_err inflate_bounded(z_stream *zs, growbuf *g)
{
    for (;;) {
        mobid_err err;
        if (g->len == g->cap && (err = growbuf_grow(g)) != MOBID_OK)
            return err;
        size_t room = g->cap - g->len;
        if (room > UINT32_MAX)
            room = UINT32_MAX;
        zs->next_out = g->ptr + g->len;
        zs->avail_out = (uInt)room;
        int rc = inflate(zs, Z_NO_FLUSH);
        g->len += room - zs->avail_out;
        if (g->len > g->max)
            return MOBID_ERR_TOO_BIG;
        if (rc == Z_STREAM_END)
            return zs->avail_in == 0 ? MOBID_OK : MOBID_ERR_MALFORMED;
        if (rc == Z_MEM_ERROR)
            return MOBID_ERR_NOMEM;
        if (rc != Z_OK && rc != Z_BUF_ERROR)
            return MOBID_ERR_MALFORMED;
        if (zs->avail_in == 0 && zs->avail_out != 0)
            return MOBID_ERR_MALFORMED; /* the input ends inside the stream */
    }
}

mobid_err mobid_statuslist_decompress(unsigned bits, mobid_view z,
                                      const mobid_statuslist_limits *lim,
                                      mobid_statuslist **out)
{
    if (!out || !bits_ok(bits) || (z.len && !z.ptr))
        return MOBID_ERR_INVALID_ARG;
    *out = NULL;
    if (z.len > UINT32_MAX)
        return MOBID_ERR_TOO_BIG;
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit(&zs) != Z_OK)
        return MOBID_ERR_NOMEM;
    growbuf raw = { NULL, 0, 0, limit_bytes(bits, lim) };
    zs.next_in = (Bytef *)(uintptr_t)z.ptr;
    zs.avail_in = (uInt)z.len;
    mobid_err err = inflate_bounded(&zs, &raw);
    if (err == MOBID_OK && raw.len == 0)
        err = MOBID_ERR_MALFORMED;
    if (err != MOBID_OK)
        goto done;
    /* Hand the inflated storage to the list without copying it. */
    err = list_wrap(bits, raw.ptr, raw.len, out);
    raw.ptr = NULL;
done:
    inflateEnd(&zs);
    mobid_free(raw.ptr);
    return err;
}
