/*
 * VICAL parsing (18013-5 2nd edition Annex C) over the CBOR cursor: the
 * envelope, the list's members and each certificateInfo, as views into the
 * input. Lenient where published lists differ from the text (key case, a
 * DER-wrapped SKI, a plain-text or epoch date), strict on the members a
 * verifier relies on (certificate, docType, date).
 */
#include "trust_internal.h"

#include <string.h>
#include <strings.h>

static const mobid_cbor_limits vical_limits = { .max_depth = 16,
                                                .max_items = 1000000,
                                                .max_string = MOBID_VICAL_MAX_INPUT };

/* Case-insensitive match of a text key (AAMVA: "Extensions", "CertificateProfile"). */
static bool key_is(mobid_view k, const char *name)
{
    size_t n = strlen(name);
    return k.len == n && strncasecmp((const char *)k.ptr, name, n) == 0;
}

/* Look up the members named in keys[] in one pass; found[i].type stays 0xff
 * when absent. A repeated known key makes the map invalid. */
#define ABSENT ((mobid_cbor_type)0xff)
static mobid_err map_members(const mobid_cbor_item *map, const char *const *keys, size_t n,
                             mobid_cbor_item *found)
{
    mobid_cbor_iter it;
    mobid_cbor_item k, v;
    mobid_view kt;
    if (map->type != MOBID_CBOR_MAP)
        return MOBID_ERR_VICAL_INVALID;
    for (size_t i = 0; i < n; i++)
        found[i].type = ABSENT;
    mobid_cbor_iter_init(&it, map);
    while (mobid_cbor_iter_next(&it, &k) == MOBID_OK && mobid_cbor_iter_next(&it, &v) == MOBID_OK) {
        if (mobid_cbor_get_text(&k, &kt) != MOBID_OK)
            continue; /* no member we know has a non-text key */
        for (size_t i = 0; i < n; i++)
            if (key_is(kt, keys[i])) {
                if (found[i].type != ABSENT)
                    return MOBID_ERR_VICAL_INVALID;
                found[i] = v;
            }
    }
    return MOBID_OK;
}

/* tdate (tag 0 text), also tag 1 epoch and untagged text as lists write them. */
mobid_err trust_get_time(const mobid_cbor_item *it, mobid_time *out)
{
    mobid_cbor_item inner = *it;
    mobid_view s;
    int64_t n;
    if (it->type == MOBID_CBOR_TAG && mobid_cbor_tag_content(it, &inner) != MOBID_OK)
        return MOBID_ERR_VICAL_INVALID;
    if (it->type == MOBID_CBOR_TAG && it->arg == 1 && mobid_cbor_get_int64(&inner, &n) == MOBID_OK) {
        *out = n;
        return MOBID_OK;
    }
    if ((it->type == MOBID_CBOR_TAG && it->arg != 0) || mobid_cbor_get_text(&inner, &s) != MOBID_OK)
        return MOBID_ERR_VICAL_INVALID;
    return mobid_time_parse_rfc3339(s, out, NULL) == MOBID_OK ? MOBID_OK
                                                              : MOBID_ERR_VICAL_INVALID;
}

/* An optional text member: empty when absent, invalid when not text. */
static mobid_err opt_text(const mobid_cbor_item *it, mobid_view *out)
{
    *out = mobid_view_make(NULL, 0);
    if (it->type == ABSENT)
        return MOBID_OK;
    return mobid_cbor_get_text(it, out) == MOBID_OK ? MOBID_OK : MOBID_ERR_VICAL_INVALID;
}

/* An SKI given as the extension's DER (04 len keyid) instead of the key id. */
static mobid_view unwrap_ski(mobid_view v)
{
    for (int i = 0; i < 2 && v.len >= 2 && v.ptr[0] == 0x04 && v.ptr[1] == v.len - 2 &&
                    v.ptr[1] < 0x80;
         i++)
        v = mobid_view_make(v.ptr + 2, v.len - 2);
    return v;
}

/* serialNumber: biguint (tag 2 over bytes) or a plain uint, as magnitude bytes. */
static mobid_err get_serial(const mobid_cbor_item *it, mobid_vical_entry *e)
{
    mobid_cbor_item inner;
    if (it->type == MOBID_CBOR_TAG && it->arg == 2 && mobid_cbor_tag_content(it, &inner) == MOBID_OK)
        return mobid_cbor_get_bytes(&inner, &e->serial) == MOBID_OK ? MOBID_OK
                                                                    : MOBID_ERR_VICAL_INVALID;
    if (it->type == MOBID_CBOR_UINT) {
        for (int i = 0; i < 8; i++)
            e->serial_uint_[i] = (uint8_t)(it->arg >> (56 - 8 * i));
        e->serial = mobid_view_make(e->serial_uint_, 8);
        return MOBID_OK;
    }
    return it->type == ABSENT ? MOBID_OK : MOBID_ERR_VICAL_INVALID;
}

static mobid_err get_doctypes(const mobid_cbor_item *arr, mobid_vical_entry *e)
{
    mobid_cbor_iter it;
    mobid_cbor_item d;
    if (arr->type != MOBID_CBOR_ARRAY || arr->arg == 0 || arr->arg > MOBID_VICAL_MAX_DOCTYPES)
        return MOBID_ERR_VICAL_INVALID;
    mobid_cbor_iter_init(&it, arr);
    while (mobid_cbor_iter_next(&it, &d) == MOBID_OK)
        if (mobid_cbor_get_text(&d, &e->doctypes[e->n_doctypes++]) != MOBID_OK)
            return MOBID_ERR_VICAL_INVALID;
    return MOBID_OK;
}

enum { E_CERT, E_SERIAL, E_SKI, E_DOCTYPE, E_AUTHORITY, E_COUNTRY, E_STATE, E_NB, E_NA, E_N };

static mobid_err parse_entry(const mobid_cbor_item *map, mobid_vical_entry *e)
{
    static const char *const keys[E_N] = { "certificate",      "serialNumber",    "ski",
                                           "docType",          "issuingAuthority", "issuingCountry",
                                           "stateOrProvinceName", "notBefore",     "notAfter" };
    mobid_cbor_item f[E_N];
    mobid_err err = map_members(map, keys, E_N, f);
    if (err != MOBID_OK)
        return err;
    if (f[E_CERT].type == ABSENT || mobid_cbor_get_bytes(&f[E_CERT], &e->certificate) != MOBID_OK ||
        f[E_DOCTYPE].type == ABSENT || get_doctypes(&f[E_DOCTYPE], e) != MOBID_OK ||
        get_serial(&f[E_SERIAL], e) != MOBID_OK)
        return MOBID_ERR_VICAL_INVALID;
    if (f[E_SKI].type != ABSENT) {
        if (mobid_cbor_get_bytes(&f[E_SKI], &e->ski) != MOBID_OK)
            return MOBID_ERR_VICAL_INVALID;
        e->ski = unwrap_ski(e->ski);
    }
    if ((err = opt_text(&f[E_AUTHORITY], &e->issuing_authority)) != MOBID_OK ||
        (err = opt_text(&f[E_COUNTRY], &e->issuing_country)) != MOBID_OK ||
        (err = opt_text(&f[E_STATE], &e->state_or_province)) != MOBID_OK)
        return err;
    if ((f[E_NB].type != ABSENT && trust_get_time(&f[E_NB], &e->not_before) != MOBID_OK) ||
        (f[E_NA].type != ABSENT && trust_get_time(&f[E_NA], &e->not_after) != MOBID_OK))
        return MOBID_ERR_VICAL_INVALID;
    e->problem = trust_entry_check(e);
    return MOBID_OK;
}

static mobid_err parse_entries(const mobid_cbor_item *arr, mobid_vical *v)
{
    mobid_cbor_iter it;
    mobid_cbor_item m;
    if (arr->type != MOBID_CBOR_ARRAY)
        return MOBID_ERR_VICAL_INVALID;
    if (arr->arg > MOBID_VICAL_MAX_ENTRIES)
        return MOBID_ERR_TOO_BIG;
    v->entries = mobid_calloc((size_t)arr->arg + 1, sizeof *v->entries);
    if (!v->entries)
        return MOBID_ERR_NOMEM;
    mobid_cbor_iter_init(&it, arr);
    while (mobid_cbor_iter_next(&it, &m) == MOBID_OK) {
        mobid_err err = parse_entry(&m, &v->entries[v->n_entries]);
        v->n_entries++; /* counted even on failure, so clear frees its certificate */
        if (err != MOBID_OK)
            return err;
    }
    return MOBID_OK;
}

enum { V_VERSION, V_PROVIDER, V_DATE, V_ISSUE_ID, V_NEXT, V_INFOS, V_N };

static mobid_err parse_payload(mobid_vical *v)
{
    static const char *const keys[V_N] = { "version",      "vicalProvider", "date",
                                           "vicalIssueID", "nextUpdate",    "certificateInfos" };
    mobid_cbor_item top, f[V_N];
    mobid_err err = mobid_cbor_decode_exact(v->sign1.payload, &vical_limits, &top);
    if (err != MOBID_OK)
        return err == MOBID_ERR_TOO_BIG ? err : MOBID_ERR_VICAL_INVALID;
    if ((err = map_members(&top, keys, V_N, f)) != MOBID_OK)
        return err;
    if (f[V_VERSION].type == ABSENT || mobid_cbor_get_text(&f[V_VERSION], &v->version) ||
        f[V_PROVIDER].type == ABSENT || mobid_cbor_get_text(&f[V_PROVIDER], &v->provider) ||
        f[V_DATE].type == ABSENT || trust_get_time(&f[V_DATE], &v->date) ||
        f[V_INFOS].type == ABSENT)
        return MOBID_ERR_VICAL_INVALID;
    if ((v->has_next_update = f[V_NEXT].type != ABSENT) &&
        trust_get_time(&f[V_NEXT], &v->next_update) != MOBID_OK)
        return MOBID_ERR_VICAL_INVALID;
    if ((v->has_issue_id = f[V_ISSUE_ID].type != ABSENT) &&
        mobid_cbor_get_uint64(&f[V_ISSUE_ID], &v->issue_id) != MOBID_OK)
        return MOBID_ERR_VICAL_INVALID;
    return parse_entries(&f[V_INFOS], v);
}

mobid_err mobid_vical_parse(mobid_view in, mobid_vical *out)
{
    if (!out)
        return MOBID_ERR_INVALID_ARG;
    memset(out, 0, sizeof *out);
    if (in.len > MOBID_VICAL_MAX_INPUT)
        return MOBID_ERR_TOO_BIG;
    mobid_err err = mobid_cose_sign1_parse(in, &out->sign1);
    if (err == MOBID_OK && out->sign1.detached)
        err = MOBID_ERR_VICAL_INVALID;
    if (err == MOBID_OK)
        err = parse_payload(out);
    else if (err != MOBID_ERR_TOO_BIG)
        err = MOBID_ERR_VICAL_INVALID;
    return err;
}

void mobid_vical_clear(mobid_vical *v)
{
    if (!v)
        return;
    for (size_t i = 0; i < v->n_entries; i++)
        mobid_cert_free(v->entries[i].cert);
    mobid_free(v->entries);
    memset(v, 0, sizeof *v);
}
