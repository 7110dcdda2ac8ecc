/*
 * `mobid wallet --qr FILE.png`: read the URI from a QR code image, as a phone camera
 * would (src/qr: libpng and zbar).
 */
#include "cli/cli.h"
#include "cli/cmd_wallet.h"
#include "qr/qr.h"

mobid_err cli_wallet_qr_decode(const char *png_path, char **text)
{
    mobid_buf file;
    mobid_err err;

    *text = NULL;
    mobid_buf_init(&file, 64 * 1024 * 1024);
    err = cli_read_file(png_path, &file);
    if (!err)
        err = mobid_qr_read_png(mobid_buf_view(&file), text);
    mobid_buf_free(&file);
    return err;
}
