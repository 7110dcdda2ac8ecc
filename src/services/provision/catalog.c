/*
 * Provisioning: card types read from etc/card-types.json and what is derived from
 * them (claim selections, DCQL queries, registration grants).
 */
#include "assets/assets.h"
#include "services/provision/provision.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

mobid_err prov_json_load(const char *path, const char *builtin, json_t **out)
{
    const mobid_asset *a = path ? NULL : mobid_asset_find(builtin);
    json_error_t je = { .line = 0, .text = "not compiled in" };
    *out = path ? json_load_file(path, JSON_REJECT_DUPLICATES, &je)
         : a    ? json_loadb((const char *)a->data, a->len, JSON_REJECT_DUPLICATES, &je)
                : NULL;
    if (*out)
        return MOBID_OK;
    fprintf(stderr, "%s:%d: %s\n", path ? path : builtin, je.line, je.text);
    /* jansson reports an unreadable file as a load error with line -1 */
    return path && je.line < 0 ? MOBID_ERR_IO : MOBID_ERR_MALFORMED;
}

mobid_err prov_cardtypes_load(const char *path, json_t **out)
{
    json_t *root = NULL;
    mobid_err err = prov_json_load(path, "etc/card-types.json", &root);
    *out = NULL;
    if (err)
        return err;
    json_t *list = json_is_array(root) ? root : json_object_get(root, "card_types");
    if (!json_is_array(list) || !json_array_size(list)) {
        fprintf(stderr, "%s: no \"card_types\" list\n", path ? path : "(built-in)");
        err = MOBID_ERR_MALFORMED;
    } else {
        *out = json_incref(list);
    }
    json_decref(root);
    return err;
}

mobid_err prov_cardtypes_bind(json_t *cts, const char *issuer_url)
{
    static const char MARK[] = "{issuer_url}";
    size_t i;
    json_t *ct;
    json_array_foreach (cts, i, ct) {
        const char *vct = json_string_value(json_object_get(ct, "vct"));
        char *v;
        size_t n;
        if (!issuer_url || !vct || strncmp(vct, MARK, sizeof MARK - 1))
            continue;
        n = strlen(issuer_url) + strlen(vct) + 1;
        if (!(v = malloc(n)))
            return MOBID_ERR_NOMEM;
        snprintf(v, n, "%s%s", issuer_url, vct + sizeof MARK - 1);
        json_object_set_new(ct, "vct", json_string(v));
        free(v);
    }
    return MOBID_OK;
}

const json_t *prov_cardtype_find(const json_t *cts, const char *id)
{
    size_t i;
    const json_t *ct;
    json_array_foreach (cts, i, ct)
        if (id && !strcmp(json_string_value(json_object_get(ct, "id")) ?: "", id))
            return ct;
    return NULL;
}

const json_t *prov_claim_find(const json_t *ct, const char *name)
{
    size_t i;
    const json_t *c;
    json_array_foreach (json_object_get(ct, "claims"), i, c)
        if (name && !strcmp(json_string_value(json_object_get(c, "name")) ?: "", name))
            return c;
    return NULL;
}

json_t *prov_claim_path(const json_t *ct, const char *name, bool mdoc)
{
    const json_t *sd = json_object_get(prov_claim_find(ct, name), "sd_jwt");
    if (mdoc)
        return json_pack("[s,s]", json_string_value(json_object_get(ct, "namespace")) ?: "", name);
    if (json_is_array(sd))
        return json_deep_copy(sd);
    return json_pack("[s]", json_is_string(sd) ? json_string_value(sd) : name);
}

mobid_err prov_claims_select(const json_t *ct, const json_t *sel, json_t **out)
{
    const char *how = json_string_value(sel);
    const json_t *c;
    size_t i;
    mobid_err err = MOBID_OK;

    *out = json_array();
    if (!*out)
        return MOBID_ERR_NOMEM;
    if (how && (!strcmp(how, "all") || !strcmp(how, "non_sensitive"))) {
        json_array_foreach (json_object_get(ct, "claims"), i, c)
            if (!strcmp(how, "all") || !json_is_true(json_object_get(c, "sensitive")))
                json_array_append(*out, json_object_get(c, "name"));
        return MOBID_OK;
    }
    if (!json_is_array(sel) || !json_array_size(sel))
        err = MOBID_ERR_INVALID_ARG;
    json_array_foreach (sel, i, c) {
        if (err)
            break;
        if (!prov_claim_find(ct, json_string_value(c))) {
            fprintf(stderr, "provisioning: card type %s has no claim %s\n",
                    json_string_value(json_object_get(ct, "id")), json_string_value(c) ?: "?");
            err = MOBID_ERR_NOT_FOUND;
        } else {
            json_array_append(*out, (json_t *)c);
        }
    }
    if (err) {
        json_decref(*out);
        *out = NULL;
    }
    return err;
}

static const json_t *cardtype_or_say(const json_t *cts, const char *id)
{
    const json_t *ct = prov_cardtype_find(cts, id);
    if (!ct)
        fprintf(stderr, "provisioning: no card type %s\n", id ? id : "(none)");
    return ct;
}

mobid_err prov_dcql(const json_t *cts, const char *cardtype, const char *format,
                    const json_t *sel, json_t **out)
{
    const json_t *ct = cardtype_or_say(cts, cardtype);
    bool mdoc = format && !strcmp(format, "mso_mdoc");
    json_t *names = NULL, *claims = json_array(), *name;
    size_t i;
    mobid_err err = ct ? prov_claims_select(ct, sel, &names) : MOBID_ERR_NOT_FOUND;

    *out = NULL;
    if (!err && !mdoc && (!format || strcmp(format, "dc+sd-jwt")))
        err = MOBID_ERR_INVALID_ARG;
    json_array_foreach (names, i, name)
        json_array_append_new(claims, json_pack("{s:o}", "path",
                                                prov_claim_path(ct, json_string_value(name), mdoc)));
    if (!err)
        *out = mdoc ? json_pack("{s:[{s:s, s:s, s:{s:O}, s:O}]}", "credentials", "id", cardtype,
                                "format", format, "meta", "doctype_value",
                                json_object_get(ct, "doctype"), "claims", claims)
                    : json_pack("{s:[{s:s, s:s, s:{s:[O]}, s:O}]}", "credentials", "id", cardtype,
                                "format", format, "meta", "vct_values", json_object_get(ct, "vct"),
                                "claims", claims);
    if (!err && !*out)
        err = MOBID_ERR_NOMEM;
    json_decref(names);
    json_decref(claims);
    return err;
}

/* The registration entries of one grant: both formats the card type is issued in. */
static mobid_err grant_allowed(const json_t *ct, const json_t *sel, json_t *allowed)
{
    json_t *names = NULL, *fmt, *name;
    size_t i, k;
    mobid_err err = prov_claims_select(ct, sel, &names);

    json_array_foreach (json_object_get(ct, "formats"), i, fmt) {
        bool mdoc = !strcmp(json_string_value(fmt) ?: "", "mso_mdoc");
        json_t *paths = json_array();
        json_array_foreach (names, k, name)
            json_array_append_new(paths, prov_claim_path(ct, json_string_value(name), mdoc));
        json_array_append_new(allowed, json_pack("{s:O, s:O, s:o}", "format", fmt, "type",
                                                 json_object_get(ct, mdoc ? "doctype" : "vct"),
                                                 "claims", paths));
    }
    json_decref(names);
    return err;
}

mobid_err prov_allowed(const json_t *cts, const json_t *grants, json_t **out)
{
    const json_t *g;
    size_t i;
    mobid_err err = json_array_size(grants) ? MOBID_OK : MOBID_ERR_INVALID_ARG;

    *out = json_array();
    json_array_foreach (grants, i, g) {
        const json_t *ct = cardtype_or_say(cts, json_string_value(json_object_get(g, "cardtype")));
        if (err || (err = ct ? grant_allowed(ct, json_object_get(g, "claims"), *out)
                             : MOBID_ERR_NOT_FOUND))
            break;
    }
    if (err) {
        json_decref(*out);
        *out = NULL;
    }
    return err;
}
