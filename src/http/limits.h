/*
 * The "http" object of a service's configuration file: the server's limits, read the
 * same way by the issuer, the verifier and the portal.
 *
 *   "http": {"workers": 8, "io_threads": 2, "max_queue": 1024, "max_connections": 16384,
 *            "per_client_connections": 256, "request_timeout_s": 20, "idle_timeout_s": 30}
 *
 * Every key is optional (absent = the server's default, http/server.h). Each is an
 * integer within its range; per_client_connections 0 means no cap per address (behind
 * a proxy that connects from one address). Unknown keys are refused so a typo does not
 * silently leave a default in force.
 */
#ifndef MOBID_HTTP_LIMITS_H
#define MOBID_HTTP_LIMITS_H

#include <jansson.h>
#include "http/server.h"

/* Set the limits of cfg from http (a JSON object; NULL = keep every default). service
 * names the configuration in messages ("issuer config: http.workers ..." on stderr).
 * Returns MOBID_ERR_MALFORMED for a non-object, an unknown key or a value out of range;
 * cfg is then unchanged. */
MOBID_MUST_CHECK mobid_err mobid_http_limits_read(const json_t *http, const char *service,
                                                  mobid_http_config *cfg);

/* Copy the limits read into from (the fields listed above) to to, leaving its name,
 * listen address, body limit and access log alone. */
void mobid_http_limits_apply(const mobid_http_config *from, mobid_http_config *to);

#endif
