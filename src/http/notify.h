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

#endif
