/*
 * The offer's QR code as a PNG for the console's offer page. The image is 1-bit
 * grayscale in stored (uncompressed) deflate blocks: a few kilobytes, and no
 * compression library is needed outside lib/.
 */
#include <qrencode.h>
#include <stdint.h>
#include <string.h>
#include "services/issuer/console.h"

#define QR_SCALE 8
#define QR_QUIET 4

static uint32_t crc32_of(const uint8_t *p, size_t n, uint32_t crc)
{
    crc = ~crc;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

static void put32(mobid_buf *b, uint32_t v)
{
    uint8_t x[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
    mobid_buf_append(b, x, 4);
}

static void chunk(mobid_buf *png, const char type[4], mobid_view data)
{
    uint32_t crc = crc32_of((const uint8_t *)type, 4, 0);
    crc = crc32_of(data.ptr, data.len, crc);
    put32(png, (uint32_t)data.len);
    mobid_buf_append(png, type, 4);
    mobid_buf_append_view(png, data);
    put32(png, crc);
}

/* zlib stream of raw in stored blocks. */
static void zlib_stored(mobid_buf *z, mobid_view raw)
{
    uint32_t a = 1, b = 0;
    size_t off = 0;
    mobid_buf_append(z, "\x78\x01", 2);
    do {
        size_t n = raw.len - off > 65535 ? 65535 : raw.len - off;
        uint8_t h[5] = { off + n == raw.len, (uint8_t)n, (uint8_t)(n >> 8), (uint8_t)~n,
                         (uint8_t)(~n >> 8) };
        mobid_buf_append(z, h, 5);
        mobid_buf_append(z, raw.ptr + off, n);
        off += n;
    } while (off < raw.len);
    for (size_t i = 0; i < raw.len; i++) {
        a = (a + raw.ptr[i]) % 65521u;
        b = (b + a) % 65521u;
    }
    put32(z, (b << 16) | a);
}

/* Filter byte 0 and packed pixels, 1 = white, for every image row. */
static void raster(const QRcode *q, size_t side, mobid_buf *raw)
{
    size_t rowbytes = (side + 7) / 8;
    for (size_t y = 0; y < side; y++) {
        uint8_t row[1024] = { 0 };
        long my = (long)(y / QR_SCALE) - QR_QUIET;
        for (size_t x = 0; x < side; x++) {
            long mx = (long)(x / QR_SCALE) - QR_QUIET;
            bool dark = my >= 0 && mx >= 0 && my < q->width && mx < q->width &&
                        (q->data[my * q->width + mx] & 1);
            if (!dark)
                row[x / 8] |= (uint8_t)(0x80u >> (x % 8));
        }
        mobid_buf_append_byte(raw, 0);
        mobid_buf_append(raw, row, rowbytes);
    }
}

mobid_err console_qr_png(const char *text, mobid_buf *png)
{
    QRcode *q = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    mobid_buf raw = { 0 }, z = { 0 }, hdr = { 0 };
    mobid_err err = MOBID_ERR_INVALID_ARG;

    mobid_buf_init(&raw, 0);
    mobid_buf_init(&z, 0);
    mobid_buf_init(&hdr, 0);
    if (!q || (size_t)(q->width + 2 * QR_QUIET) * QR_SCALE > 8 * 1024)
        goto done;
    size_t side = (size_t)(q->width + 2 * QR_QUIET) * QR_SCALE;
    raster(q, side, &raw);
    zlib_stored(&z, mobid_buf_view(&raw));
    put32(&hdr, (uint32_t)side);
    put32(&hdr, (uint32_t)side);
    mobid_buf_append(&hdr, "\x01\x00\x00\x00\x00", 5); /* depth 1, gray, deflate, none, no interlace */
    mobid_buf_append(png, "\x89PNG\r\n\x1a\n", 8);
    chunk(png, "IHDR", mobid_buf_view(&hdr));
    chunk(png, "IDAT", mobid_buf_view(&z));
    chunk(png, "IEND", mobid_view_make(NULL, 0));
    err = raw.err ? raw.err : z.err ? z.err : png->err;
done:
    QRcode_free(q);
    mobid_buf_free(&raw);
    mobid_buf_free(&z);
    mobid_buf_free(&hdr);
    return err;
}
