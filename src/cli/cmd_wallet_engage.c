/*
 * `mobid wallet engage --qr OUT.png`: the holder's side of an in-person presentation
 * (ISO 18013-5). A fresh ephemeral key, a listening TCP loopback transport (the
 * stand-in for BLE), the DeviceEngagement naming it written as a QR code; then the
 * reader that connects is answered by the wallet library (reader checks, consent,
 * PIN) until it ends the session.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "cli/cmd_wallet.h"
#include "qr/qr.h"
#include "transport/tcp.h"

/* How long the QR code waits for a reader. */
#define ENGAGE_WAIT_MS (5 * 60 * 1000)

/* Listen, then write the engagement QR: a reader that scans it finds us listening. */
static mobid_err show_qr(const char *png_path, const mobid_key *key, mobid_tcp **listener,
                         mobid_buf *engagement)
{
    mobid_px_retrieval m = { .type = MOBID_PX_RETRIEVAL_TCP, .version = 1,
                             .host = "127.0.0.1" };
    mobid_buf uri, png;
    mobid_err err = mobid_tcp_listen(m.host, 0, listener, &m.port);
    mobid_buf_init(&uri, 0);
    mobid_buf_init(&png, 0);
    if (!err)
        err = mobid_px_engagement_encode(key, &m, 1, engagement);
    if (!err)
        err = mobid_px_engagement_to_uri(mobid_buf_view(engagement), &uri);
    if (!err)
        err = mobid_buf_terminate(&uri);
    if (!err)
        err = mobid_qr_render((const char *)uri.ptr, MOBID_QR_PNG, 0, &png);
    if (!err)
        err = cli_write_file(png_path, mobid_buf_view(&png), 0644);
    if (!err)
        fprintf(stderr, "show %s to the reader (%s, waiting on 127.0.0.1:%u)\n", png_path,
                (const char *)uri.ptr, m.port);
    mobid_buf_free(&uri);
    mobid_buf_free(&png);
    return err;
}

int cli_wallet_engage(cli_wallet_host *host, const char *png_path)
{
    mobid_wallet_io io = cli_wallet_io(host);
    mobid_key *key = NULL;
    mobid_tcp *listener = NULL, *conn = NULL;
    mobid_px_transport t;
    mobid_buf engagement;
    json_t *summary = NULL;
    char detail[256] = "";
    mobid_err err;
    int rc;

    mobid_buf_init(&engagement, 0);
    err = mobid_key_generate(MOBID_CURVE_P256, &key);
    if (!err)
        err = show_qr(png_path, key, &listener, &engagement);
    if (!err)
        err = mobid_tcp_accept(listener, ENGAGE_WAIT_MS, &conn);
    mobid_tcp_free(listener); /* one reader per engagement */
    if (!err) {
        t = mobid_tcp_transport(conn);
        err = mobid_wallet_present_in_person(&io, &t, key, mobid_buf_view(&engagement),
                                             &summary, detail, sizeof detail);
    }
    if (err) {
        rc = cli_fail(host->json, err, detail[0] ? detail : NULL);
    } else {
        cli_print_json(summary);
        rc = CLI_EXIT_OK;
    }
    json_decref(summary);
    mobid_tcp_free(conn);
    mobid_key_free(key);
    mobid_buf_free(&engagement);
    return rc;
}
