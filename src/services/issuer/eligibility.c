/*
 * Who may receive a card through a diplomatic office: a national of the issuing state,
 * permanently resident abroad, aged at least min_age on the day of application, with
 * a valid e-passport (expiring after that day).
 */
#include "services/issuer/office.h"

#include <string.h>

#define DEFAULT_NATIONALITY "KR"
#define DEFAULT_MIN_AGE 14

void issuer_eligibility_rules_get(const issuer_ctx *ctx, issuer_eligibility_rules *out)
{
    const json_t *a = ctx ? json_object_get(ctx->cfg.raw, "applications") : NULL;
    const json_t *nat = json_object_get(a, "nationality");
    const json_t *age = json_object_get(a, "min_age");

    out->nationality = json_is_string(nat) ? json_string_value(nat) : DEFAULT_NATIONALITY;
    out->min_age = json_is_integer(age) ? (int)json_integer_value(age) : DEFAULT_MIN_AGE;
}

int issuer_age_years(int64_t birth, int64_t today)
{
    int64_t by, ty;
    unsigned bm, bd, tm, td;
    int64_t age;

    mobid_civil_from_days(birth, &by, &bm, &bd);
    mobid_civil_from_days(today, &ty, &tm, &td);
    age = ty - by;
    /* not yet had this year's birthday (29 February counts from 1 March) */
    if (tm < bm || (tm == bm && td < bd))
        age--;
    return age < 0 ? -1 : (int)age;
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

mobid_err issuer_eligibility_check(const issuer_eligibility_rules *rules, const json_t *pii,
                                   int64_t today, const char **detail)
{
    const char *nat = field(pii, "nationality"), *res = field(pii, "residence_status");
    const char *country = field(pii, "country_of_residence");
    const char *passport = field(pii, "passport_number");
    const json_t *epass = json_object_get(pii, "e_passport");
    int64_t birth, expiry;

    if (!nat || !res || !country || date_field(pii, "birth_date", &birth) != MOBID_OK ||
        date_field(pii, "passport_expiry", &expiry) != MOBID_OK) {
        *detail = "nationality, residence_status, country_of_residence, birth_date and"
                  " passport_expiry (YYYY-MM-DD) are required";
        return MOBID_ERR_INVALID_ARG;
    }
    if (strcmp(nat, rules->nationality) != 0) {
        *detail = "only nationals of the issuing state can apply";
        return MOBID_ERR_INELIGIBLE_NATIONALITY;
    }
    if (strcmp(res, "permanent") != 0 || !strcmp(country, rules->nationality)) {
        *detail = "the applicant must hold permanent residency in another country";
        return MOBID_ERR_INELIGIBLE_RESIDENCE;
    }
    if (birth > today || issuer_age_years(birth, today) < rules->min_age) {
        *detail = "the applicant is younger than the minimum age";
        return MOBID_ERR_INELIGIBLE_AGE;
    }
    if (!passport || !*passport || !json_is_true(epass)) {
        *detail = "a machine-readable e-passport (with chip) is required";
        return MOBID_ERR_PASSPORT_INVALID;
    }
    if (expiry <= today) {
        *detail = "the passport expires on or before the day of application";
        return MOBID_ERR_PASSPORT_EXPIRED;
    }
    *detail = NULL;
    return MOBID_OK;
}
