/*
 * issuer: QR codes of credential offers (libqrencode) as PNG, SVG or terminal text.
 * PNG is written by hand: 8-bit greyscale, one IDAT compressed with zlib.
 */
#include "services/issuer/issuer.h"
#include "services/issuer/issuer_int.h"

#include <qrencode.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define QR_QUIET 4   /* modules of white border */
#define QR_MAX_TEXT 4096

static int dark(const QRcode *q, int x, int y)
{
    x -= QR_QUIET;
    y -= QR_QUIET;
    return x >= 0 && y >= 0 && x < q->width && y < q->width && (q->data[y * q->width + x] & 1);
}

static void put32(mobid_buf *b, uint32_t v)
{
    uint8_t be[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
    mobid_buf_append(b, be, 4);
}

static void png_chunk(mobid_buf *b, const char *type, const uint8_t *data, size_t n)
{
    put32(b, (uint32_t)n);
    size_t at = b->len;
    mobid_buf_append(b, type, 4);
    if (n)
        mobid_buf_append(b, data, n);
    if (b->err == MOBID_OK)
        put32(b, (uint32_t)crc32(0, b->ptr + at, (uInt)(n + 4)));
}

static mobid_err qr_png(const QRcode *q, unsigned scale, mobid_buf *out)
{
    size_t side = ((size_t)q->width + 2 * QR_QUIET) * scale, row = side + 1;
    uint8_t *raw = malloc(row * side), *z = NULL;
    uLongf zlen = compressBound((uLong)(row * side));
    mobid_err err = MOBID_ERR_NOMEM;
    if (!raw || !(z = malloc(zlen)))
        goto done;
    for (size_t y = 0; y < side; y++) {
        raw[y * row] = 0; /* filter: none */
        for (size_t x = 0; x < side; x++)
            raw[y * row + 1 + x] = dark(q, (int)(x / scale), (int)(y / scale)) ? 0 : 255;
    }
    err = MOBID_ERR_CRYPTO;
    if (compress2(z, &zlen, raw, (uLong)(row * side), 9) != Z_OK)
        goto done;
    uint8_t ihdr[13] = { 0 };
    for (int i = 0; i < 4; i++)
        ihdr[i] = ihdr[4 + i] = (uint8_t)(side >> (24 - 8 * i));
    ihdr[8] = 8; /* bit depth; colour type 0 = greyscale */
    mobid_buf_append(out, "\x89PNG\r\n\x1a\n", 8);
    png_chunk(out, "IHDR", ihdr, sizeof ihdr);
    png_chunk(out, "IDAT", z, zlen);
    png_chunk(out, "IEND", NULL, 0);
    err = out->err;
done:
    free(raw);
    free(z);
    return err;
}

static mobid_err qr_svg(const QRcode *q, mobid_buf *out)
{
    char line[320];
    int side = q->width + 2 * QR_QUIET;
    snprintf(line, sizeof line,
             "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
             "shape-rendering=\"crispEdges\"><rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>"
             "<path fill=\"#000\" d=\"",
             side, side, side, side);
    mobid_buf_append_str(out, line);
    for (int y = 0; y < side; y++)
        for (int x = 0; x < side; x++)
            if (dark(q, x, y)) {
                snprintf(line, sizeof line, "M%d %dh1v1h-1z", x, y);
                mobid_buf_append_str(out, line);
            }
    mobid_buf_append_str(out, "\"/></svg>\n");
    return out->err;
}

/* Two rows per text line with half blocks, dark modules drawn dark on a light terminal
 * background inverted: white is a full block so phones read it on dark terminals too. */
static mobid_err qr_text(const QRcode *q, mobid_buf *out)
{
    int side = q->width + 2 * QR_QUIET;
    static const char *const cell[4] = { "\xe2\x96\x88", "\xe2\x96\x80", "\xe2\x96\x84", " " };
    for (int y = 0; y < side; y += 2) {
        for (int x = 0; x < side; x++) {
            int top = dark(q, x, y), bot = y + 1 < side ? dark(q, x, y + 1) : 0;
            mobid_buf_append_str(out, cell[top * 2 + bot]);
        }
        mobid_buf_append_byte(out, '\n');
    }
    return out->err;
}

mobid_err issuer_qr(const char *text, issuer_qr_format f, mobid_buf *out)
{
    if (!text || strlen(text) > QR_MAX_TEXT)
        return MOBID_ERR_INVALID_ARG;
    QRcode *q = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M);
    if (!q)
        return MOBID_ERR_TOO_BIG;
    mobid_err err = f == ISSUER_QR_PNG   ? qr_png(q, 4, out)
                    : f == ISSUER_QR_SVG ? qr_svg(q, out)
                                         : qr_text(q, out);
    QRcode_free(q);
    return err;
}
