/* lib/proximity internals shared by its files. */
#ifndef MOBID_PX_INTERNAL_H
#define MOBID_PX_INTERNAL_H

#include <mobid/proximity.h>

/* CBOR limits for every session message: a DeviceResponse with a portrait nests
 * little but may hold long strings; MOBID_PX_MAX_MESSAGE bounds the whole. */
extern const mobid_cbor_limits px_limits;

/* Decode `in` as exactly one CBOR map within px_limits and MOBID_PX_MAX_MESSAGE.
 * TOO_BIG, the CBOR errors, or MALFORMED when it is not a map. */
mobid_err px_decode_map(mobid_view in, mobid_cbor_item *out);

/* The SessionTranscript array bytes inside `transcript` (array or tag 24 form). */
mobid_err px_transcript_array(mobid_view transcript, mobid_view *array);

#endif
