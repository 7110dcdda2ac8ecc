/* Helpers shared by the sdjwt unit tests: keys, issuing, presenting, verifying. */
#ifndef MOBID_SDJWT_TEST_H
#define MOBID_SDJWT_TEST_H

#include "testutil.h"

#include <mobid/crypto.h>
#include <mobid/jose.h>
#include <mobid/sdjwt.h>
#include <string.h>

#define TK_NOW ((mobid_time)1767225600) /* 2026-01-01T00:00:00Z */

typedef struct tk {
    mobid_key *issuer;
    mobid_key *holder;
    mobid_key *other;
} tk;

static inline void tk_init(tk *k)
{
    memset(k, 0, sizeof *k);
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &k->issuer), MOBID_OK);
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &k->holder), MOBID_OK);
    assert_int_equal(mobid_key_generate(MOBID_CURVE_P256, &k->other), MOBID_OK);
}

static inline void tk_free(tk *k)
{
    mobid_key_free(k->issuer);
    mobid_key_free(k->holder);
    mobid_key_free(k->other);
}

static inline json_t *tk_json(const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, 0, &e);
    if (!j)
        fail_msg("bad JSON in test: %s", e.text);
    return j;
}

/* Issue claims (JSON text) with the given disclosable paths, valid a year from TK_NOW. */
static inline void tk_issue(tk *k, const char *claims, const char *const *sd, mobid_buf *out)
{
    json_t *c = tk_json(claims);
    mobid_sdjwt_issue_params p = { 0 };
    p.claims = c;
    p.sd_paths = sd;
    p.vct = "urn:example:pid";
    p.iss = "https://issuer.example";
    p.iat = TK_NOW - 10;
    p.exp = TK_NOW + 365 * 86400;
    p.holder_key = k->holder;
    p.issuer_key = k->issuer;
    mobid_buf_init(out, 0);
    assert_int_equal(mobid_sdjwt_issue(&p, out), MOBID_OK);
    assert_int_equal(mobid_buf_terminate(out), MOBID_OK);
    json_decref(c);
}

/* Present with a KB-JWT (aud "https://rp.example", nonce "n-0S6_WzA2Mj") when key set. */
static inline void tk_present(mobid_view cred, const char *const *reveal, const mobid_key *key,
                              mobid_buf *out)
{
    mobid_sdjwt_present_params p = { 0 };
    p.reveal = reveal;
    p.holder_key = key;
    p.aud = "https://rp.example";
    p.nonce = "n-0S6_WzA2Mj";
    p.iat = TK_NOW;
    mobid_buf_init(out, 0);
    assert_int_equal(mobid_sdjwt_present(cred, &p, out), MOBID_OK);
    assert_int_equal(mobid_buf_terminate(out), MOBID_OK);
}

static inline mobid_sdjwt_verify_opts tk_opts(const tk *k)
{
    mobid_sdjwt_verify_opts o = { 0 };
    o.issuer_key = k->issuer;
    o.now = TK_NOW;
    o.skew = -1;
    o.require_kb = true;
    o.nonce = "n-0S6_WzA2Mj";
    o.aud = "https://rp.example";
    return o;
}

/* Verify and return the error; res is cleared unless keep is given. */
static inline mobid_err tk_verify(mobid_view pres, const mobid_sdjwt_verify_opts *o,
                                  mobid_sdjwt_result *keep)
{
    mobid_sdjwt_result res;
    mobid_err err = mobid_sdjwt_verify(pres, o, &res);
    if (err != MOBID_OK)
        print_message("  verify: %s (%s)\n", mobid_err_name(err), res.detail);
    if (keep)
        *keep = res;
    else
        mobid_sdjwt_result_clear(&res);
    return err;
}

#endif
