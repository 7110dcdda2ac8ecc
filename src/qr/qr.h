/*
 * QR codes, made in one place for every service and the command line: libqrencode
 * builds the matrix, libpng writes and reads the images, zbar finds a code in an
 * image. Everything works on memory buffers; the caller does the file or HTTP I/O.
 *
 * Every code is encoded as 8-bit data at error-correction level M with the standard
 * quiet zone of 4 modules. Thread-safe: no shared state.
 */
#ifndef MOBID_QR_H
#define MOBID_QR_H

#include <mobid/base.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The longest text accepted (a request_uri deep link or a credential offer is far
 * shorter; longer texts make codes a phone camera cannot read). */
#define MOBID_QR_MAX_TEXT 4096

typedef enum mobid_qr_format {
    MOBID_QR_PNG,  /* 1-bit greyscale PNG, scale pixels per module */
    MOBID_QR_SVG,  /* one <path>, one unit per module */
    MOBID_QR_TEXT  /* UTF-8 half blocks, two module rows per line, for terminals */
} mobid_qr_format;

/* Render text as a QR code in format f, appended to out (owned by the caller).
 * scale: pixels per module for PNG (1..32; 0 = 4), ignored for SVG and text.
 * Returns MOBID_OK; INVALID_ARG (text NULL, longer than MOBID_QR_MAX_TEXT, bad scale);
 * TOO_BIG (the text does not fit a QR code); NOMEM; CRYPTO (the PNG encoder failed). */
MOBID_MUST_CHECK mobid_err mobid_qr_render(const char *text, mobid_qr_format f, unsigned scale,
                                           mobid_buf *out);

/* Read the first QR code in a PNG image (any colour type, bit depth or interlacing;
 * at most 8192 pixels a side). *text receives the code's content, NUL-terminated,
 * to be freed by the caller with free(). Returns MOBID_OK; MALFORMED (not a PNG, or
 * a broken one); NOT_FOUND (no QR code in the image); NOMEM. */
MOBID_MUST_CHECK mobid_err mobid_qr_read_png(mobid_view png, char **text);

#ifdef __cplusplus
}
#endif

#endif
