/* src/http: the "http" limits of a service's configuration (see limits.h). */
#include "http/limits.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

typedef struct limit_key {
    const char *name;
    json_int_t min, max;
    size_t offset; /* of the unsigned field in mobid_http_config */
} limit_key;

#define FIELD(f) offsetof(mobid_http_config, f)

static const limit_key keys[] = {
    { "workers", 1, 1024, FIELD(workers) },
    { "io_threads", 1, 64, FIELD(io_threads) },
    { "max_queue", 1, 1000000, FIELD(max_queue) },
    { "max_connections", 1, 16384, FIELD(max_connections) },
    /* 0 is allowed here alone: behind a proxy every client comes from one address. */
    { "per_client_connections", 0, 16384, FIELD(per_client_connections) },
    { "request_timeout_s", 1, 3600, FIELD(request_timeout_s) },
    { "idle_timeout_s", 1, 86400, FIELD(timeout_s) },
};

static const limit_key *key_named(const char *name)
{
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (!strcmp(keys[i].name, name))
            return &keys[i];
    return NULL;
}

mobid_err mobid_http_limits_read(const json_t *http, const char *service, mobid_http_config *cfg)
{
    mobid_http_config out = *cfg;
    const char *name;
    json_t *v;
    if (!http)
        return MOBID_OK;
    if (!json_is_object(http)) {
        fprintf(stderr, "%s config: http must be an object of limits\n", service);
        return MOBID_ERR_MALFORMED;
    }
    json_object_foreach((json_t *)http, name, v) {
        const limit_key *k = key_named(name);
        json_int_t n = json_integer_value(v);
        if (!k) {
            fprintf(stderr, "%s config: http.%s is not a known limit\n", service, name);
            return MOBID_ERR_MALFORMED;
        }
        if (!json_is_integer(v) || n < k->min || n > k->max) {
            fprintf(stderr, "%s config: http.%s must be an integer from %lld to %lld\n", service,
                    name, (long long)k->min, (long long)k->max);
            return MOBID_ERR_MALFORMED;
        }
        *(unsigned *)((char *)&out + k->offset) = n ? (unsigned)n : MOBID_HTTP_UNLIMITED;
    }
    *cfg = out;
    return MOBID_OK;
}

void mobid_http_limits_apply(const mobid_http_config *from, mobid_http_config *to)
{
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        *(unsigned *)((char *)to + keys[i].offset) =
            *(const unsigned *)((const char *)from + keys[i].offset);
}
