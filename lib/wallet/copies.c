/*
 * Which copies of a card can still be shown. A copy is single-use, and it also ends:
 * the issuer cuts each copy's validity at its document signer's end, which can come
 * long before the card's own. A copy past its validUntil / exp is worth nothing, so
 * it counts as used up, is never shown, and a refresh replaces it while the card is
 * still valid. A copy in the last part of its life (under a day, or under half its
 * lifetime when it was short from the start) is due: a refresh replaces it before it
 * ends, but it is still shown while it lasts.
 */
#include <string.h>

#include <mobid/jose.h>
#include <mobid/mdoc.h>
#include "wallet_internal.h"

#define DUE_AHEAD_S 86400 /* replace copies that end within a day */

/* The copy's validity [from, until] as its issuer signed it (0 when unreadable). */
static void read_validity(const char *fmt, const char *cred, mobid_time *from, mobid_time *until)
{
    mobid_buf is;
    mobid_mdoc_doc d = { 0 };
    mobid_jws jws = { 0 };
    json_t *p = NULL;
    const char *tilde = cred ? strchr(cred, '~') : NULL;

    *from = *until = 0;
    mobid_buf_init(&is, MOBID_MDOC_MAX_INPUT);
    if (!cred)
        goto done;
    if (fmt && !strcmp(fmt, "mso_mdoc")) {
        if (mobid_b64url_decode(mobid_view_str(cred), &is) == MOBID_OK &&
            mobid_mdoc_issuer_signed_read(mobid_buf_view(&is), &d) == MOBID_OK) {
            *from = d.valid_from ? d.valid_from : d.signed_at;
            *until = d.valid_until;
        }
    } else if (mobid_jws_parse(mobid_view_make((const uint8_t *)cred,
                                               tilde ? (size_t)(tilde - cred) : strlen(cred)),
                               &jws) == MOBID_OK &&
               mobid_json_parse(mobid_buf_view(&jws.payload), 0, &p) == MOBID_OK) {
        *from = json_integer_value(json_object_get(p, "iat"));
        *until = json_integer_value(json_object_get(p, "exp"));
    }
done:
    json_decref(p);
    mobid_jws_clear(&jws);
    mobid_mdoc_doc_free(&d);
    mobid_buf_free(&is);
}

/* "from"/"until" of a copy, read once from the credential and kept on the item. */
static mobid_time until_of(const json_t *entry, json_t *it, mobid_time *from)
{
    mobid_time f, u;

    if (!json_is_integer(json_object_get(it, "until"))) {
        read_validity(json_string_value(json_object_get(entry, "format")),
                      json_string_value(json_object_get(it, "c")), &f, &u);
        json_object_set_new(it, "from", json_integer(f));
        json_object_set_new(it, "until", json_integer(u));
    }
    *from = json_integer_value(json_object_get(it, "from"));
    return json_integer_value(json_object_get(it, "until"));
}

void wl_copy_note_validity(const json_t *entry, json_t *it)
{
    mobid_time from;
    (void)until_of(entry, it, &from);
}

bool wl_copy_usable(const json_t *entry, json_t *it, mobid_time now)
{
    mobid_time from, until;

    if (json_is_true(json_object_get(it, "used")))
        return false;
    until = until_of(entry, it, &from);
    return until == 0 || now < until;
}

/* Usable and not yet due for replacement. */
static bool lasting(const json_t *entry, json_t *it, mobid_time now)
{
    mobid_time from, until, ahead;

    if (!wl_copy_usable(entry, it, now))
        return false;
    until = until_of(entry, it, &from);
    ahead = until > from && (until - from) / 2 < DUE_AHEAD_S ? (until - from) / 2 : DUE_AHEAD_S;
    return until == 0 || until - now > ahead;
}

unsigned wl_copies_usable(const json_t *entry, mobid_time now, bool lasting_only)
{
    unsigned n = 0;
    size_t i;
    json_t *it;

    json_array_foreach(json_object_get(entry, "items"), i, it)
        n += lasting_only ? lasting(entry, it, now) : wl_copy_usable(entry, it, now);
    return n;
}

void wl_copies_drop_spent(json_t *entry, mobid_time now)
{
    json_t *items = json_object_get(entry, "items");

    for (size_t i = json_array_size(items); i-- > 0;)
        if (!lasting(entry, json_array_get(items, i), now))
            json_array_remove(items, i);
}

/* The card's final day in claims: SD-JWT VC at the top, mdoc in a namespace. */
static const char *final_day(const json_t *claims)
{
    const char *k, *end = json_string_value(json_object_get(claims, "expiry_date"))
                              ?: json_string_value(json_object_get(claims, "date_of_expiry"));
    const json_t *ns;

    json_object_foreach((json_t *)claims, k, ns)
        if (!end && json_is_object(ns))
            end = json_string_value(json_object_get(ns, "expiry_date"));
    return end;
}

bool wl_card_ended(const json_t *entry, mobid_time now)
{
    const char *end = final_day(json_object_get(entry, "claims"));
    int64_t day;

    /* valid through the last second of its final day; the issuer has the last word */
    return end && mobid_date_parse(mobid_view_str(end), &day) == MOBID_OK &&
           now >= (day + 1) * 86400;
}
