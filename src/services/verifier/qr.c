/*
 * QR codes for deep links: libqrencode builds the matrix; the PNG (1-bit grey,
 * zlib via deflate) and SVG (one path) are written here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <qrencode.h>
#include <zlib.h>
#include "services/verifier/verifier.h"

#define QR_SCALE 4   /* pixels per module */
#define QR_MARGIN 4  /* quiet zone in modules */

static void put32(mobid_buf *b, uint32_t v)
{
    uint8_t x[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
    mobid_buf_append(b, x, 4);
}

static void png_chunk(mobid_buf *b, const char *type, const uint8_t *data, size_t n)
{
    uLong crc = crc32(0, (const Bytef *)type, 4);
    if (n)
        crc = crc32(crc, data, (uInt)n);
    put32(b, (uint32_t)n);
    mobid_buf_append(b, type, 4);
    mobid_buf_append(b, data, n);
    put32(b, (uint32_t)crc);
}

static bool dark(const QRcode *q, int x, int y)
{
    x = x / QR_SCALE - QR_MARGIN;
    y = y / QR_SCALE - QR_MARGIN;
    return x >= 0 && y >= 0 && x < q->width && y < q->width && (q->data[y * q->width + x] & 1);
}

static mobid_err write_png(const QRcode *q, mobid_buf *png)
{
    int px = (q->width + 2 * QR_MARGIN) * QR_SCALE;
    size_t row = 1 + ((size_t)px + 7) / 8;
    uint8_t *raw = calloc(row, (size_t)px);
    uLongf zlen = compressBound((uLong)(row * (size_t)px));
    uint8_t *z = malloc(zlen);
    uint8_t ihdr[13] = { 0 };
    mobid_err err = MOBID_ERR_NOMEM;

    if (!raw || !z)
        goto done;
    for (int y = 0; y < px; y++)
        for (int x = 0; x < px; x++)
            if (!dark(q, x, y)) /* grey 1 bit: 1 is white */
                raw[(size_t)y * row + 1 + (size_t)x / 8] |= (uint8_t)(0x80 >> (x % 8));
    if (compress2(z, &zlen, raw, (uLong)(row * (size_t)px), 9) != Z_OK)
        goto done;
    for (int i = 0; i < 4; i++) {
        ihdr[i] = ihdr[4 + i] = (uint8_t)((uint32_t)px >> (24 - 8 * i));
    }
    ihdr[8] = 1; /* bit depth; colour type 0, compression 0, filter 0, no interlace */
    mobid_buf_append(png, "\x89PNG\r\n\x1a\n", 8);
    png_chunk(png, "IHDR", ihdr, sizeof ihdr);
    png_chunk(png, "IDAT", z, zlen);
    png_chunk(png, "IEND", NULL, 0);
    err = png->err;
done:
    free(raw);
    free(z);
    return err;
}

static mobid_err write_svg(const QRcode *q, mobid_buf *svg)
{
    char tmp[128];
    int n = q->width + 2 * QR_MARGIN;
    snprintf(tmp, sizeof tmp,
             "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
             "shape-rendering=\"crispEdges\">", n, n);
    mobid_buf_append_str(svg, tmp);
    snprintf(tmp, sizeof tmp, "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/><path d=\"", n, n);
    mobid_buf_append_str(svg, tmp);
    for (int y = 0; y < q->width; y++)
        for (int x = 0; x < q->width; x++)
            if (q->data[y * q->width + x] & 1) {
                snprintf(tmp, sizeof tmp, "M%d %dh1v1h-1z", x + QR_MARGIN, y + QR_MARGIN);
                mobid_buf_append_str(svg, tmp);
            }
    mobid_buf_append_str(svg, "\" fill=\"#000\"/></svg>");
    return svg->err;
}

mobid_err verifier_qr(const char *text, mobid_buf *png, mobid_buf *svg)
{
    mobid_err err;
    QRcode *q = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M);
    if (!q)
        return MOBID_ERR_TOO_BIG;
    err = write_png(q, png);
    if (!err)
        err = write_svg(q, svg);
    QRcode_free(q);
    return err;
}
