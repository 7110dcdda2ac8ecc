/*
 * Who may receive a card through a diplomatic office: each card type says it
 * ("eligibility" in etc/card-types.json). The resident card asks for a national of
 * the issuing state, permanently resident abroad, aged at least 14 on the day of
 * application, with a valid e-passport; the foreign resident card for a foreigner
 * living in the issuing state. Every card needs a passport that is still valid.
 */
#include "services/issuer/office.h"

#include <string.h>

#define DEFAULT_NATIONALITY "KR"

void issuer_eligibility_rules_get(const issuer_ctx *ctx, const issuer_cardtype *ct,
                                  issuer_eligibility_rules *out)
{
    const json_t *a = ctx ? json_object_get(ctx->cfg.raw, "applications") : NULL;
    const json_t *nat = json_object_get(a, "nationality");
    const json_t *age = json_object_get(a, "min_age");

    out->nationality = json_is_string(nat) ? json_string_value(nat) : DEFAULT_NATIONALITY;
    out->card = ct->eligibility;
    if (json_is_integer(age) && json_integer_value(age) > out->card.min_age)
        out->card.min_age = (int)json_integer_value(age);
}

/* A string field of pii, or NULL. */
static const char *field(const json_t *pii, const char *name)
{
    const json_t *v = json_object_get(pii, name);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static mobid_err date_field(const json_t *pii, const char *name, int64_t *days)
{
    const char *s = field(pii, name);
    return s && mobid_date_parse(mobid_view_str(s), days) == MOBID_OK ? MOBID_OK
                                                                       : MOBID_ERR_INVALID_ARG;
}

/* Nationality and residence as the card type asks. */
static mobid_err residence_check(const issuer_eligibility_rules *rules, const json_t *pii,
                                 char *detail, size_t detail_len)
{
    const char *nat = field(pii, "nationality"), *res = field(pii, "residence_status");
    const char *country = field(pii, "country_of_residence");
    const issuer_eligibility *e = &rules->card;
    bool national = nat && !strcmp(nat, rules->nationality);

    if ((e->residence != ISSUER_RESIDENCE_ANY && !country) ||
        (e->residence == ISSUER_RESIDENCE_PERMANENT_ABROAD && !res)) {
        mobid_svc_detail(detail, detail_len,
                         "country_of_residence (and residence_status) are required");
        return MOBID_ERR_INVALID_ARG;
    }
    if (national != e->nationals) {
        mobid_svc_detail(detail, detail_len,
                         e->nationals ? "only nationals of the issuing state can apply"
                                      : "this card is for foreigners, not nationals of the issuing state");
        return MOBID_SVC_ERR_INELIGIBLE_NATIONALITY;
    }
    if (e->residence == ISSUER_RESIDENCE_PERMANENT_ABROAD &&
        (strcmp(res, "permanent") != 0 || !strcmp(country, rules->nationality))) {
        mobid_svc_detail(detail, detail_len,
                         "the applicant must hold permanent residency in another country");
        return MOBID_SVC_ERR_INELIGIBLE_RESIDENCE;
    }
    if (e->residence == ISSUER_RESIDENCE_ISSUING_STATE && strcmp(country, rules->nationality)) {
        mobid_svc_detail(detail, detail_len, "the applicant must reside in the issuing state");
        return MOBID_SVC_ERR_INELIGIBLE_RESIDENCE;
    }
    return MOBID_OK;
}

mobid_err issuer_eligibility_check(const issuer_eligibility_rules *rules, const json_t *pii,
                                   int64_t today, char *detail, size_t detail_len)
{
    const char *passport = field(pii, "passport_number");
    const json_t *epass = json_object_get(pii, "e_passport");
    int64_t birth, expiry;
    mobid_err err;

    if (!field(pii, "nationality") || date_field(pii, "birth_date", &birth) != MOBID_OK ||
        date_field(pii, "passport_expiry", &expiry) != MOBID_OK) {
        mobid_svc_detail(detail, detail_len,
                         "nationality, birth_date and passport_expiry (YYYY-MM-DD) are required");
        return MOBID_ERR_INVALID_ARG;
    }
    if ((err = residence_check(rules, pii, detail, detail_len)) != MOBID_OK)
        return err;
    if (birth > today || mobid_age_years(birth, today) < rules->card.min_age) {
        mobid_svc_detail(detail, detail_len, "the applicant is younger than the minimum age");
        return MOBID_SVC_ERR_INELIGIBLE_AGE;
    }
    if (!passport || !*passport || (rules->card.e_passport && !json_is_true(epass))) {
        mobid_svc_detail(detail, detail_len,
                         rules->card.e_passport
                             ? "a machine-readable e-passport (with chip) is required"
                             : "a passport number is required");
        return MOBID_SVC_ERR_PASSPORT_INVALID;
    }
    if (expiry <= today) {
        mobid_svc_detail(detail, detail_len,
                         "the passport expires on or before the day of application");
        return MOBID_SVC_ERR_PASSPORT_EXPIRED;
    }
    mobid_svc_detail(detail, detail_len, NULL);
    return MOBID_OK;
}
