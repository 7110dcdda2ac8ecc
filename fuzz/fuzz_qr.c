// mobid-module: qr
/*
 * libFuzzer target for reading a QR code from a PNG image (src/qr/qr.c: libpng
 * decodes, zbar scans), what `mobid wallet --qr` and `mobid reader scan --qr` run on
 * a file from anywhere. Any input must give MOBID_OK with a NUL-terminated text, or
 * an error with no text; never a crash or a leak.
 *
 * The reader lives in the services library, which fuzz targets do not link, so this
 * file compiles qr.c itself. Seeds in fuzz/corpus/qr/: QR codes written by
 * `mobid issuer qr --format png`, and a blank image.
 */
#include "../src/qr/qr.c"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = NULL;
    mobid_err err = mobid_qr_read_png(mobid_view_make(data, size), &text);
    if ((err == MOBID_OK) != (text != NULL))
        abort();
    if (text && strlen(text) > size * 8)
        abort(); /* a code cannot hold more than its image */
    free(text);
    return 0;
}
