/* The issuer: IssuerSignedItems, the MobileSecurityObject and issuerAuth. */
#include "mdoc_internal.h"

#include <stdio.h>
#include <string.h>

#define SALT_LEN 32
#define MAX_ELEMENTS 4096
#define DEFAULT_VALIDITY (365 * 86400)

/* One item to sign: where its names and value live, and its encoded bytes. */
typedef struct issue_item {
    const char *ns;
    const char *id;
    mobid_view value;
    uint8_t bool_value[1];   /* storage for computed age_over_NN values */
    char age_id[16];         /* storage for "age_over_NN" */
    uint64_t digest_id;
    size_t off, len;         /* IssuerSignedItemBytes in the shared buffer */
} issue_item;

static mobid_err check_opts(const mobid_mdoc_issue_opts *o)
{
    if (!o || !o->doctype || !o->issuer_key || !o->device_key || !o->chain || !o->n_chain ||
        (!o->elements && o->n_elements))
        return MOBID_ERR_INVALID_ARG;
    if (o->n_elements + o->n_age_over > MAX_ELEMENTS || o->n_age_over > MOBID_MDOC_MAX_AGES)
        return MOBID_ERR_LIMIT;
    if (o->digest_alg && mobid_hash_size(o->digest_alg) == 0)
        return MOBID_ERR_UNSUPPORTED;
    return MOBID_OK;
}

static const char *digest_name(mobid_hash_alg h)
{
    return h == MOBID_HASH_SHA384 ? "SHA-384" : h == MOBID_HASH_SHA512 ? "SHA-512" : "SHA-256";
}

/* Append the age_over_NN items computed from the birth date element. */
static mobid_err add_ages(const mobid_mdoc_issue_opts *o, mobid_time at, issue_item *items,
                          size_t *n)
{
    const char *bns = o->birth_ns ? o->birth_ns : MOBID_MDOC_NS_MDL;
    const char *bid = o->birth_id ? o->birth_id : "birth_date";
    const mobid_mdoc_element *birth = NULL;
    mobid_cbor_item it;
    int64_t days;

    for (size_t i = 0; i < o->n_elements; i++)
        if (!strcmp(o->elements[i].ns, bns) && !strcmp(o->elements[i].id, bid))
            birth = &o->elements[i];
    if (!birth)
        return MOBID_ERR_NOT_FOUND;
    if (mobid_cbor_decode_exact(birth->value, &mdoc_limits, &it) != MOBID_OK ||
        mobid_mdoc_get_full_date(&it, &days) != MOBID_OK)
        return MOBID_ERR_BAD_TIME;
    int64_t age = mobid_age_years(days, at >= 0 ? at / 86400 : (at - 86399) / 86400);
    for (size_t i = 0; i < o->n_age_over; i++) {
        issue_item *x = &items[(*n)++];
        if (o->age_over[i] > 99)
            return MOBID_ERR_INVALID_ARG;
        snprintf(x->age_id, sizeof x->age_id, "age_over_%02u", o->age_over[i]);
        x->ns = o->age_ns ? o->age_ns : MOBID_MDOC_NS_MDL;
        x->id = x->age_id;
        x->bool_value[0] = age >= (int64_t)o->age_over[i] ? 0xf5 : 0xf4;
        x->value = mobid_view_make(x->bool_value, 1);
    }
    return MOBID_OK;
}

/* Digest IDs are a random permutation of 0..n-1, so an ID says nothing about
 * where an element sits in the card. */
static mobid_err shuffle_ids(issue_item *items, size_t n)
{
    for (size_t i = 0; i < n; i++)
        items[i].digest_id = i;
    for (size_t i = n; i > 1; i--) {
        uint32_t r;
        mobid_err err = mobid_random((uint8_t *)&r, sizeof r);
        if (err != MOBID_OK)
            return err;
        size_t j = r % i; /* bias below 2^-20 for any card size we allow */
        uint64_t t = items[i - 1].digest_id;
        items[i - 1].digest_id = items[j].digest_id;
        items[j].digest_id = t;
    }
    return MOBID_OK;
}

/* Encode every IssuerSignedItemBytes (#6.24(bstr .cbor IssuerSignedItem)). */
static mobid_err encode_items(issue_item *items, size_t n, mobid_buf *all)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t salt[SALT_LEN];
        mobid_cbor_enc e;
        mobid_err err = mobid_random(salt, sizeof salt);
        if (err != MOBID_OK)
            return err;
        items[i].off = all->len;
        mobid_cbor_enc_init(&e, all);
        mobid_cbor_put_tag(&e, 24);
        mobid_cbor_bstr_begin(&e);
        mobid_cbor_put_map_head(&e, 4); /* the member order of the standard's examples */
        mobid_cbor_put_cstr(&e, "digestID");
        mobid_cbor_put_uint(&e, items[i].digest_id);
        mobid_cbor_put_cstr(&e, "random");
        mobid_cbor_put_bytes(&e, mobid_view_make(salt, sizeof salt));
        mobid_cbor_put_cstr(&e, "elementIdentifier");
        mobid_cbor_put_cstr(&e, items[i].id);
        mobid_cbor_put_cstr(&e, "elementValue");
        mobid_cbor_put_raw(&e, items[i].value);
        mobid_cbor_bstr_end(&e);
        err = mobid_cbor_enc_finish(&e);
        if (err != MOBID_OK)
            return err;
        items[i].len = all->len - items[i].off;
    }
    return MOBID_OK;
}

static bool seen_ns_before(const issue_item *items, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (!strcmp(items[j].ns, items[i].ns))
            return true;
    return false;
}

/* valueDigests: {ns: {digestID: digest}}. */
static void put_value_digests(mobid_cbor_enc *e, const issue_item *items, size_t n,
                              const mobid_buf *all, mobid_hash_alg h)
{
    mobid_cbor_map_begin(e);
    for (size_t i = 0; i < n; i++) {
        if (seen_ns_before(items, i))
            continue;
        mobid_cbor_put_cstr(e, items[i].ns);
        mobid_cbor_map_begin(e);
        for (size_t j = i; j < n; j++) {
            uint8_t d[MOBID_HASH_MAX];
            if (strcmp(items[j].ns, items[i].ns))
                continue;
            if (mobid_hash(h, mobid_view_make(all->ptr + items[j].off, items[j].len), d) !=
                    MOBID_OK &&
                e->err == MOBID_OK)
                e->err = MOBID_ERR_CRYPTO;
            mobid_cbor_put_uint(e, items[j].digest_id);
            mobid_cbor_put_bytes(e, mobid_view_make(d, mobid_hash_size(h)));
        }
        mobid_cbor_map_end(e);
    }
    mobid_cbor_map_end(e);
}

static void put_tdate(mobid_cbor_enc *e, const char *key, mobid_time t)
{
    char s[21];
    if (mobid_time_format_rfc3339(t, s) != MOBID_OK && e->err == MOBID_OK)
        e->err = MOBID_ERR_BAD_TIME;
    mobid_cbor_put_cstr(e, key);
    mobid_cbor_put_tag(e, 0);
    mobid_cbor_put_cstr(e, s);
}

/* MobileSecurityObjectBytes = #6.24(bstr .cbor MobileSecurityObject). */
static mobid_err encode_mso(const mobid_mdoc_issue_opts *o, const issue_item *items, size_t n,
                            const mobid_buf *all, mobid_time times[3], mobid_buf *out)
{
    mobid_hash_alg h = o->digest_alg ? o->digest_alg : MOBID_HASH_SHA256;
    mobid_cbor_enc e;
    mobid_cbor_enc_init(&e, out);
    mobid_cbor_put_tag(&e, 24);
    mobid_cbor_bstr_begin(&e);
    mobid_cbor_map_begin(&e);
    mobid_cbor_put_cstr(&e, "version");
    mobid_cbor_put_cstr(&e, "1.0");
    mobid_cbor_put_cstr(&e, "digestAlgorithm");
    mobid_cbor_put_cstr(&e, digest_name(h));
    mobid_cbor_put_cstr(&e, "valueDigests");
    put_value_digests(&e, items, n, all, h);
    mobid_cbor_put_cstr(&e, "deviceKeyInfo");
    mobid_cbor_map_begin(&e);
    mobid_cbor_put_cstr(&e, "deviceKey");
    if (mobid_cose_key_encode(o->device_key, false, &e) != MOBID_OK && e.err == MOBID_OK)
        e.err = MOBID_ERR_KEY_INVALID;
    mobid_cbor_map_end(&e);
    mobid_cbor_put_cstr(&e, "docType");
    mobid_cbor_put_cstr(&e, o->doctype);
    mobid_cbor_put_cstr(&e, "validityInfo");
    mobid_cbor_map_begin(&e);
    put_tdate(&e, "signed", times[0]);
    put_tdate(&e, "validFrom", times[1]);
    put_tdate(&e, "validUntil", times[2]);
    mobid_cbor_map_end(&e);
    if (o->status_uri) {
        mobid_cbor_put_cstr(&e, "status");
        mobid_cbor_map_begin(&e);
        mobid_cbor_put_cstr(&e, "status_list");
        mobid_cbor_map_begin(&e);
        mobid_cbor_put_cstr(&e, "idx");
        mobid_cbor_put_uint(&e, o->status_idx);
        mobid_cbor_put_cstr(&e, "uri");
        mobid_cbor_put_cstr(&e, o->status_uri);
        mobid_cbor_map_end(&e);
        mobid_cbor_map_end(&e);
    }
    mobid_cbor_map_end(&e);
    mobid_cbor_bstr_end(&e);
    return mobid_cbor_enc_finish(&e);
}

static mobid_err sign_mso(const mobid_mdoc_issue_opts *o, mobid_view mso, mobid_buf *out)
{
    mobid_view ders[MOBID_COSE_MAX_X5CHAIN];
    mobid_cose_sign1_params p;
    if (o->n_chain > MOBID_COSE_MAX_X5CHAIN)
        return MOBID_ERR_LIMIT;
    for (size_t i = 0; i < o->n_chain; i++)
        ders[i] = mobid_cert_der(o->chain[i]);
    memset(&p, 0, sizeof p);
    p.alg = o->alg;
    if (!p.alg) {
        mobid_curve c = mobid_key_curve(o->issuer_key);
        p.alg = c == MOBID_CURVE_P384   ? MOBID_ALG_ES384
                : c == MOBID_CURVE_P521 ? MOBID_ALG_ES512
                : c == MOBID_CURVE_ED25519 ? MOBID_ALG_EDDSA
                                           : MOBID_ALG_ES256;
    }
    p.x5chain = ders;
    p.x5chain_count = o->n_chain;
    return mobid_cose_sign1_create(o->issuer_key, &p, mso, out);
}

/* IssuerSigned = {nameSpaces: {ns: [IssuerSignedItemBytes]}, issuerAuth}. */
static mobid_err encode_issuer_signed(const issue_item *items, size_t n, const mobid_buf *all,
                                      mobid_view issuer_auth, mobid_buf *out)
{
    mobid_cbor_enc e;
    mobid_cbor_enc_init(&e, out);
    mobid_cbor_map_begin(&e);
    mobid_cbor_put_cstr(&e, "nameSpaces");
    mobid_cbor_map_begin(&e);
    for (size_t i = 0; i < n; i++) {
        if (seen_ns_before(items, i))
            continue;
        mobid_cbor_put_cstr(&e, items[i].ns);
        mobid_cbor_array_begin(&e);
        for (size_t j = i; j < n; j++)
            if (!strcmp(items[j].ns, items[i].ns))
                mobid_cbor_put_raw(&e, mobid_view_make(all->ptr + items[j].off, items[j].len));
        mobid_cbor_array_end(&e);
    }
    mobid_cbor_map_end(&e);
    mobid_cbor_put_cstr(&e, "issuerAuth");
    mobid_cbor_put_raw(&e, issuer_auth);
    mobid_cbor_map_end(&e);
    return mobid_cbor_enc_finish(&e);
}

static bool has_duplicates(const issue_item *items, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++)
            if (!strcmp(items[i].ns, items[j].ns) && !strcmp(items[i].id, items[j].id))
                return true;
    return false;
}

static mobid_err collect_items(const mobid_mdoc_issue_opts *o, mobid_time at, issue_item *items,
                               size_t *n)
{
    mobid_cbor_item it;
    *n = 0;
    for (size_t i = 0; i < o->n_elements; i++) {
        const mobid_mdoc_element *el = &o->elements[i];
        if (!el->ns || !el->id || mobid_cbor_decode_exact(el->value, &mdoc_limits, &it) != MOBID_OK)
            return MOBID_ERR_INVALID_ARG;
        items[*n].ns = el->ns;
        items[*n].id = el->id;
        items[*n].value = el->value;
        (*n)++;
    }
    if (o->n_age_over) {
        mobid_err err = add_ages(o, at, items, n);
        if (err != MOBID_OK)
            return err;
    }
    return has_duplicates(items, *n) ? MOBID_ERR_INVALID_ARG : MOBID_OK;
}

mobid_err mobid_mdoc_issue(const mobid_mdoc_issue_opts *o, mobid_buf *out)
{
    issue_item *items = NULL;
    mobid_buf all, mso, auth;
    mobid_time times[3];
    size_t n = 0;
    mobid_err err = check_opts(o);

    mobid_buf_init(&all, 0);
    mobid_buf_init(&mso, 0);
    mobid_buf_init(&auth, 0);
    if (err != MOBID_OK)
        goto done;
    times[0] = o->signed_at ? o->signed_at : mobid_now();
    times[1] = o->valid_from ? o->valid_from : times[0];
    times[2] = o->valid_until ? o->valid_until : times[1] + DEFAULT_VALIDITY;
    if (times[2] <= times[1]) {
        err = MOBID_ERR_INVALID_ARG;
        goto done;
    }
    items = mobid_calloc(o->n_elements + o->n_age_over + 1, sizeof *items);
    err = items ? collect_items(o, times[0], items, &n) : MOBID_ERR_NOMEM;
    if (err == MOBID_OK)
        err = shuffle_ids(items, n);
    if (err == MOBID_OK)
        err = encode_items(items, n, &all);
    if (err == MOBID_OK)
        err = encode_mso(o, items, n, &all, times, &mso);
    if (err == MOBID_OK)
        err = sign_mso(o, mobid_buf_view(&mso), &auth);
    if (err == MOBID_OK)
        err = encode_issuer_signed(items, n, &all, mobid_buf_view(&auth), out);
done:
    mobid_free(items);
    mobid_buf_free(&all);
    mobid_buf_free(&mso);
    mobid_buf_free(&auth);
    return err;
}
