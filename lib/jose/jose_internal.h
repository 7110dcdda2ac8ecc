/* Helpers shared by the JWS, JWK and JWE files; not part of the public API. */
#ifndef MOBID_JOSE_INTERNAL_H
#define MOBID_JOSE_INTERNAL_H

#include <mobid/jose.h>

/* Split a compact serialization into exactly n dot-separated parts (views into
 * compact). More or fewer parts are MOBID_ERR_MALFORMED. */
mobid_err mobid_jose_split(mobid_view compact, mobid_view *parts, size_t n);

/* Decode a base64url protected header (at most MOBID_JOSE_MAX_HEADER bytes once
 * decoded) into a JSON object with no duplicate members and no "crit".
 * *out receives a new reference. Returns MOBID_OK, TOO_BIG, BAD_BASE64,
 * MALFORMED, CRITICAL_HEADER or NOMEM. */
mobid_err mobid_jose_decode_header(mobid_view b64, json_t **out);

/* Decode the base64url string member `name` of obj, appending to out. A missing
 * member is MOBID_ERR_NOT_FOUND, a non-string one MALFORMED. */
mobid_err mobid_jose_b64_member(const json_t *obj, const char *name, mobid_buf *out);

/* Append base64url(JSON of j, insertion order) to out. */
mobid_err mobid_jose_append_b64_json(const json_t *j, mobid_buf *out);

#endif
