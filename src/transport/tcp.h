/*
 * A TCP loopback transport for ISO 18013-5 sessions: a stand-in for BLE on one
 * machine (two processes, tests, demos), NOT a transport 18013-5 defines. Each
 * message travels as a 4-byte big-endian length and the message bytes, the way
 * BLE's characteristic writes carry one whole message after reassembly
 * (docs/proximity.md). The holder listens (like the BLE peripheral server) and the
 * reader connects to the host and port named in the engagement's retrieval method.
 *
 * Blocking sockets with a receive and send timeout, so a vanished peer ends the
 * session instead of hanging it. Not thread-safe per connection.
 */
#ifndef MOBID_TRANSPORT_TCP_H
#define MOBID_TRANSPORT_TCP_H

#include <mobid/proximity.h>

typedef struct mobid_tcp mobid_tcp;

/* Listen on host (an IPv4 literal; "127.0.0.1" for loopback) and port (0: the
 * system picks one); *bound gets the port. Returns MOBID_OK, INVALID_ARG or IO. */
MOBID_MUST_CHECK mobid_err mobid_tcp_listen(const char *host, uint16_t port, mobid_tcp **out,
                                            uint16_t *bound);
/* Wait up to timeout_ms (< 0: forever) for one connection on a listener. Returns
 * MOBID_OK, IO, or SESSION_EXPIRED when nobody came in time. */
MOBID_MUST_CHECK mobid_err mobid_tcp_accept(mobid_tcp *listener, int timeout_ms,
                                            mobid_tcp **out);
/* Connect to host:port. Returns MOBID_OK, INVALID_ARG or IO. */
MOBID_MUST_CHECK mobid_err mobid_tcp_connect(const char *host, uint16_t port, mobid_tcp **out);
/* Per-message timeout for send and recv of a connection (default 60 s). */
void mobid_tcp_set_timeout(mobid_tcp *c, int timeout_ms);
/* The session transport over a connection; the connection stays owned by the
 * caller (close in the transport is NULL). */
mobid_px_transport mobid_tcp_transport(mobid_tcp *conn);
/* Close and free a listener or a connection; NULL is fine. */
void mobid_tcp_free(mobid_tcp *c);

#endif
