/*
 * Intake checks of an application's applicant object against its card type (the
 * card type's "application" form in etc/card-types.json is the schema), before
 * anything is sealed or stored. What an officer types ends up signed in two formats
 * and shown on other people's screens, so:
 *   - only the card type's claims and the application's own fields are accepted;
 *     claims the server sets (issuing_office, the computed age_over_NN) are refused;
 *   - every value has the type its claim says, texts are short and free of control
 *     and bidirectional-override characters (a name cannot reorder what a verifier's
 *     screen shows), bytes (the portrait) are base64url within a size limit, dates
 *     are real dates;
 *   - the registration number agrees with birth_date (YYMMDD, century digit) and sex
 *     (odd digit male, even female);
 *   - countries (nationality, country of residence, issuing country) are ISO 3166-1
 *     alpha-2 codes in capitals, as verifiers compare them.
 * The structural checks run before eligibility, the consistency checks after it, so an
 * ineligible applicant is told why first.
 */
#include "services/issuer/office.h"

#include <stdlib.h>
#include <string.h>

#define TEXT_MAX_CHARS 128
#define JSON_MAX_BYTES 8192
#define PORTRAIT_MAX_DEFAULT 100000

/* Fields of the application itself (eligibility), beside the claims of a card type
 * that has no form. */
static const char *const APP_FIELDS[] = {
    "resident_registration_number", "birth_date", "nationality", "residence_status",
    "country_of_residence", "passport_number", "passport_expiry", "e_passport", NULL,
};

/* Claims only the server sets: the office that took the application. */
static const char *const SERVER_OWNED[] = { "issuing_office", NULL };

static bool in_list(const char *s, const char *const *list)
{
    for (; *list; list++)
        if (!strcmp(s, *list))
            return true;
    return false;
}

/* Code points that must not be in a text: C0/C1 controls, zero-width and directional
 * marks, embeddings, overrides and isolates, the BOM. */
static bool bad_code_point(uint32_t c)
{
    return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x061c || (c >= 0x200b && c <= 0x200f) ||
           (c >= 0x202a && c <= 0x202e) || (c >= 0x2060 && c <= 0x2069) || c == 0xfeff;
}

/* A short, clean text (jansson already guarantees valid UTF-8). */
static bool text_ok(const json_t *v)
{
    const unsigned char *p = (const unsigned char *)json_string_value(v);
    size_t len = json_string_length(v), chars = 0;

    if (!p || len == 0 || strlen((const char *)p) != len) /* an embedded NUL */
        return false;
    for (size_t i = 0; i < len; chars++) {
        uint32_t c = p[i];
        size_t n = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
        if (i + n > len)
            return false;
        if (n > 1)
            c &= 0x3f >> (n - 1);
        for (size_t k = 1; k < n; k++)
            c = (c << 6) | (p[i + k] & 0x3f);
        if (bad_code_point(c))
            return false;
        i += n;
    }
    return chars <= TEXT_MAX_CHARS;
}

static int64_t portrait_max(const issuer_ctx *ctx)
{
    const json_t *v = json_object_get(json_object_get(ctx->cfg.raw, "applications"),
                                      "portrait_max_bytes");
    return json_is_integer(v) && json_integer_value(v) > 0 ? json_integer_value(v)
                                                            : PORTRAIT_MAX_DEFAULT;
}

/* ISO 3166-1 alpha-2, every assigned code in order (from Debian's iso-codes). */
static const char ISO3166_A2[] =
    "ADAEAFAGAIALAMAOAQARASATAUAWAXAZBABBBDBEBFBGBHBIBJBLBMBNBOBQBRBSBTBVBWBYBZCACCCDCFCGCHCICKCLCMCNCOCR"
    "CUCVCWCXCYCZDEDJDKDMDODZECEEEGEHERESETFIFJFKFMFOFRGAGBGDGEGFGGGHGIGLGMGNGPGQGRGSGTGUGWGYHKHMHNHRHTHU"
    "IDIEILIMINIOIQIRISITJEJMJOJPKEKGKHKIKMKNKPKRKWKYKZLALBLCLILKLRLSLTLULVLYMAMCMDMEMFMGMHMKMLMMMNMOMPMQ"
    "MRMSMTMUMVMWMXMYMZNANCNENFNGNINLNONPNRNUNZOMPAPEPFPGPHPKPLPMPNPRPSPTPWPYQARERORSRURWSASBSCSDSESGSHSI"
    "SJSKSLSMSNSOSRSSSTSVSXSYSZTCTDTFTGTHTJTKTLTMTNTOTRTTTVTWTZUAUGUMUSUYUZVAVCVEVGVIVNVUWFWSYEYTZAZMZW";

static const char *const COUNTRY_FIELDS[] = { "nationality", "country_of_residence",
                                              "resident_country", "issuing_country", NULL };

static bool country_ok(const json_t *v)
{
    const char *c = json_string_value(v);

    if (!c || json_string_length(v) != 2)
        return false;
    for (size_t i = 0; i + 1 < sizeof ISO3166_A2; i += 2)
        if (ISO3166_A2[i] == c[0] && ISO3166_A2[i + 1] == c[1])
            return true;
    return false;
}

static mobid_err bad(char *detail, size_t detail_len, const char *why)
{
    mobid_svc_detail(detail, detail_len, why);
    return MOBID_ERR_INVALID_ARG;
}

static mobid_err value_check(const issuer_ctx *ctx, issuer_claim_kind kind, const json_t *v,
                             char *detail, size_t detail_len)
{
    mobid_buf raw = { 0 };
    int64_t days;
    char *js;
    size_t n;
    mobid_err err = MOBID_OK;

    switch (kind) {
    case ISSUER_CLAIM_DATE:
        if (!json_is_string(v) || json_string_length(v) != 10 ||
            mobid_date_parse(mobid_view_str(json_string_value(v)), &days) != MOBID_OK)
            err = bad(detail, detail_len, "a date field is not a YYYY-MM-DD date");
        break;
    case ISSUER_CLAIM_BOOL:
        if (!json_is_boolean(v))
            err = bad(detail, detail_len, "a yes/no field is not true or false");
        break;
    case ISSUER_CLAIM_INT:
        if (!json_is_integer(v) || json_integer_value(v) < -2147483647 ||
            json_integer_value(v) > 2147483647)
            err = bad(detail, detail_len, "a number field is not a small integer");
        break;
    case ISSUER_CLAIM_BYTES:
        if (!json_is_string(v) || json_string_length(v) > (size_t)portrait_max(ctx) * 4 / 3 + 4 ||
            mobid_b64url_decode(mobid_view_str(json_string_value(v)), &raw) != MOBID_OK ||
            raw.len == 0 || raw.len > (size_t)portrait_max(ctx))
            err = bad(detail, detail_len, "the portrait (bytes) must be base64url of at most"
                                          " portrait_max_bytes");
        mobid_buf_free(&raw);
        break;
    case ISSUER_CLAIM_JSON:
        js = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        n = js ? strlen(js) : SIZE_MAX;
        free(js);
        if (n > JSON_MAX_BYTES)
            err = bad(detail, detail_len, "a structured field is too large");
        break;
    case ISSUER_CLAIM_COMPUTED:
        err = bad(detail, detail_len, "computed claims are set by the issuer");
        break;
    default:
        if (!json_is_string(v) || !text_ok(v))
            err = bad(detail, detail_len,
                      "a text field is empty, longer than 128 characters, or holds"
                      " control or bidirectional-override characters");
    }
    return err;
}

static const struct {
    const char *name;
    issuer_claim_kind kind;
} TYPES[] = {
    { "string", ISSUER_CLAIM_STRING }, { "date", ISSUER_CLAIM_DATE },
    { "bool", ISSUER_CLAIM_BOOL },     { "int", ISSUER_CLAIM_INT },
    { "bytes", ISSUER_CLAIM_BYTES },   { "json", ISSUER_CLAIM_JSON },
    { "age_over", ISSUER_CLAIM_COMPUTED },
};

/* The card type's application field named key (its "application" form), or NULL. */
static const json_t *form_field(const issuer_cardtype *ct, const char *key)
{
    size_t i;
    const json_t *f;
    json_array_foreach (ct->form, i, f)
        if (!strcmp(json_string_value(json_object_get(f, "name")) ?: "", key))
            return f;
    return NULL;
}

/* Is key an application field of ct, and of which kind? The card type's form is the
 * schema; a card type without one (built in code) takes its claims plus the fields
 * eligibility reads. */
static bool field_kind(const issuer_cardtype *ct, const char *key, issuer_claim_kind *kind)
{
    const json_t *f = json_array_size(ct->form) ? form_field(ct, key) : NULL;
    const char *type;

    *kind = ISSUER_CLAIM_STRING;
    if (json_array_size(ct->form)) {
        if (!f)
            return false;
        type = json_string_value(json_object_get(f, "type")) ?: "string";
        for (size_t i = 0; i < sizeof TYPES / sizeof TYPES[0]; i++)
            if (!strcmp(type, TYPES[i].name))
                *kind = TYPES[i].kind;
        return true;
    }
    for (size_t i = 0; i < ct->nclaims; i++)
        if (!strcmp(ct->claims[i].name, key)) {
            *kind = ct->claims[i].kind;
            return true;
        }
    if (!strcmp(key, "birth_date") || !strcmp(key, "passport_expiry"))
        *kind = ISSUER_CLAIM_DATE;
    else if (!strcmp(key, "e_passport"))
        *kind = ISSUER_CLAIM_BOOL;
    return in_list(key, APP_FIELDS);
}

/* Every required field is there: the form's required fields, or (without a form) the
 * required claims other than the server's (resident_country comes from
 * country_of_residence). */
static bool required_present(const issuer_cardtype *ct, const json_t *pii)
{
    size_t i;
    const json_t *f;

    if (json_array_size(ct->form)) {
        json_array_foreach (ct->form, i, f) {
            const char *name = json_string_value(json_object_get(f, "name"));
            if (json_is_true(json_object_get(f, "required")) && name &&
                !in_list(name, SERVER_OWNED) && !json_object_get(pii, name))
                return false;
        }
        return true;
    }
    for (i = 0; i < ct->nclaims; i++) {
        const issuer_claim *cl = &ct->claims[i];
        if (!cl->required || cl->kind == ISSUER_CLAIM_COMPUTED ||
            in_list(cl->name, SERVER_OWNED) || json_object_get(pii, cl->name))
            continue;
        if (!strcmp(cl->name, "resident_country") && json_object_get(pii, "country_of_residence"))
            continue;
        return false;
    }
    return true;
}

mobid_err issuer_intake_check(const issuer_ctx *ctx, const issuer_cardtype *ct,
                              const json_t *pii, char *detail, size_t detail_len)
{
    const char *key;
    const json_t *v;

    if (!json_is_object(pii) || json_object_size(pii) > 64) {
        mobid_svc_detail(detail, detail_len, "applicant must be an object");
        return MOBID_ERR_INVALID_ARG;
    }
    json_object_foreach((json_t *)pii, key, v) {
        issuer_claim_kind kind;
        mobid_err err;

        if (in_list(key, SERVER_OWNED)) {
            mobid_svc_detail(detail, detail_len,
                             "issuing_office is set by the issuer, never by the application");
            return MOBID_ERR_INVALID_ARG;
        }
        if (!field_kind(ct, key, &kind)) {
            mobid_svc_detail(detail, detail_len,
                             "the applicant has a field the card type does not define");
            return MOBID_ERR_INVALID_ARG;
        }
        if ((err = value_check(ctx, kind, v, detail, detail_len)) != MOBID_OK)
            return err;
        if (in_list(key, COUNTRY_FIELDS) && !country_ok(v)) {
            mobid_svc_detail(detail, detail_len,
                             "a country must be an ISO 3166-1 alpha-2 code in capitals (KR, US, DE)");
            return MOBID_ERR_INVALID_ARG;
        }
    }
    if (!required_present(ct, pii)) {
        mobid_svc_detail(detail, detail_len, "a required field of the card type is missing");
        return MOBID_ERR_INVALID_ARG;
    }
    return MOBID_OK;
}

/* The 7th digit of a registration number: sex (odd male) and century of birth. */
static bool century_ok(int digit, int year)
{
    switch (digit) {
    case 9: case 0: return year >= 1800 && year < 1900;
    case 1: case 2: case 5: case 6: return year >= 1900 && year < 2000;
    default: return year >= 2000 && year < 2100; /* 3, 4, 7, 8 */
    }
}

mobid_err issuer_intake_consistent(const json_t *pii, char *detail, size_t detail_len)
{
    const char *rrn = json_string_value(json_object_get(pii, "resident_registration_number"));
    const char *birth = json_string_value(json_object_get(pii, "birth_date"));
    const json_t *sex = json_object_get(pii, "sex");
    char digits[16];
    size_t n = 0;

    if (!rrn || !birth || strlen(birth) != 10)
        return MOBID_OK; /* the card type has no registration number; eligibility saw the rest */
    for (const char *p = rrn; *p && n < 14; p++)
        if (*p >= '0' && *p <= '9')
            digits[n++] = *p;
    if (n != 13)
        return MOBID_OK; /* issuer_person_ref refuses the form */
    int digit = digits[6] - '0', year = (birth[0] - '0') * 1000 + (birth[1] - '0') * 100 +
                                         (birth[2] - '0') * 10 + (birth[3] - '0');
    if (memcmp(digits, birth + 2, 2) || memcmp(digits + 2, birth + 5, 2) ||
        memcmp(digits + 4, birth + 8, 2) || !century_ok(digit, year)) {
        mobid_svc_detail(detail, detail_len,
                         "the registration number's date (YYMMDD and century digit) is not birth_date");
        return MOBID_ERR_INVALID_ARG;
    }
    if (json_is_integer(sex) && (json_integer_value(sex) == 1 || json_integer_value(sex) == 2) &&
        (json_integer_value(sex) == 1) != (digit % 2 == 1)) {
        mobid_svc_detail(detail, detail_len,
                         "the registration number's sex digit does not match sex");
        return MOBID_ERR_INVALID_ARG;
    }
    return MOBID_OK;
}
