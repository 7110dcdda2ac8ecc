/*
 * `mobid wallet --qr FILE.png`: read the URI from a QR code image, as a phone camera
 * would. A small PNG reader (non-interlaced greyscale, grey+alpha, RGB, RGBA and
 * palette images; zlib from the base layer) turns the image into 8-bit grey, and zbar
 * finds the code.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zbar.h>
#include <zlib.h>

#include "cli/cli.h"
#include "cli/cmd_wallet.h"

#define QR_MAX_SIDE 8192

typedef struct png_img {
    uint32_t w, h;
    uint8_t depth, color;
    uint8_t palette[256][3];
    mobid_buf idat;
} png_img;

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static unsigned channels(uint8_t color)
{
    return color == 2 ? 3 : color == 4 ? 2 : color == 6 ? 4 : 1;
}

/* Walk the chunks: IHDR, PLTE and the IDAT stream. */
static mobid_err png_chunks(mobid_view f, png_img *im)
{
    size_t off = 8;

    if (f.len < 8 || memcmp(f.ptr, "\x89PNG\r\n\x1a\n", 8) != 0)
        return MOBID_ERR_MALFORMED;
    while (off + 12 <= f.len) {
        uint32_t n = be32(f.ptr + off);
        const uint8_t *type = f.ptr + off + 4, *data = f.ptr + off + 8;
        if (n > f.len - off - 12)
            return MOBID_ERR_MALFORMED;
        if (!memcmp(type, "IHDR", 4) && n == 13) {
            im->w = be32(data);
            im->h = be32(data + 4);
            im->depth = data[8];
            im->color = data[9];
            if (data[12] != 0) /* interlaced */
                return MOBID_ERR_UNSUPPORTED;
        } else if (!memcmp(type, "PLTE", 4) && n % 3 == 0 && n <= 768) {
            memcpy(im->palette, data, n);
        } else if (!memcmp(type, "IDAT", 4)) {
            mobid_buf_append(&im->idat, data, n);
        } else if (!memcmp(type, "IEND", 4)) {
            break;
        }
        off += 12 + (size_t)n;
    }
    if (!im->w || !im->h || im->w > QR_MAX_SIDE || im->h > QR_MAX_SIDE || !im->idat.len)
        return MOBID_ERR_MALFORMED;
    if ((im->color != 0 && im->color != 3 && im->depth != 8) || im->depth > 8)
        return MOBID_ERR_UNSUPPORTED;
    return im->idat.err;
}

static uint8_t paeth(int a, int b, int c)
{
    int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);
    return (uint8_t)(pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
}

/* Undo the per-row filters in place (raw holds h rows of 1 + stride bytes). */
static mobid_err unfilter(uint8_t *raw, uint32_t h, size_t stride, size_t bpp)
{
    for (uint32_t y = 0; y < h; y++) {
        uint8_t *row = raw + y * (stride + 1), *cur = row + 1;
        const uint8_t *up = y ? row - stride : NULL;
        for (size_t x = 0; x < stride; x++) {
            int a = x >= bpp ? cur[x - bpp] : 0, b = up ? up[x] : 0;
            int c = up && x >= bpp ? up[x - bpp] : 0;
            switch (row[0]) {
            case 0: break;
            case 1: cur[x] = (uint8_t)(cur[x] + a); break;
            case 2: cur[x] = (uint8_t)(cur[x] + b); break;
            case 3: cur[x] = (uint8_t)(cur[x] + ((a + b) >> 1)); break;
            case 4: cur[x] = (uint8_t)(cur[x] + paeth(a, b, c)); break;
            default: return MOBID_ERR_MALFORMED;
            }
        }
    }
    return MOBID_OK;
}

static uint8_t sample(const png_img *im, const uint8_t *row, uint32_t x)
{
    unsigned ch = channels(im->color);

    if (im->depth < 8) {
        unsigned per = 8 / im->depth, shift = 8 - im->depth * (x % per + 1);
        unsigned v = (row[x / per] >> shift) & ((1u << im->depth) - 1);
        if (im->color == 3)
            return im->palette[v][1];
        return (uint8_t)(v * 255 / ((1u << im->depth) - 1));
    }
    if (im->color == 3)
        return im->palette[row[x]][1];
    if (ch >= 3) {
        const uint8_t *p = row + (size_t)x * ch;
        return (uint8_t)((p[0] * 77 + p[1] * 150 + p[2] * 29) >> 8);
    }
    return row[(size_t)x * ch];
}

static mobid_err png_grey(png_img *im, uint8_t **grey)
{
    size_t stride = ((size_t)im->w * channels(im->color) * im->depth + 7) / 8;
    size_t bpp = (channels(im->color) * im->depth + 7) / 8;
    uLongf n = (uLongf)((stride + 1) * im->h);
    uint8_t *raw = malloc(n);
    mobid_err err = MOBID_OK;

    *grey = malloc((size_t)im->w * im->h);
    if (!raw || !*grey) {
        err = MOBID_ERR_NOMEM;
        goto done;
    }
    if (uncompress(raw, &n, im->idat.ptr, im->idat.len) != Z_OK ||
        n != (stride + 1) * im->h) {
        err = MOBID_ERR_MALFORMED;
        goto done;
    }
    err = unfilter(raw, im->h, stride, bpp);
    for (uint32_t y = 0; !err && y < im->h; y++)
        for (uint32_t x = 0; x < im->w; x++)
            (*grey)[(size_t)y * im->w + x] = sample(im, raw + y * (stride + 1) + 1, x);
done:
    free(raw);
    return err;
}

static mobid_err scan(const uint8_t *grey, uint32_t w, uint32_t h, char **text)
{
    zbar_image_scanner_t *s = zbar_image_scanner_create();
    zbar_image_t *img = zbar_image_create();
    const zbar_symbol_t *sym;
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
    if (zbar_scan_image(s, img) > 0) {
        for (sym = zbar_image_first_symbol(img); sym; sym = zbar_symbol_next(sym)) {
            if (zbar_symbol_get_type(sym) != ZBAR_QRCODE)
                continue;
            *text = strndup(zbar_symbol_get_data(sym), zbar_symbol_get_data_length(sym));
            err = *text ? MOBID_OK : MOBID_ERR_NOMEM;
            break;
        }
    }
done:
    if (img)
        zbar_image_destroy(img);
    if (s)
        zbar_image_scanner_destroy(s);
    return err;
}

mobid_err cli_wallet_qr_decode(const char *png_path, char **text)
{
    png_img im;
    mobid_buf file;
    uint8_t *grey = NULL;
    mobid_err err;

    *text = NULL;
    memset(&im, 0, sizeof im);
    mobid_buf_init(&file, 64 * 1024 * 1024);
    mobid_buf_init(&im.idat, 256 * 1024 * 1024);
    err = cli_read_file(png_path, &file);
    if (!err)
        err = png_chunks(mobid_buf_view(&file), &im);
    if (!err)
        err = png_grey(&im, &grey);
    if (!err)
        err = scan(grey, im.w, im.h, text);
    free(grey);
    mobid_buf_free(&im.idat);
    mobid_buf_free(&file);
    return err;
}
