/*
 * A held card's status as its issuer publishes it: the Token Status List named by the
 * credential's "status" claim, fetched through the host and verified against the
 * wallet's ministry roots (the status-list signer chains to them), like a verifier does.
 */
#include <string.h>

#include <mobid/jose.h>
#include <mobid/statuslist.h>
#include "wallet_internal.h"

static const char *status_name(unsigned v)
{
    switch (v) {
    case 0: return "active";
    case 1: return "revoked";
    case 2: return "suspended";
    default: return "unknown";
    }
}

static mobid_err one_status(const mobid_wallet_io *io, mobid_trust *trust, const json_t *status,
                            const char **out)
{
    mobid_wallet_http_req q = { "GET", NULL, NULL, "application/statuslist+jwt", NULL,
                                { NULL, 0 }, NULL, NULL, NULL, NULL };
    mobid_statuslist_verify_params p = { 0 };
    mobid_statuslist_token *tok = NULL;
    mobid_status_ref ref = { 0 };
    mobid_buf text, body;
    unsigned v = 0;
    mobid_err err;

    mobid_buf_init(&text, 0);
    mobid_buf_init(&body, MOBID_WALLET_MAX_HTTP);
    err = mobid_json_dump(status, false, &text);
    if (!err)
        err = mobid_status_ref_from_json(mobid_buf_view(&text), &ref);
    q.url = ref.uri;
    if (!err)
        err = wl_http(io, &q, &body, NULL, 0);
    p.trust = trust;
    p.at = wl_now(io);
    p.expected_uri = ref.uri;
    if (!err)
        err = mobid_statuslist_token_verify(mobid_buf_view(&body), &p, &tok);
    if (!err)
        err = mobid_statuslist_get(tok->list, ref.idx, &v);
    if (!err)
        *out = status_name(v);
    mobid_statuslist_token_free(tok);
    mobid_status_ref_clear(&ref);
    mobid_buf_free(&text);
    mobid_buf_free(&body);
    return err;
}

mobid_err mobid_wallet_status(const mobid_wallet_io *io, json_t *cards)
{
    wl_wallet w;
    mobid_trust *trust = NULL;
    size_t i;
    json_t *c;
    mobid_err err;

    if (!json_is_array(cards))
        return MOBID_ERR_INVALID_ARG;
    err = wl_open(io, &w);
    if (!err)
        err = wl_trust(&w, "issuer", &trust);
    json_array_foreach(cards, i, c)
    {
        const json_t *st = json_object_get(json_object_get(c, "claims"), "status");
        const char *name = "unknown";

        if (err || !json_is_object(c) || !st)
            continue;
        if (one_status(io, trust, st, &name) != MOBID_OK)
            name = "unknown";
        json_object_set_new(c, "status", json_string(name));
    }
    mobid_trust_free(trust);
    wl_close(&w);
    return err;
}
