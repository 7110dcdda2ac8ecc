/*
 * Readiness for systemd (Type=notify) without libsystemd: one datagram with the state
 * ("READY=1", "STOPPING=1") to the AF_UNIX socket named by $NOTIFY_SOCKET (a path, or
 * an abstract name written with a leading '@'), as sd_notify(3) describes. Without
 * $NOTIFY_SOCKET (not under systemd) nothing is sent.
 */
#ifndef MOBID_HTTP_NOTIFY_H
#define MOBID_HTTP_NOTIFY_H

#include <mobid/base.h>

/* Send state to the service manager. MOBID_OK when sent or not under systemd;
 * MOBID_ERR_INVALID_ARG for an unusable $NOTIFY_SOCKET; MOBID_ERR_IO when the send
 * fails. The service goes on either way: the manager's timeout reports a lost READY. */
mobid_err mobid_sd_notify(const char *state);

/* The end of every `serve` command once its server listens: READY=1, then wait for
 * SIGINT or SIGTERM (blocked beforehand with mobid_http_signals_block), then
 * STOPPING=1. Returns the signal's number. */
int mobid_serve_until_signal(void);

#endif
