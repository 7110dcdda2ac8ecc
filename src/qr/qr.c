/*
 * QR codes: libqrencode for the matrix, libpng for PNG in and out, zbar to read.
 * libpng reports errors by longjmp; each libpng call sits in a function of its own
 * whose only state across setjmp is the png structs, so nothing needs to be volatile.
 */
#include "qr/qr.h"

#include <png.h>
#include <qrencode.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zbar.h>

#define QR_QUIET 4     /* modules of white border (ISO/IEC 18004 quiet zone) */
#define QR_MAX_SCALE 32
#define QR_MAX_SIDE 8192

static bool dark(const QRcode *q, int x, int y)
{
    x -= QR_QUIET;
    y -= QR_QUIET;
    return x >= 0 && y >= 0 && x < q->width && y < q->width && (q->data[y * q->width + x] & 1);
}

static void png_append(png_structp png, png_bytep data, size_t n)
{
    mobid_buf *out = png_get_io_ptr(png);
    if (mobid_buf_append(out, data, n))
        png_error(png, "out of memory");
}

static void png_no_flush(png_structp png)
{
    (void)png;
}

/* Errors go back to our caller as codes, warnings are of no use to it: print neither. */
static void png_quiet_error(png_structp png, png_const_charp msg)
{
    (void)msg;
    png_longjmp(png, 1);
}

static void png_quiet_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

/* The rows of the image: 1 bit a pixel, 1 = white. */
static uint8_t *raster(const QRcode *q, unsigned scale, size_t side, size_t rowbytes)
{
    uint8_t *px = calloc(side, rowbytes);
    for (size_t y = 0; px && y < side; y++)
        for (size_t x = 0; x < side; x++)
            if (!dark(q, (int)(x / scale), (int)(y / scale)))
                px[y * rowbytes + x / 8] |= (uint8_t)(0x80u >> (x % 8));
    return px;
}

static mobid_err write_png(png_structp png, png_infop info, uint8_t *px, size_t side,
                           size_t rowbytes, mobid_buf *out)
{
    if (setjmp(png_jmpbuf(png)))
        return out->err ? out->err : MOBID_ERR_CRYPTO;
    png_set_write_fn(png, out, png_append, png_no_flush);
    png_set_compression_level(png, 9);
    png_set_IHDR(png, info, (png_uint_32)side, (png_uint_32)side, 1, PNG_COLOR_TYPE_GRAY,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (size_t y = 0; y < side; y++)
        png_write_row(png, px + y * rowbytes);
    png_write_end(png, info);
    return MOBID_OK;
}

static mobid_err qr_png(const QRcode *q, unsigned scale, mobid_buf *out)
{
    size_t side = ((size_t)q->width + 2 * QR_QUIET) * scale, rowbytes = (side + 7) / 8;
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, png_quiet_error,
                                                  png_quiet_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    uint8_t *px = raster(q, scale, side, rowbytes);
    mobid_err err = MOBID_ERR_NOMEM;

    if (png && info && px)
        err = write_png(png, info, px, side, rowbytes, out);
    png_destroy_write_struct(&png, &info);
    free(px);
    return err;
}

static mobid_err qr_svg(const QRcode *q, mobid_buf *out)
{
    char cell[48];
    int side = q->width + 2 * QR_QUIET;
    char head[256];
    snprintf(head, sizeof head,
             "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
             "shape-rendering=\"crispEdges\"><rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>"
             "<path fill=\"#000\" d=\"",
             side, side, side, side);
    mobid_buf_append_str(out, head);
    for (int y = 0; y < side; y++)
        for (int x = 0; x < side; x++)
            if (dark(q, x, y)) {
                snprintf(cell, sizeof cell, "M%d %dh1v1h-1z", x, y);
                mobid_buf_append_str(out, cell);
            }
    mobid_buf_append_str(out, "\"/></svg>\n");
    return out->err;
}

/* Two module rows per line with half blocks. Light modules are drawn as ink (a full
 * block is white on the usual dark terminal), so phones read it there. */
static mobid_err qr_text(const QRcode *q, mobid_buf *out)
{
    static const char *const cell[4] = { "\xe2\x96\x88", "\xe2\x96\x80", "\xe2\x96\x84", " " };
    int side = q->width + 2 * QR_QUIET;
    for (int y = 0; y < side; y += 2) {
        for (int x = 0; x < side; x++) {
            int top = dark(q, x, y), bot = y + 1 < side ? dark(q, x, y + 1) : 0;
            mobid_buf_append_str(out, cell[top * 2 + bot]);
        }
        mobid_buf_append_byte(out, '\n');
    }
    return out->err;
}

mobid_err mobid_qr_render(const char *text, mobid_qr_format f, unsigned scale, mobid_buf *out)
{
    if (!text || !out || strlen(text) > MOBID_QR_MAX_TEXT || scale > QR_MAX_SCALE)
        return MOBID_ERR_INVALID_ARG;
    QRcode *q = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M);
    if (!q)
        return MOBID_ERR_TOO_BIG;
    mobid_err err = f == MOBID_QR_PNG   ? qr_png(q, scale ? scale : 4, out)
                    : f == MOBID_QR_SVG ? qr_svg(q, out)
                                        : qr_text(q, out);
    QRcode_free(q);
    return err;
}

/* ---- reading ---- */

typedef struct png_src {
    mobid_view in;
    size_t off;
} png_src;

static void png_take(png_structp png, png_bytep data, size_t n)
{
    png_src *s = png_get_io_ptr(png);
    if (n > s->in.len - s->off)
        png_error(png, "truncated");
    memcpy(data, s->in.ptr + s->off, n);
    s->off += n;
}

/* Decode to 8-bit grey, *grey (malloc'd) w x h; libpng does every conversion. */
static mobid_err read_grey(png_structp png, png_infop info, png_src *src, uint8_t **grey,
                           uint32_t *w, uint32_t *h)
{
    png_bytep *volatile rows = NULL;
    if (setjmp(png_jmpbuf(png))) {
        free(rows);
        return MOBID_ERR_MALFORMED;
    }
    png_set_read_fn(png, src, png_take);
    png_set_user_limits(png, QR_MAX_SIDE, QR_MAX_SIDE);
    png_read_info(png, info);
    png_set_expand(png);          /* palette and low bit depths to 8-bit */
    png_set_strip_16(png);
    png_set_strip_alpha(png);
    png_set_rgb_to_gray_fixed(png, 1, -1, -1);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    *w = png_get_image_width(png, info);
    *h = png_get_image_height(png, info);
    if (png_get_rowbytes(png, info) != *w)
        png_error(png, "unexpected pixel layout");
    *grey = malloc((size_t)*w * *h);
    rows = malloc(*h * sizeof *rows);
    if (!*grey || !rows)
        png_error(png, "out of memory");
    for (uint32_t y = 0; y < *h; y++)
        rows[y] = *grey + (size_t)y * *w;
    png_read_image(png, rows);
    free(rows);
    return MOBID_OK;
}

static mobid_err scan(const uint8_t *grey, uint32_t w, uint32_t h, char **text)
{
    zbar_image_scanner_t *s = zbar_image_scanner_create();
    zbar_image_t *img = zbar_image_create();
    mobid_err err = MOBID_ERR_NOT_FOUND;

    if (!s || !img) {
        err = MOBID_ERR_NOMEM;
        goto done;
    }
    zbar_image_scanner_set_config(s, ZBAR_NONE, ZBAR_CFG_ENABLE, 0);
    zbar_image_scanner_set_config(s, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1);
    zbar_image_set_format(img, zbar_fourcc('Y', '8', '0', '0'));
    zbar_image_set_size(img, w, h);
    zbar_image_set_data(img, grey, (unsigned long)w * h, NULL);
    if (zbar_scan_image(s, img) > 0)
        for (const zbar_symbol_t *sym = zbar_image_first_symbol(img); sym;
             sym = zbar_symbol_next(sym)) {
            if (zbar_symbol_get_type(sym) != ZBAR_QRCODE)
                continue;
            *text = strndup(zbar_symbol_get_data(sym), zbar_symbol_get_data_length(sym));
            err = *text ? MOBID_OK : MOBID_ERR_NOMEM;
            break;
        }
done:
    if (img)
        zbar_image_destroy(img);
    if (s)
        zbar_image_scanner_destroy(s);
    return err;
}

mobid_err mobid_qr_read_png(mobid_view in, char **text)
{
    png_src src = { in, 0 };
    png_structp png = NULL;
    png_infop info = NULL;
    uint8_t *grey = NULL;
    uint32_t w = 0, h = 0;
    mobid_err err = MOBID_ERR_MALFORMED;

    if (!text)
        return MOBID_ERR_INVALID_ARG;
    *text = NULL;
    if (!in.ptr || in.len < 8 || png_sig_cmp(in.ptr, 0, 8))
        goto done;
    err = MOBID_ERR_NOMEM;
    if (!(png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, png_quiet_error,
                                               png_quiet_warning)) ||
        !(info = png_create_info_struct(png)))
        goto done;
    if (!(err = read_grey(png, info, &src, &grey, &w, &h)))
        err = scan(grey, w, h, text);
done:
    png_destroy_read_struct(&png, &info, NULL);
    free(grey);
    return err;
}
