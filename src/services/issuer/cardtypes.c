/*
 * issuer: card types. They are configuration: "card_types" in the config file holds
 * the list or names a file of it; without that key the catalogue compiled in from
 * etc/card-types.json is used, the one definition of every card (docs/issuer.md
 * describes the keys, docs/architecture.md where they are used).
 */
#include "services/issuer/issuer.h"
#include "services/provision/provision.h"

#include <stdio.h>
#include <string.h>

static const struct {
    const char *name;
    issuer_claim_kind kind;
    issuer_computed computed;
} KINDS[] = {
    { "string", ISSUER_CLAIM_STRING, 0 },
    { "date", ISSUER_CLAIM_DATE, 0 },
    { "bool", ISSUER_CLAIM_BOOL, 0 },
    { "int", ISSUER_CLAIM_INT, 0 },
    { "bytes", ISSUER_CLAIM_BYTES, 0 },
    { "json", ISSUER_CLAIM_JSON, 0 },
    { "age_over", ISSUER_CLAIM_COMPUTED, ISSUER_COMPUTED_AGE_OVER },
    { "age_by_year", ISSUER_CLAIM_COMPUTED, ISSUER_COMPUTED_AGE_BY_YEAR },
    { "issued_on", ISSUER_CLAIM_COMPUTED, ISSUER_COMPUTED_ISSUED_ON },
    { "expires_on", ISSUER_CLAIM_COMPUTED, ISSUER_COMPUTED_EXPIRES_ON },
    { "card_id", ISSUER_CLAIM_COMPUTED, ISSUER_COMPUTED_CARD_ID },
};

static char *dup_field(const json_t *o, const char *key, bool required, mobid_err *err)
{
    const json_t *v = json_object_get(o, key);
    if (!v) {
        if (required && *err == MOBID_OK) {
            fprintf(stderr, "issuer config: card type needs \"%s\"\n", key);
            *err = MOBID_ERR_MALFORMED;
        }
        return NULL;
    }
    if (!json_is_string(v) || !json_string_length(v)) {
        fprintf(stderr, "issuer config: card type \"%s\" must be a non-empty string\n", key);
        *err = MOBID_ERR_MALFORMED;
        return NULL;
    }
    char *s = strdup(json_string_value(v));
    if (!s)
        *err = MOBID_ERR_NOMEM;
    return s;
}

/* "sd_jwt": the SD-JWT VC name ("birthdate") or path (["age_equal_or_over", "18"]),
 * kept as one '/'-joined path; absent, the claim's name. */
static mobid_err sd_path_parse(const json_t *j, issuer_claim *c)
{
    const json_t *p = json_object_get(j, "sd_jwt"), *seg;
    json_t *one = json_is_string(p) ? json_pack("[O]", p) : json_incref((json_t *)p);
    size_t i, len = 0;
    mobid_err err = MOBID_OK;

    c->sd_array = json_is_true(json_object_get(j, "sd_jwt_array"));
    if (!p)
        return (c->sd_path = strdup(c->name)) ? MOBID_OK : MOBID_ERR_NOMEM;
    json_array_foreach (one, i, seg)
        len += json_string_length(seg) + 1;
    if (!json_is_array(one) || !json_array_size(one) || !(c->sd_path = calloc(1, len)))
        err = json_is_array(one) && json_array_size(one) ? MOBID_ERR_NOMEM : MOBID_ERR_MALFORMED;
    json_array_foreach (one, i, seg) {
        const char *s = json_string_value(seg);
        if (err || !s || !*s || strchr(s, '/')) {
            err = err ? err : MOBID_ERR_MALFORMED;
            break;
        }
        if (i)
            strcat(c->sd_path, "/");
        strcat(c->sd_path, s);
    }
    if (err == MOBID_ERR_MALFORMED)
        fprintf(stderr, "issuer config: claim %s: sd_jwt must be a name or a list of names\n",
                c->name);
    json_decref(one);
    return err;
}

static mobid_err kind_parse(const json_t *j, issuer_claim *c)
{
    const json_t *t = json_object_get(j, "type"), *age = json_object_get(j, "age");
    size_t i = 0;

    c->kind = ISSUER_CLAIM_STRING;
    if ((c->value = json_incref(json_object_get(j, "value")))) {
        c->kind = ISSUER_CLAIM_COMPUTED;
        c->computed = ISSUER_COMPUTED_VALUE;
        return MOBID_OK;
    }
    if (!t)
        return MOBID_OK;
    while (i < sizeof KINDS / sizeof KINDS[0] &&
           (!json_is_string(t) || strcmp(KINDS[i].name, json_string_value(t))))
        i++;
    if (i == sizeof KINDS / sizeof KINDS[0]) {
        fprintf(stderr, "issuer config: claim %s has an unknown type\n", c->name);
        return MOBID_ERR_MALFORMED;
    }
    c->kind = KINDS[i].kind;
    c->computed = KINDS[i].computed;
    if (c->kind != ISSUER_CLAIM_COMPUTED || c->computed > ISSUER_COMPUTED_AGE_BY_YEAR)
        return MOBID_OK;
    if (!json_is_integer(age) || json_integer_value(age) < 1 || json_integer_value(age) > 99) {
        fprintf(stderr, "issuer config: claim %s needs an \"age\" 1..99\n", c->name);
        return MOBID_ERR_MALFORMED;
    }
    c->age = (int)json_integer_value(age);
    return MOBID_OK;
}

static mobid_err claim_parse(const json_t *j, issuer_claim *c)
{
    mobid_err err = MOBID_OK;
    if (!json_is_object(j))
        return MOBID_ERR_MALFORMED;
    c->name = dup_field(j, "name", true, &err);
    c->display_ko = dup_field(json_object_get(j, "display"), "ko", false, &err);
    c->display_en = dup_field(json_object_get(j, "display"), "en", false, &err);
    c->required = json_is_true(json_object_get(j, "required"));
    c->sensitive = json_is_true(json_object_get(j, "sensitive"));
    if (err == MOBID_OK)
        err = sd_path_parse(j, c);
    if (err == MOBID_OK)
        err = kind_parse(j, c);
    if (c->kind == ISSUER_CLAIM_COMPUTED)
        c->required = false;
    return err;
}

static mobid_err formats_parse(const json_t *f, unsigned *out)
{
    *out = 0;
    if (!json_is_array(f) || !json_array_size(f))
        return MOBID_ERR_MALFORMED;
    for (size_t i = 0; i < json_array_size(f); i++) {
        const char *s = json_string_value(json_array_get(f, i));
        if (s && !strcmp(s, "mso_mdoc"))
            *out |= ISSUER_FMT_MDOC;
        else if (s && !strcmp(s, "dc+sd-jwt"))
            *out |= ISSUER_FMT_SDJWT;
        else
            return MOBID_ERR_MALFORMED;
    }
    return MOBID_OK;
}

/* "eligibility": who may apply. Without it: nationals living anywhere, aged 14. */
static mobid_err eligibility_parse(issuer_cardtype *ct, const json_t *e)
{
    static const char *const RESIDENCE[] = { "any", "permanent_abroad", "issuing_state" };
    const char *res = json_string_value(json_object_get(e, "residence"));
    const json_t *age = json_object_get(e, "min_age");
    issuer_eligibility *out = &ct->eligibility;
    size_t i = 0;

    out->nationals = !json_is_false(json_object_get(e, "nationals"));
    out->e_passport = json_is_true(json_object_get(e, "e_passport"));
    out->min_age = age ? (int)json_integer_value(age) : 14;
    while (res && i < 3 && strcmp(res, RESIDENCE[i]))
        i++;
    out->residence = (issuer_residence)(res ? i : 0);
    if ((e && !json_is_object(e)) || i == 3 || (age && !json_is_integer(age)) ||
        out->min_age < 0 || out->min_age > 99) {
        fprintf(stderr, "issuer config: %s: eligibility needs residence any|permanent_abroad|"
                        "issuing_state and min_age 0..99\n", ct->id);
        return MOBID_ERR_MALFORMED;
    }
    return MOBID_OK;
}

/* One application field: the claim it fills (same name, or "claim") with the
 * field's own keys over it, and the labels flattened to "ko" and "en". */
static json_t *form_field(const json_t *def, const json_t *f)
{
    const char *name = json_string_value(json_object_get(f, "name"));
    const char *fill = json_string_value(json_object_get(f, "claim"));
    const json_t *c = prov_claim_find(def, fill ? fill : name);
    json_t *out = c ? json_deep_copy(c) : json_object();
    const json_t *d;

    if (!out || !name || json_object_update(out, (json_t *)f) != 0) {
        json_decref(out);
        return NULL;
    }
    if (c)
        json_object_set(out, "claim", json_object_get(c, "name"));
    d = json_object_get(out, "display");
    json_object_set_new(out, "ko", json_string(json_string_value(json_object_get(d, "ko")) ?: name));
    json_object_set_new(out, "en", json_string(json_string_value(json_object_get(d, "en")) ?: name));
    if (!json_object_get(out, "type"))
        json_object_set_new(out, "type", json_string("string"));
    json_object_del(out, "display");
    return out;
}

/* "application": the console form. Options and defaults of the claim carry over. */
static mobid_err form_parse(issuer_cardtype *ct, const json_t *def)
{
    size_t i;
    const json_t *f;
    if (!(ct->form = json_array()))
        return MOBID_ERR_NOMEM;
    json_array_foreach (json_object_get(def, "application"), i, f) {
        json_t *field = form_field(def, f);
        if (!field) {
            fprintf(stderr, "issuer config: %s: application field %zu needs a name\n", ct->id, i);
            return MOBID_ERR_MALFORMED;
        }
        json_array_append_new(ct->form, field);
    }
    return MOBID_OK;
}

static mobid_err cardtype_parse(const json_t *j, issuer_cardtype *ct)
{
    mobid_err err = MOBID_OK;
    if (!json_is_object(j))
        return MOBID_ERR_MALFORMED;
    ct->id = dup_field(j, "id", true, &err);
    ct->name = dup_field(j, "name", false, &err);
    ct->doctype = dup_field(j, "doctype", true, &err);
    ct->ns = dup_field(j, "namespace", true, &err);
    ct->vct = dup_field(j, "vct", true, &err);
    ct->display_ko = dup_field(json_object_get(j, "display"), "ko", false, &err);
    ct->person_key = json_object_get(j, "person_key")
                         ? dup_field(j, "person_key", true, &err)
                         : strdup("resident_registration_number");
    if (err == MOBID_OK && !ct->person_key)
        err = MOBID_ERR_NOMEM;
    if (err != MOBID_OK)
        return err;
    if (formats_parse(json_object_get(j, "formats"), &ct->formats) != MOBID_OK) {
        fprintf(stderr, "issuer config: %s: formats must list mso_mdoc and/or dc+sd-jwt\n",
                ct->id);
        return MOBID_ERR_MALFORMED;
    }
    /* the one place a card's lifetime is set: new cards and renewed ones alike */
    const json_t *days = json_object_get(j, "validity_days");
    if (days && (!json_is_integer(days) || json_integer_value(days) < 1 ||
                 json_integer_value(days) > 3660)) {
        fprintf(stderr, "issuer config: %s: validity_days must be 1..3660\n", ct->id);
        return MOBID_ERR_MALFORMED;
    }
    ct->validity_s = (days ? (int64_t)json_integer_value(days) : ISSUER_VALIDITY_DAYS) * 86400;
    const json_t *claims = json_object_get(j, "claims");
    if (!json_is_array(claims) || !json_array_size(claims))
        return MOBID_ERR_MALFORMED;
    ct->claims = calloc(json_array_size(claims), sizeof *ct->claims);
    if (!ct->claims)
        return MOBID_ERR_NOMEM;
    for (size_t i = 0; i < json_array_size(claims); i++) {
        ct->nclaims = i + 1;
        if ((err = claim_parse(json_array_get(claims, i), &ct->claims[i])) != MOBID_OK)
            return err;
    }
    if ((err = eligibility_parse(ct, json_object_get(j, "eligibility"))) != MOBID_OK)
        return err;
    return form_parse(ct, j);
}

void issuer_cardtypes_free(issuer_cardtype *cts, size_t n)
{
    for (size_t i = 0; cts && i < n; i++) {
        issuer_cardtype *ct = &cts[i];
        for (size_t k = 0; k < ct->nclaims; k++) {
            free(ct->claims[k].name);
            free(ct->claims[k].sd_path);
            json_decref(ct->claims[k].value);
            free(ct->claims[k].display_ko);
            free(ct->claims[k].display_en);
        }
        free(ct->claims);
        free(ct->id);
        free(ct->name);
        free(ct->display_ko);
        free(ct->person_key);
        json_decref(ct->form);
        free(ct->doctype);
        free(ct->ns);
        free(ct->vct);
    }
    free(cts);
}

mobid_err issuer_cardtypes_parse(const json_t *list, issuer_cardtype **out, size_t *n)
{
    json_t *deflt = NULL;
    issuer_cardtype *cts = NULL;
    size_t count = 0;
    mobid_err err = MOBID_ERR_MALFORMED;
    *out = NULL;
    *n = 0;
    if (!list) {
        if (prov_cardtypes_load(NULL, &deflt) != MOBID_OK)
            goto done;
        list = deflt;
    }
    if (!json_is_array(list) || !json_array_size(list))
        goto done;
    err = MOBID_ERR_NOMEM;
    if (!(cts = calloc(json_array_size(list), sizeof *cts)))
        goto done;
    for (size_t i = 0; i < json_array_size(list); i++) {
        count = i + 1;
        if ((err = cardtype_parse(json_array_get(list, i), &cts[i])) != MOBID_OK)
            goto done;
        for (size_t k = 0; k < i; k++)
            if (!strcmp(cts[k].id, cts[i].id)) {
                fprintf(stderr, "issuer config: card type %s twice\n", cts[i].id);
                err = MOBID_ERR_MALFORMED;
                goto done;
            }
    }
    *out = cts;
    *n = count;
    cts = NULL;
    err = MOBID_OK;
done:
    issuer_cardtypes_free(cts, count);
    json_decref(deflt);
    return err;
}

mobid_err issuer_cardtypes_bind(issuer_config *cfg)
{
    static const char MARK[] = "{issuer_url}";
    for (size_t i = 0; cfg->issuer_url && i < cfg->ncardtypes; i++) {
        issuer_cardtype *ct = &cfg->cardtypes[i];
        if (strncmp(ct->vct, MARK, sizeof MARK - 1))
            continue;
        size_t n = strlen(cfg->issuer_url) + strlen(ct->vct) + 1;
        char *v = malloc(n);
        if (!v)
            return MOBID_ERR_NOMEM;
        snprintf(v, n, "%s%s", cfg->issuer_url, ct->vct + sizeof MARK - 1);
        free(ct->vct);
        ct->vct = v;
    }
    return MOBID_OK;
}

const issuer_cardtype *issuer_cardtype_find(const issuer_ctx *ctx, const char *id)
{
    for (size_t i = 0; ctx && id && i < ctx->cfg.ncardtypes; i++)
        if (!strcmp(ctx->cfg.cardtypes[i].id, id))
            return &ctx->cfg.cardtypes[i];
    return NULL;
}

const issuer_cardtype *issuer_cardtype_by_config_id(const issuer_ctx *ctx, const char *config_id,
                                                    unsigned *format)
{
    static const struct {
        const char *suffix;
        unsigned fmt;
    } SUFFIX[] = { { "_mdoc", ISSUER_FMT_MDOC }, { "_sdjwt", ISSUER_FMT_SDJWT } };
    size_t len = config_id ? strlen(config_id) : 0;
    for (size_t i = 0; ctx && i < ctx->cfg.ncardtypes; i++) {
        const issuer_cardtype *ct = &ctx->cfg.cardtypes[i];
        size_t il = strlen(ct->id);
        for (size_t k = 0; k < 2; k++) {
            size_t sl = strlen(SUFFIX[k].suffix);
            if (len == il + sl && !memcmp(config_id, ct->id, il) &&
                !strcmp(config_id + il, SUFFIX[k].suffix) && (ct->formats & SUFFIX[k].fmt)) {
                *format = SUFFIX[k].fmt;
                return ct;
            }
        }
    }
    return NULL;
}
