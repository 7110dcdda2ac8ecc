/*
 * issuer: card types. They are configuration ("card_types" in the config file);
 * without that key the four built-in types below are used. Ids, doctypes and vct
 * values are documented in docs/issuer.md.
 */
#include "services/issuer/issuer.h"

#include <stdio.h>
#include <string.h>

/* The built-in card types, in the configuration's own syntax. */
static const char DEFAULT_CARDTYPES[] =
    "["
    "{\"id\":\"resident_card\",\"name\":\"Overseas national resident ID card\","
    " \"doctype\":\"kr.go.mois.resident.1\",\"namespace\":\"kr.go.mois.resident.1\","
    " \"vct\":\"urn:mobid:kr:resident_card:1\",\"formats\":[\"mso_mdoc\",\"dc+sd-jwt\"],"
    " \"validity_days\":1095,\"claims\":["
    "  {\"name\":\"family_name\",\"required\":true},"
    "  {\"name\":\"given_name\",\"required\":true},"
    "  {\"name\":\"family_name_hangul\",\"required\":true},"
    "  {\"name\":\"given_name_hangul\",\"required\":true},"
    "  {\"name\":\"birth_date\",\"type\":\"date\",\"required\":true},"
    "  {\"name\":\"sex\",\"type\":\"int\",\"required\":true},"
    "  {\"name\":\"resident_registration_number\",\"required\":true},"
    "  {\"name\":\"nationality\",\"required\":true},"
    "  {\"name\":\"resident_country\",\"required\":true},"
    "  {\"name\":\"residence_status\",\"required\":true},"
    "  {\"name\":\"passport_number\",\"required\":true},"
    "  {\"name\":\"portrait\",\"type\":\"bytes\"},"
    "  {\"name\":\"issuing_office\",\"required\":true},"
    "  {\"name\":\"age_over_14\",\"type\":\"age_over\",\"age\":14},"
    "  {\"name\":\"age_over_19\",\"type\":\"age_over\",\"age\":19}]},"
    "{\"id\":\"mdl\",\"name\":\"Mobile driving licence\","
    " \"doctype\":\"org.iso.18013.5.1.mDL\",\"namespace\":\"org.iso.18013.5.1\","
    " \"vct\":\"urn:mobid:kr:mdl:1\",\"formats\":[\"mso_mdoc\",\"dc+sd-jwt\"],"
    " \"validity_days\":1825,\"claims\":["
    "  {\"name\":\"family_name\",\"required\":true},"
    "  {\"name\":\"given_name\",\"required\":true},"
    "  {\"name\":\"birth_date\",\"type\":\"date\",\"required\":true},"
    "  {\"name\":\"issue_date\",\"type\":\"date\",\"required\":true},"
    "  {\"name\":\"expiry_date\",\"type\":\"date\",\"required\":true},"
    "  {\"name\":\"issuing_country\",\"required\":true},"
    "  {\"name\":\"issuing_authority\",\"required\":true},"
    "  {\"name\":\"document_number\",\"required\":true},"
    "  {\"name\":\"portrait\",\"type\":\"bytes\"},"
    "  {\"name\":\"driving_privileges\",\"type\":\"json\"},"
    "  {\"name\":\"un_distinguishing_sign\"},"
    "  {\"name\":\"age_over_18\",\"type\":\"age_over\",\"age\":18}]},"
    "{\"id\":\"veterans_card\",\"name\":\"Veterans card\","
    " \"doctype\":\"kr.go.mpva.veteran.1\",\"namespace\":\"kr.go.mpva.veteran.1\","
    " \"vct\":\"urn:mobid:kr:veterans_card:1\",\"formats\":[\"mso_mdoc\",\"dc+sd-jwt\"],"
    " \"validity_days\":1825,\"claims\":["
    "  {\"name\":\"family_name\",\"required\":true},"
    "  {\"name\":\"given_name\",\"required\":true},"
    "  {\"name\":\"birth_date\",\"type\":\"date\",\"required\":true},"
    "  {\"name\":\"veteran_number\",\"required\":true},"
    "  {\"name\":\"service_category\",\"required\":true},"
    "  {\"name\":\"portrait\",\"type\":\"bytes\"}]},"
    "{\"id\":\"foreign_resident_card\",\"name\":\"Foreign resident card\","
    " \"doctype\":\"kr.go.moj.foreign_resident.1\",\"namespace\":\"kr.go.moj.foreign_resident.1\","
    " \"vct\":\"urn:mobid:kr:foreign_resident_card:1\",\"formats\":[\"mso_mdoc\",\"dc+sd-jwt\"],"
    " \"validity_days\":1095,\"claims\":["
    "  {\"name\":\"family_name\",\"required\":true},"
    "  {\"name\":\"given_name\",\"required\":true},"
    "  {\"name\":\"birth_date\",\"type\":\"date\",\"required\":true},"
    "  {\"name\":\"sex\",\"type\":\"int\",\"required\":true},"
    "  {\"name\":\"nationality\",\"required\":true},"
    "  {\"name\":\"alien_registration_number\",\"required\":true},"
    "  {\"name\":\"residence_status\",\"required\":true},"
    "  {\"name\":\"portrait\",\"type\":\"bytes\"},"
    "  {\"name\":\"age_over_19\",\"type\":\"age_over\",\"age\":19}]}"
    "]";

static const struct {
    const char *name;
    issuer_claim_kind kind;
} KINDS[] = {
    { "string", ISSUER_CLAIM_STRING }, { "date", ISSUER_CLAIM_DATE },
    { "bool", ISSUER_CLAIM_BOOL },     { "int", ISSUER_CLAIM_INT },
    { "bytes", ISSUER_CLAIM_BYTES },   { "age_over", ISSUER_CLAIM_COMPUTED },
    { "json", ISSUER_CLAIM_JSON },
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

static mobid_err claim_parse(const json_t *j, issuer_claim *c)
{
    mobid_err err = MOBID_OK;
    const json_t *t = json_object_get(j, "type");
    if (!json_is_object(j))
        return MOBID_ERR_MALFORMED;
    c->name = dup_field(j, "name", true, &err);
    c->display = dup_field(j, "display", false, &err);
    c->required = json_is_true(json_object_get(j, "required"));
    c->kind = ISSUER_CLAIM_STRING;
    if (err != MOBID_OK)
        return err;
    if (t) {
        size_t i = 0;
        while (i < sizeof KINDS / sizeof KINDS[0] &&
               (!json_is_string(t) || strcmp(KINDS[i].name, json_string_value(t))))
            i++;
        if (i == sizeof KINDS / sizeof KINDS[0]) {
            fprintf(stderr, "issuer config: claim %s has an unknown type\n", c->name);
            return MOBID_ERR_MALFORMED;
        }
        c->kind = KINDS[i].kind;
    }
    if (c->kind == ISSUER_CLAIM_COMPUTED) {
        const json_t *age = json_object_get(j, "age");
        if (!json_is_integer(age) || json_integer_value(age) < 1 ||
            json_integer_value(age) > 99) {
            fprintf(stderr, "issuer config: claim %s needs an \"age\" 1..99\n", c->name);
            return MOBID_ERR_MALFORMED;
        }
        c->age = (int)json_integer_value(age);
        c->required = false;
    }
    return MOBID_OK;
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
    if (err != MOBID_OK)
        return err;
    if (formats_parse(json_object_get(j, "formats"), &ct->formats) != MOBID_OK) {
        fprintf(stderr, "issuer config: %s: formats must list mso_mdoc and/or dc+sd-jwt\n",
                ct->id);
        return MOBID_ERR_MALFORMED;
    }
    const json_t *days = json_object_get(j, "validity_days");
    if (!json_is_integer(days) || json_integer_value(days) < 1 ||
        json_integer_value(days) > 3660) {
        fprintf(stderr, "issuer config: %s: validity_days must be 1..3660\n", ct->id);
        return MOBID_ERR_MALFORMED;
    }
    ct->validity_s = (int64_t)json_integer_value(days) * 86400;
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
    return MOBID_OK;
}

void issuer_cardtypes_free(issuer_cardtype *cts, size_t n)
{
    for (size_t i = 0; cts && i < n; i++) {
        issuer_cardtype *ct = &cts[i];
        for (size_t k = 0; k < ct->nclaims; k++) {
            free(ct->claims[k].name);
            free(ct->claims[k].display);
        }
        free(ct->claims);
        free(ct->id);
        free(ct->name);
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
        deflt = json_loads(DEFAULT_CARDTYPES, JSON_REJECT_DUPLICATES, NULL);
        if (!deflt)
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
