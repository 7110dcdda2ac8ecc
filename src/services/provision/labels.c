/*
 * The card type's words for what a person sees: claim labels ("성별 Sex"), value
 * labels (sex 2 -> "여 Female", true -> "예 Yes"), the person's full name, for the
 * portal, its certificate and the wallet's consent. The console reads the same
 * entries through the issuer's parsed card types.
 */
#include <stdio.h>
#include <string.h>
#include "services/provision/provision.h"

const json_t *prov_cardtype_by_type(const json_t *cts, const char *type)
{
    size_t i;
    const json_t *ct;
    json_array_foreach (cts, i, ct) {
        const char *keys[] = { "id", "doctype", "vct" };
        for (size_t k = 0; type && k < 3; k++)
            if (!strcmp(json_string_value(json_object_get(ct, keys[k])) ?: "", type))
                return ct;
    }
    return NULL;
}

/* The SD-JWT name of a claim as a '/'-joined path ("address/country"). */
static void sd_jwt_path(const json_t *cl, char *out, size_t n)
{
    const json_t *sd = json_object_get(cl, "sd_jwt"), *seg;
    size_t i, k = 0;
    out[0] = 0;
    if (json_is_string(sd))
        snprintf(out, n, "%s", json_string_value(sd));
    json_array_foreach (json_is_array(sd) ? sd : NULL, i, seg)
        k += (size_t)snprintf(out + k, k < n ? n - k : 0, "%s%s", i ? "/" : "", json_string_value(seg) ?: "");
}

const json_t *prov_claim_by_path(const json_t *ct, const char *path)
{
    const char *last = path ? strrchr(path, '/') : NULL;
    const json_t *cl;
    char sd[128];
    size_t i;
    if (!path)
        return NULL;
    json_array_foreach (json_object_get(ct, "claims"), i, cl) {
        const char *name = json_string_value(json_object_get(cl, "name")) ?: "";
        sd_jwt_path(cl, sd, sizeof sd);
        /* an mdoc path is namespace/element; an SD-JWT one the claim's own path */
        if (!strcmp(name, path) || (sd[0] && !strcmp(sd, path)) || (last && !strcmp(name, last + 1)))
            return cl;
    }
    return NULL;
}

const json_t *prov_claim_any(const json_t *cts, const char *name, const json_t **ct)
{
    size_t i;
    const json_t *t, *cl;
    json_array_foreach (cts, i, t)
        if ((cl = prov_claim_by_path(t, name))) {
            if (ct)
                *ct = t;
            return cl;
        }
    return NULL;
}

const json_t *prov_cardtype_for_claims(const json_t *cts, const json_t *flat)
{
    size_t i, best_n = 0;
    const json_t *t, *best = NULL, *v;
    const char *key;
    json_array_foreach (cts, i, t) {
        size_t n = 0;
        json_object_foreach ((json_t *)flat, key, v)
            n += prov_claim_by_path(t, key) != NULL;
        if (n > best_n)
            best = t, best_n = n;
    }
    return best;
}

void prov_claim_label(const json_t *cl, const char *fallback, char *out, size_t n)
{
    const json_t *d = json_object_get(cl, "display");
    const char *ko = json_string_value(json_object_get(d, "ko"));
    const char *en = json_string_value(json_object_get(d, "en"));
    if (ko && en)
        snprintf(out, n, "%s %s", ko, en);
    else
        snprintf(out, n, "%s", en ? en : ko ? ko : fallback ? fallback : "");
}

void prov_value_text(const json_t *cl, const json_t *v, char *out, size_t n)
{
    size_t i;
    const json_t *o;
    json_array_foreach (json_object_get(cl, "options"), i, o)
        if (json_equal(json_object_get(o, "value"), (json_t *)v)) {
            snprintf(out, n, "%s %s", json_string_value(json_object_get(o, "ko")) ?: "",
                     json_string_value(json_object_get(o, "en")) ?: "");
            return;
        }
    if (json_is_boolean(v))
        snprintf(out, n, "%s", json_is_true(v) ? "예 Yes" : "아니요 No");
    else if (json_is_integer(v))
        snprintf(out, n, "%lld", (long long)json_integer_value(v));
    else if (json_is_string(v))
        snprintf(out, n, "%s", json_string_value(v));
    else
        out[0] = 0;
}

/* The value of the given-name claim that pairs with family claim fam (same suffix:
 * family_name_hangul with given_name_hangul). */
static const char *given_of(const json_t *flat, const char *fam)
{
    char want[128];
    snprintf(want, sizeof want, "given_name%s", fam + strlen("family_name"));
    return json_string_value(json_object_get(flat, want));
}

void prov_person_name(const json_t *flat, char *out, size_t n)
{
    const char *key, *national = NULL, *nat_given = NULL;
    const char *f = json_string_value(json_object_get(flat, "family_name"));
    const char *g = json_string_value(json_object_get(flat, "given_name"));
    const json_t *v;
    json_object_foreach ((json_t *)flat, key, v)
        if (!strncmp(key, "family_name_", 12) && json_is_string(v) && given_of(flat, key)) {
            national = json_string_value(v);
            nat_given = given_of(flat, key);
        }
    if (national && f && g)
        snprintf(out, n, "%s%s (%s %s)", national, nat_given, g, f);
    else if (national)
        snprintf(out, n, "%s%s", national, nat_given);
    else
        snprintf(out, n, "%s%s%s", g ? g : "", g && f ? " " : "", f ? f : "");
}
