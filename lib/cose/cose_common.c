/*
 * COSE pieces shared by COSE_Sign1 and COSE_Mac0: algorithm ids, the header
 * rules of RFC 9052 §3, message splitting and the ToBeSigned / ToBeMaced bytes.
 */
#include "cose/cose_internal.h"

#include <string.h>

static const struct {
    mobid_alg alg;
    int64_t id;
    const char *name;
} alg_table[] = {
    { MOBID_ALG_ES256, MOBID_COSE_ALG_ES256, "ES256" },
    { MOBID_ALG_ES384, MOBID_COSE_ALG_ES384, "ES384" },
    { MOBID_ALG_ES512, MOBID_COSE_ALG_ES512, "ES512" },
    { MOBID_ALG_EDDSA, MOBID_COSE_ALG_EDDSA, "EdDSA" },
};

const mobid_alg mobid_cose_algs_all[] = { MOBID_ALG_ES256, MOBID_ALG_ES384, MOBID_ALG_ES512,
                                          MOBID_ALG_EDDSA, MOBID_ALG_NONE };

int64_t mobid_cose_alg_id(mobid_alg alg)
{
    for (size_t i = 0; i < sizeof alg_table / sizeof alg_table[0]; i++)
        if (alg_table[i].alg == alg)
            return alg_table[i].id;
    return 0;
}

mobid_alg mobid_cose_alg_from_id(int64_t id)
{
    for (size_t i = 0; i < sizeof alg_table / sizeof alg_table[0]; i++)
        if (alg_table[i].id == id)
            return alg_table[i].alg;
    return MOBID_ALG_NONE;
}

const char *mobid_cose_alg_name(mobid_alg alg)
{
    for (size_t i = 0; i < sizeof alg_table / sizeof alg_table[0]; i++)
        if (alg_table[i].alg == alg)
            return alg_table[i].name;
    return "none";
}

/* ---------------------------------------------------------------- labels */

/* A header label: an integer, or a text string (kept as a view). */
typedef struct cose_label {
    bool is_text;
    int64_t num;
    mobid_view text;
} cose_label;

static mobid_err label_read(const mobid_cbor_item *it, cose_label *out)
{
    memset(out, 0, sizeof *out);
    if (it->type == MOBID_CBOR_TEXT) {
        out->is_text = true;
        return mobid_cbor_get_text(it, &out->text);
    }
    if (it->type == MOBID_CBOR_UINT || it->type == MOBID_CBOR_NEGINT)
        return mobid_cbor_get_int64(it, &out->num);
    return MOBID_ERR_MALFORMED;
}

static bool label_eq(const cose_label *a, const cose_label *b)
{
    if (a->is_text != b->is_text)
        return false;
    return a->is_text ? mobid_view_eq(a->text, b->text) : a->num == b->num;
}

/* Integer labels whose meaning this library knows, so `crit` may list them. */
static bool label_understood(const cose_label *l)
{
    if (l->is_text)
        return false;
    switch (l->num) {
    case MOBID_COSE_HDR_ALG:
    case MOBID_COSE_HDR_CRIT:
    case MOBID_COSE_HDR_CONTENT_TYPE:
    case MOBID_COSE_HDR_KID:
    case MOBID_COSE_HDR_TYP:
    case MOBID_COSE_HDR_X5CHAIN:
        return true;
    default:
        return false;
    }
}

/* Read every label of a bucket into labels[], rejecting duplicates. */
static mobid_err bucket_labels(const mobid_cbor_item *map, cose_label *labels, size_t *n)
{
    if (map->type != MOBID_CBOR_MAP)
        return MOBID_ERR_MALFORMED;
    if (map->arg > COSE_MAX_LABELS)
        return MOBID_ERR_TOO_BIG;
    mobid_cbor_iter it;
    mobid_cbor_item key, val;
    mobid_err err = MOBID_OK;
    *n = 0;
    mobid_cbor_iter_init(&it, map);
    while (mobid_cbor_iter_next(&it, &key) == MOBID_OK) {
        if (*n == COSE_MAX_LABELS)
            return MOBID_ERR_TOO_BIG;
        if (mobid_cbor_iter_next(&it, &val) != MOBID_OK)
            return MOBID_ERR_MALFORMED;
        err = label_read(&key, &labels[*n]);
        if (err != MOBID_OK)
            return MOBID_ERR_MALFORMED;
        for (size_t j = 0; j < *n; j++)
            if (label_eq(&labels[j], &labels[*n]))
                return MOBID_ERR_MALFORMED;
        (*n)++;
    }
    return MOBID_OK;
}

/* Value of an integer label in a bucket; NOT_FOUND when absent. */
static mobid_err bucket_get(const mobid_cbor_item *map, int64_t label, mobid_cbor_item *out)
{
    return mobid_cbor_map_get_int(map, label, out);
}

/* crit: protected only, a non-empty array of labels that are present in the
 * protected bucket; each must be one this library understands. */
static mobid_err check_crit(const cose_headers *h, const cose_label *prot, size_t n_prot)
{
    mobid_cbor_item crit, el;
    if (bucket_get(&h->unprot, MOBID_COSE_HDR_CRIT, &crit) == MOBID_OK)
        return MOBID_ERR_MALFORMED;
    if (bucket_get(&h->prot, MOBID_COSE_HDR_CRIT, &crit) != MOBID_OK)
        return MOBID_OK;
    if (crit.type != MOBID_CBOR_ARRAY || crit.arg == 0 || crit.arg > COSE_MAX_LABELS)
        return MOBID_ERR_MALFORMED;
    mobid_cbor_iter it;
    mobid_cbor_iter_init(&it, &crit);
    while (mobid_cbor_iter_next(&it, &el) == MOBID_OK) {
        cose_label l;
        if (label_read(&el, &l) != MOBID_OK)
            return MOBID_ERR_MALFORMED;
        bool present = false;
        for (size_t i = 0; i < n_prot; i++)
            present = present || label_eq(&prot[i], &l);
        if (!present)
            return MOBID_ERR_MALFORMED;
        if (!label_understood(&l))
            return MOBID_ERR_CRITICAL_HEADER;
    }
    return MOBID_OK;
}

/* x5chain (RFC 9360): one bstr, or an array of one or more bstr. */
static mobid_err read_x5chain(const mobid_cbor_item *v, cose_headers *h)
{
    if (v->type == MOBID_CBOR_BYTES) {
        h->x5chain_count = 1;
        return mobid_cbor_get_bytes(v, &h->x5chain[0]) == MOBID_OK ? MOBID_OK
                                                                    : MOBID_ERR_MALFORMED;
    }
    if (v->type != MOBID_CBOR_ARRAY || v->arg == 0)
        return MOBID_ERR_MALFORMED;
    if (v->arg > MOBID_COSE_MAX_X5CHAIN)
        return MOBID_ERR_LIMIT;
    mobid_cbor_iter it;
    mobid_cbor_item c;
    mobid_cbor_iter_init(&it, v);
    while (mobid_cbor_iter_next(&it, &c) == MOBID_OK) {
        if (h->x5chain_count == MOBID_COSE_MAX_X5CHAIN)
            return MOBID_ERR_LIMIT;
        if (c.type != MOBID_CBOR_BYTES ||
            mobid_cbor_get_bytes(&c, &h->x5chain[h->x5chain_count]) != MOBID_OK)
            return MOBID_ERR_MALFORMED;
        h->x5chain_count++;
    }
    return MOBID_OK;
}

static bool is_nil(const mobid_cbor_item *v)
{
    return v->type == MOBID_CBOR_SIMPLE &&
           (v->arg == MOBID_CBOR_NULL || v->arg == MOBID_CBOR_UNDEFINED);
}

/* alg (protected only), kid and x5chain (either bucket). */
static mobid_err read_known(cose_headers *h)
{
    mobid_cbor_item v;
    mobid_err err = MOBID_OK;
    if (bucket_get(&h->unprot, MOBID_COSE_HDR_ALG, &v) == MOBID_OK)
        return MOBID_ERR_MALFORMED;
    if (bucket_get(&h->prot, MOBID_COSE_HDR_ALG, &v) == MOBID_OK) {
        h->has_alg = true;
        if (v.type == MOBID_CBOR_UINT || v.type == MOBID_CBOR_NEGINT) {
            if (mobid_cbor_get_int64(&v, &h->alg_id) != MOBID_OK)
                h->alg_id = 0; /* out of int64 range: unknown */
        } else if (v.type != MOBID_CBOR_TEXT) {
            return MOBID_ERR_MALFORMED;
        }
    }
    /* kid must be a bstr; a nil or undefined kid (which @auth0/mdl writes as
     * {4: undefined}) names no key and is read as absent. */
    if (bucket_get(&h->prot, MOBID_COSE_HDR_KID, &v) == MOBID_OK ||
        bucket_get(&h->unprot, MOBID_COSE_HDR_KID, &v) == MOBID_OK)
        if (!is_nil(&v) && mobid_cbor_get_bytes(&v, &h->kid) != MOBID_OK)
            return MOBID_ERR_MALFORMED;
    if (bucket_get(&h->prot, MOBID_COSE_HDR_X5CHAIN, &v) == MOBID_OK) {
        h->x5chain_protected = true;
        err = read_x5chain(&v, h);
    } else if (bucket_get(&h->unprot, MOBID_COSE_HDR_X5CHAIN, &v) == MOBID_OK) {
        err = read_x5chain(&v, h);
    }
    return err;
}

/* The protected bucket as a map item; a zero-length bstr means an empty map. */
static mobid_err decode_protected(mobid_view bytes, mobid_cbor_item *out)
{
    static const uint8_t empty_map[] = { 0xa0 };
    mobid_view src = bytes.len ? bytes : mobid_view_make(empty_map, 1);
    mobid_err err = mobid_cbor_decode_exact(src, NULL, out);
    if (err != MOBID_OK)
        return err == MOBID_ERR_TOO_BIG || err == MOBID_ERR_TOO_DEEP ? err : MOBID_ERR_MALFORMED;
    return out->type == MOBID_CBOR_MAP ? MOBID_OK : MOBID_ERR_MALFORMED;
}

mobid_err cose_parse_headers(const mobid_cbor_item *prot_bstr, const mobid_cbor_item *unprot,
                             cose_headers *h)
{
    cose_label prot_labels[COSE_MAX_LABELS], unprot_labels[COSE_MAX_LABELS];
    size_t n_prot = 0, n_unprot = 0;
    mobid_err err;

    memset(h, 0, sizeof *h);
    if (prot_bstr->type != MOBID_CBOR_BYTES ||
        mobid_cbor_get_bytes(prot_bstr, &h->protected_bytes) != MOBID_OK)
        return MOBID_ERR_MALFORMED;
    err = decode_protected(h->protected_bytes, &h->prot);
    if (err != MOBID_OK)
        return err;
    h->unprot = *unprot;
    err = bucket_labels(&h->prot, prot_labels, &n_prot);
    if (err == MOBID_OK)
        err = bucket_labels(&h->unprot, unprot_labels, &n_unprot);
    if (err != MOBID_OK)
        return err;
    /* A label may appear in only one of the two buckets. */
    for (size_t i = 0; i < n_unprot; i++)
        for (size_t j = 0; j < n_prot; j++)
            if (label_eq(&unprot_labels[i], &prot_labels[j]))
                return MOBID_ERR_MALFORMED;
    err = check_crit(h, prot_labels, n_prot);
    if (err != MOBID_OK)
        return err;
    return read_known(h);
}

mobid_err cose_split(const mobid_cbor_item *item, uint64_t tag, cose_message *m)
{
    mobid_cbor_item arr = *item;
    memset(m, 0, sizeof *m);
    m->span = item->span;
    if (arr.type == MOBID_CBOR_TAG) {
        if (arr.arg != tag || mobid_cbor_tag_content(item, &arr) != MOBID_OK)
            return MOBID_ERR_MALFORMED;
        m->tagged = true;
    }
    if (arr.type != MOBID_CBOR_ARRAY || arr.arg != 4)
        return MOBID_ERR_MALFORMED;
    mobid_cbor_iter it;
    mobid_cbor_iter_init(&it, &arr);
    for (size_t i = 0; i < 4; i++)
        if (mobid_cbor_iter_next(&it, &m->elem[i]) != MOBID_OK)
            return MOBID_ERR_MALFORMED;
    return MOBID_OK;
}

/* ---------------------------------------------------------- ToBeSigned */

size_t cose_bstr_head(uint64_t len, uint8_t out[9])
{
    if (len < 24) {
        out[0] = (uint8_t)(0x40 | len);
        return 1;
    }
    size_t n = len <= 0xff ? 1 : len <= 0xffff ? 2 : len <= 0xffffffffu ? 4 : 8;
    out[0] = (uint8_t)(0x40 | (n == 1 ? 24 : n == 2 ? 25 : n == 4 ? 26 : 27));
    for (size_t i = 0; i < n; i++)
        out[1 + i] = (uint8_t)(len >> (8 * (n - 1 - i)));
    return 1 + n;
}

void cose_tbs_init(cose_tbs *t, const char *context, mobid_view prot, mobid_view aad,
                   mobid_view payload)
{
    size_t clen = strlen(context); /* "Signature1" or "MAC0": under 24 bytes */
    size_t n = 0;
    t->lead[n++] = 0x84;
    t->lead[n++] = (uint8_t)(0x60 | clen);
    memcpy(t->lead + n, context, clen);
    n += clen;
    n += cose_bstr_head(prot.len, t->lead + n);
    t->parts[0] = mobid_view_make(t->lead, n);
    t->parts[1] = prot;
    t->parts[2] = mobid_view_make(t->aad_head, cose_bstr_head(aad.len, t->aad_head));
    t->parts[3] = aad;
    t->parts[4] = mobid_view_make(t->payload_head, cose_bstr_head(payload.len, t->payload_head));
    t->parts[5] = payload;
}

mobid_err cose_tbs_append(const cose_tbs *t, mobid_buf *out)
{
    size_t start = out->len;
    for (size_t i = 0; i < 6; i++)
        mobid_buf_append_view(out, t->parts[i]);
    if (out->err != MOBID_OK && out->len > start)
        out->len = start;
    return out->err;
}
