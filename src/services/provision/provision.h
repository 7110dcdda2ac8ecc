/*
 * Provisioning: the data that decides what the services are set up with. Nothing here
 * is a rule of its own; it reads two files of etc/ (or the copies compiled in from
 * them) and derives what each service needs.
 *
 *   card types   etc/card-types.json: the one definition of every card (doctype, vct,
 *                namespace, claims with their ko/en names and sensitivity, the
 *                application form, eligibility, validity, formats). The issuer issues
 *                from it; the DCQL queries and registrations below come from it.
 *   policy       etc/provisioning.example.json: relying parties with the claims each
 *                is granted, the verifier's named profiles, the portal's profile per
 *                site, the rollout waves of the offices and the staff of an office.
 *
 * A grant or profile names a card type and its claims as "all", "non_sensitive" or
 * a list of claim names; every name is checked against the card type, so a policy
 * cannot ask for a claim that no card carries (MOBID_ERR_NOT_FOUND, with a message
 * on stderr). All json_t results are new references owned by the caller.
 */
#ifndef MOBID_SERVICES_PROVISION_H
#define MOBID_SERVICES_PROVISION_H

#include <stdint.h>
#include <jansson.h>
#include <mobid/base.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Read a JSON file, or parse the copy of the file `builtin` compiled into mobid
 * ("etc/card-types.json", see src/assets/assets.h) when path is NULL. MOBID_ERR_IO
 * (unreadable), MOBID_ERR_MALFORMED (not JSON, or builtin not compiled in), both with
 * a message on stderr. */
MOBID_MUST_CHECK mobid_err prov_json_load(const char *path, const char *builtin, json_t **out);

/* The card types: path NULL = the compiled-in catalogue. The file holds
 * {"card_types":[...]} (or the bare array); *out is the array. */
MOBID_MUST_CHECK mobid_err prov_cardtypes_load(const char *path, json_t **out);
/* Replace a leading "{issuer_url}" in each card type's vct by issuer_url (NULL: no
 * change), as the issuer does with its own identifier. */
MOBID_MUST_CHECK mobid_err prov_cardtypes_bind(json_t *cts, const char *issuer_url);
/* A claim's path in a DCQL query or a registration: [namespace, name] in mso_mdoc,
 * the card type's "sd_jwt" path (default [name]) in dc+sd-jwt. New reference. */
json_t *prov_claim_path(const json_t *ct, const char *name, bool mdoc);
/* The card type with this id in cts (borrowed), or NULL. */
const json_t *prov_cardtype_find(const json_t *cts, const char *id);
/* The claim of card type ct (a card_types entry) with this name (borrowed), or NULL. */
const json_t *prov_claim_find(const json_t *ct, const char *name);
/* The claim names that `sel` ("all", "non_sensitive" or an array of names) selects
 * from card type ct, as a new array. MOBID_ERR_NOT_FOUND for a name ct lacks. */
MOBID_MUST_CHECK mobid_err prov_claims_select(const json_t *ct, const json_t *sel, json_t **out);

/* A DCQL query asking card type `cardtype` in `format` ("mso_mdoc" or "dc+sd-jwt")
 * for the claims `sel` selects. */
MOBID_MUST_CHECK mobid_err prov_dcql(const json_t *cts, const char *cardtype, const char *format,
                                     const json_t *sel, json_t **out);
/* The "allowed" list of a relying party's registration from its grants
 * ([{"cardtype","claims"}]): one entry per card type and format it is issued in. */
MOBID_MUST_CHECK mobid_err prov_allowed(const json_t *cts, const json_t *grants, json_t **out);

/* ---- labels (labels.c): the card type's words for people ---- */

/* The card type whose id, doctype or vct is type (borrowed), or NULL. */
const json_t *prov_cardtype_by_type(const json_t *cts, const char *type);
/* The claim of ct that path names: its name, its SD-JWT path ("address/country"), or
 * an mdoc path "namespace/element" (borrowed), or NULL. */
const json_t *prov_claim_by_path(const json_t *ct, const char *path);
/* The first card type's claim named name in cts; *ct (may be NULL) gets its type. */
const json_t *prov_claim_any(const json_t *cts, const char *name, const json_t **ct);
/* The card type that has the most of the claims in flat (an object of claim name ->
 * value): the one a presentation came from (borrowed), or NULL. */
const json_t *prov_cardtype_for_claims(const json_t *cts, const json_t *flat);
/* "성별 Sex": the claim's ko and en display names (fallback when it has none). */
void prov_claim_label(const json_t *claim, const char *fallback, char *out, size_t n);
/* A value in words: an option's "여 Female", "예 Yes" / "아니요 No", the number or
 * text; "" for other JSON. */
void prov_value_text(const json_t *claim, const json_t *v, char *out, size_t n);
/* The full name from the claims (an object of claim name -> value): the national-
 * script pair (family_name_<x> + given_name_<x>) then the Latin one in brackets,
 * "홍길동 (Gildong Hong)"; as much as there is. */
void prov_person_name(const json_t *flat, char *out, size_t n);

/* The policy: path NULL = the compiled-in etc/provisioning.example.json. */
MOBID_MUST_CHECK mobid_err prov_policy_load(const char *path, json_t **out);
/* The verifier's "profiles" object: every profile of the policy as a DCQL query. */
MOBID_MUST_CHECK mobid_err prov_profiles(const json_t *policy, const json_t *cts, json_t **out);
/* The civil day (days since 1970-01-01) on which rollout wave `wave` opens, for a
 * rollout that starts on `today`: the policy's "rollout"."waves" give each wave
 * "opens_after_days" (relative to today) or "opens": "year_end" (31 December of
 * today's year; "otherwise_after_days" after today when the year ends before the
 * previous wave opens). A wave the policy does not list opens with the last one. */
int64_t prov_wave_day(const json_t *policy, int64_t wave, int64_t today);

#ifdef __cplusplus
}
#endif
#endif
