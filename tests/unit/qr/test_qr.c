/*
 * src/qr: every format renders; a PNG reads back to its text at several scales and
 * in colour types other than our own (RGB, palette, interlaced, written here with
 * libpng); broken input gets MALFORMED, an image without a code NOT_FOUND.
 */
#include "testutil.h"

#include <png.h>
#include <stdlib.h>
#include <string.h>
#include "qr/qr.h"

#define LINK "openid4vp://?client_id=x509_hash%3Aabc&request_uri=https%3A%2F%2Fv.example%2Fr%2F1"

static void test_round_trip(void **state)
{
    (void)state;
    for (unsigned scale = 2; scale <= 8; scale *= 2) {
        mobid_buf png;
        char *text = NULL;
        mobid_buf_init(&png, 0);
        assert_int_equal(mobid_qr_render(LINK, MOBID_QR_PNG, scale, &png), MOBID_OK);
        assert_memory_equal(png.ptr, "\x89PNG\r\n\x1a\n", 8);
        assert_int_equal(mobid_qr_read_png(mobid_buf_view(&png), &text), MOBID_OK);
        assert_string_equal(text, LINK);
        free(text);
        mobid_buf_free(&png);
    }
}

static void test_svg_and_text(void **state)
{
    (void)state;
    mobid_buf b;
    mobid_buf_init(&b, 0);
    assert_int_equal(mobid_qr_render(LINK, MOBID_QR_SVG, 0, &b), MOBID_OK);
    assert_int_equal(mobid_buf_terminate(&b), MOBID_OK);
    assert_memory_equal(b.ptr, "<svg", 4);
    assert_non_null(strstr((char *)b.ptr, "</svg>"));
    b.len = 0;
    assert_int_equal(mobid_qr_render(LINK, MOBID_QR_TEXT, 0, &b), MOBID_OK);
    assert_int_equal(mobid_buf_terminate(&b), MOBID_OK);
    assert_non_null(strstr((char *)b.ptr, "\xe2\x96\x84")); /* half blocks */
    assert_true(strchr((char *)b.ptr, '\n') != NULL);
    mobid_buf_free(&b);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    mobid_buf b;
    char *big = malloc(MOBID_QR_MAX_TEXT + 2);
    assert_non_null(big);
    memset(big, 'a', MOBID_QR_MAX_TEXT + 1);
    big[MOBID_QR_MAX_TEXT + 1] = 0;
    mobid_buf_init(&b, 0);
    assert_int_equal(mobid_qr_render(NULL, MOBID_QR_PNG, 4, &b), MOBID_ERR_INVALID_ARG);
    assert_int_equal(mobid_qr_render(big, MOBID_QR_PNG, 4, &b), MOBID_ERR_INVALID_ARG);
    assert_int_equal(mobid_qr_render(LINK, MOBID_QR_PNG, 33, &b), MOBID_ERR_INVALID_ARG);
    big[3000] = 0; /* fits the length limit, not a version-40 code at level M */
    assert_int_equal(mobid_qr_render(big, MOBID_QR_PNG, 4, &b), MOBID_ERR_TOO_BIG);
    free(big);
    mobid_buf_free(&b);
}

static void append(png_structp p, png_bytep d, size_t n)
{
    assert_int_equal(mobid_buf_append(png_get_io_ptr(p), d, n), MOBID_OK);
}

static void no_flush(png_structp p)
{
    (void)p;
}

/* Re-encode a grey image as another PNG colour type (RGB or palette, maybe interlaced). */
static void reencode(const uint8_t *grey, uint32_t w, uint32_t h, int color, int interlace,
                     mobid_buf *out)
{
    png_structp p = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(p);
    png_color pal[2] = { { 0, 0, 0 }, { 255, 255, 255 } };
    unsigned ch = color == PNG_COLOR_TYPE_RGB ? 3 : 1;
    uint8_t *row = malloc((size_t)w * ch);
    assert_non_null(row);
    png_set_write_fn(p, out, append, no_flush);
    png_set_IHDR(p, info, w, h, 8, color, interlace, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    if (color == PNG_COLOR_TYPE_PALETTE)
        png_set_PLTE(p, info, pal, 2);
    png_write_info(p, info);
    int passes = png_set_interlace_handling(p);
    for (int pass = 0; pass < passes; pass++)
        for (uint32_t y = 0; y < h; y++) {
            for (uint32_t x = 0; x < w; x++)
                for (unsigned c = 0; c < ch; c++)
                    row[x * ch + c] = color == PNG_COLOR_TYPE_PALETTE ? grey[y * w + x] > 127
                                                                      : grey[y * w + x];
            png_write_row(p, row);
        }
    png_write_end(p, info);
    png_destroy_write_struct(&p, &info);
    free(row);
}

/* Our PNG decoded to grey with libpng's simplified API. */
static uint8_t *to_grey(mobid_view png, uint32_t *w, uint32_t *h)
{
    png_image im;
    memset(&im, 0, sizeof im);
    im.version = PNG_IMAGE_VERSION;
    assert_true(png_image_begin_read_from_memory(&im, png.ptr, png.len));
    im.format = PNG_FORMAT_GRAY;
    uint8_t *px = malloc(PNG_IMAGE_SIZE(im));
    assert_non_null(px);
    assert_true(png_image_finish_read(&im, NULL, px, 0, NULL));
    *w = im.width;
    *h = im.height;
    return px;
}

static void test_other_colour_types(void **state)
{
    (void)state;
    static const int kinds[][2] = { { PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE },
                                    { PNG_COLOR_TYPE_PALETTE, PNG_INTERLACE_NONE },
                                    { PNG_COLOR_TYPE_RGB, PNG_INTERLACE_ADAM7 } };
    mobid_buf png;
    uint32_t w, h;
    mobid_buf_init(&png, 0);
    assert_int_equal(mobid_qr_render(LINK, MOBID_QR_PNG, 4, &png), MOBID_OK);
    uint8_t *grey = to_grey(mobid_buf_view(&png), &w, &h);
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        mobid_buf other;
        char *text = NULL;
        mobid_buf_init(&other, 0);
        reencode(grey, w, h, kinds[k][0], kinds[k][1], &other);
        assert_int_equal(mobid_qr_read_png(mobid_buf_view(&other), &text), MOBID_OK);
        assert_string_equal(text, LINK);
        free(text);
        mobid_buf_free(&other);
    }
    /* A blank image of the same size: no code in it. */
    memset(grey, 255, (size_t)w * h);
    mobid_buf blank;
    char *text = NULL;
    mobid_buf_init(&blank, 0);
    reencode(grey, w, h, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE, &blank);
    assert_int_equal(mobid_qr_read_png(mobid_buf_view(&blank), &text), MOBID_ERR_NOT_FOUND);
    assert_null(text);
    mobid_buf_free(&blank);
    free(grey);
    mobid_buf_free(&png);
}

static void test_broken_input(void **state)
{
    (void)state;
    mobid_buf png;
    char *text = NULL;
    mobid_buf_init(&png, 0);
    assert_int_equal(mobid_qr_read_png(mobid_view_str("GIF89a not a png"), &text), MOBID_ERR_MALFORMED);
    assert_int_equal(mobid_qr_read_png(mobid_view_make(NULL, 0), &text), MOBID_ERR_MALFORMED);
    assert_int_equal(mobid_qr_render(LINK, MOBID_QR_PNG, 4, &png), MOBID_OK);
    for (size_t cut = 8; cut < png.len; cut += png.len / 7)
        assert_int_equal(mobid_qr_read_png(mobid_view_make(png.ptr, cut), &text), MOBID_ERR_MALFORMED);
    png.ptr[png.len / 2] ^= 0x55; /* inside IDAT: the CRC or the deflate stream breaks */
    assert_int_equal(mobid_qr_read_png(mobid_buf_view(&png), &text), MOBID_ERR_MALFORMED);
    assert_null(text);
    mobid_buf_free(&png);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_svg_and_text),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_other_colour_types),
        cmocka_unit_test(test_broken_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
