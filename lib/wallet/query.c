/* Reading the vault for the holder: credentials (without keys) and the history. */
#include <string.h>

#include "wallet_internal.h"

static json_t *describe(const json_t *e, mobid_time now, bool with_claims)
{
    const json_t *items = json_object_get(e, "items");
    json_int_t unused = wl_copies_usable(e, now, false); /* expired ones are used up */
    json_t *d;

    d = json_pack("{s:O,s:O,s:O,s:O,s:O,s:I,s:I}", "id", json_object_get(e, "id"), "format",
                  json_object_get(e, "format"), "type", json_object_get(e, "type"), "issuer",
                  json_object_get(e, "issuer"), "received", json_object_get(e, "received"),
                  "total", (json_int_t)json_array_size(items), "unused", unused);
    if (d)
        json_object_set_new(d, "refreshable", json_boolean(json_object_get(e, "refresh") != NULL));
    if (d && with_claims)
        json_object_set(d, "claims", json_object_get(e, "claims"));
    return d;
}

mobid_err mobid_wallet_list(const mobid_wallet_io *io, const char *id, json_t **out)
{
    wl_wallet w;
    size_t i;
    json_t *e, *list = NULL;
    mobid_err err;

    if (!out)
        return MOBID_ERR_INVALID_ARG;
    *out = NULL;
    err = wl_open(io, &w);
    if (!err)
        err = wl_unlock(io, id ? "PIN to show the credential" : "PIN to list credentials", &w);
    if (err)
        goto done;
    list = id ? NULL : json_array();
    json_array_foreach(json_object_get(w.vault, "credentials"), i, e)
    {
        const char *eid = json_string_value(json_object_get(e, "id"));
        if (!id)
            json_array_append_new(list, describe(e, wl_now(io), false));
        else if (eid && strcmp(eid, id) == 0)
            list = describe(e, wl_now(io), true);
    }
    if (!list)
        err = id ? MOBID_ERR_NOT_FOUND : MOBID_ERR_NOMEM;
    *out = list;
done:
    wl_close(&w);
    return err;
}

mobid_err mobid_wallet_history(const mobid_wallet_io *io, json_t **out)
{
    wl_wallet w;
    mobid_err err;

    if (!out)
        return MOBID_ERR_INVALID_ARG;
    *out = NULL;
    err = wl_open(io, &w);
    if (!err)
        err = wl_unlock(io, "PIN to show the history", &w);
    if (!err) {
        *out = json_deep_copy(json_object_get(w.vault, "history"));
        if (!*out)
            err = MOBID_ERR_NOMEM;
    }
    wl_close(&w);
    return err;
}
