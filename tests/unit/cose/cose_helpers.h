/* Helpers shared by the COSE unit tests (header-only: each test file is its own
 * executable). */
#ifndef MOBID_TEST_COSE_HELPERS_H
#define MOBID_TEST_COSE_HELPERS_H

#include "testutil.h"

#include <mobid/cose.h>
#include <string.h>

static const mobid_alg only_es256[] = { MOBID_ALG_ES256, MOBID_ALG_NONE };

static inline mobid_view v_str(const char *s) { return mobid_view_str(s); }
static inline mobid_view v_empty(void) { return mobid_view_make(NULL, 0); }

/* A fresh key pair on curve c. */
static inline mobid_key *new_key(mobid_curve c)
{
    mobid_key *k = NULL;
    assert_int_equal(mobid_key_generate(c, &k), MOBID_OK);
    return k;
}

/* Sign payload with the given parameters into a new buffer. */
static inline void sign_into(const mobid_key *k, const mobid_cose_sign1_params *p,
                             mobid_view payload, mobid_buf *out)
{
    mobid_buf_init(out, 0);
    assert_int_equal(mobid_cose_sign1_create(k, p, payload, out), MOBID_OK);
}

/* Encode a CBOR item from hex so extras can be written as diagnostic-free literals. */
static inline void hex_to(const char *hex, mobid_buf *out) { tu_hex(hex, out); }

#endif
