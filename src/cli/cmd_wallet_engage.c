/*
 * `mobid wallet engage --qr OUT.png`: the holder's side of an in-person presentation
 * (ISO 18013-5). A fresh ephemeral key, a listening TCP loopback transport (the
 * stand-in for BLE), the DeviceEngagement naming it written as a QR code; then the
 * reader that connects is answered by the wallet library (reader checks, consent,
 * PIN) until it ends the session.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cmd_wallet.h"
#include "qr/qr.h"
#include "transport/tcp.h"

/* How long the QR code waits for a reader to connect: a person has to bring a reader
 * to the screen and scan it, so minutes rather than seconds. */
#define ENGAGE_WAIT_MS (5 * 60 * 1000)

/* HOST:PORT of --advertise into the retrieval method. */
static bool parse_advertise(const char *s, mobid_px_retrieval *m)
{
    const char *colon = strrchr(s, ':');
    char *end;
    unsigned long port = colon ? strtoul(colon + 1, &end, 10) : 0;
    struct in_addr a;
    if (!colon || colon == s || (size_t)(colon - s) >= sizeof m->host || *end || !port ||
        port > 65535)
        return false;
    memcpy(m->host, s, (size_t)(colon - s));
    m->host[colon - s] = '\0';
    m->port = (uint16_t)port;
    return inet_pton(AF_INET, m->host, &a) == 1;
}

/* Listen, then write the engagement QR: a reader that scans it finds us listening. */
static mobid_err show_qr(const char *png_path, const char *advertise, const mobid_key *key,
                         mobid_tcp **listener, mobid_buf *engagement)
{
    mobid_px_retrieval m = { .type = MOBID_PX_RETRIEVAL_TCP, .version = 1,
                             .host = "127.0.0.1" };
    uint16_t port = 0;
    mobid_buf uri, png;
    mobid_err err = mobid_tcp_listen(m.host, 0, listener, &port);
    m.port = port;
    if (!err && advertise && !parse_advertise(advertise, &m))
        err = MOBID_ERR_INVALID_ARG;
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
        fprintf(stderr, "show %s to the reader (%s, listening on 127.0.0.1:%u)\n", png_path,
                (const char *)uri.ptr, port);
    mobid_buf_free(&uri);
    mobid_buf_free(&png);
    return err;
}

int cli_wallet_engage(cli_wallet_host *host, const char *png_path, const char *advertise)
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
        err = show_qr(png_path, advertise, key, &listener, &engagement);
    if (!err)
        err = mobid_tcp_accept(listener, ENGAGE_WAIT_MS, &conn);
    mobid_tcp_free(listener); /* one reader per engagement */
    if (!err) {
        t = mobid_tcp_transport(conn);
        err = mobid_wallet_present_in_person(&io, &t, key, mobid_buf_view(&engagement),
                                             &summary, detail, sizeof detail);
    }
    if (err == MOBID_ERR_INVALID_ARG && advertise && !detail[0])
        snprintf(detail, sizeof detail, "--advertise wants IPv4:PORT");
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
