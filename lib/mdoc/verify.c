/*
 * The verifier: every check 18013-5 §9.3.1 asks of a DeviceResponse, each
 * failure with its own code. Order matters for the codes people see: the
 * issuer signature is checked before anything inside the MSO is believed, and
 * each item's digest before its content is read.
 */
#include "verifier_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define MAX_ITEMS_PER_DOC 4096

typedef struct vctx {
    mobid_mdoc_verifier *v;
    const mobid_mdoc_verify_opts *o;
    mobid_view st;     /* SessionTranscript array */
    mobid_time at;
    bool no_time;      /* reading a credential: validity is reported, not checked */
    mobid_mdoc_result *res;
    size_t doc_index;
} vctx;

/* The parts of the MSO a verification uses. */
typedef struct mso_view {
    mobid_hash_alg h;
    mobid_cbor_item value_digests;
    mobid_cbor_item device_key;
    mobid_view doctype;
} mso_view;

__attribute__((format(printf, 3, 4))) static mobid_err fail(vctx *c, mobid_err err,
                                                           const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(c->res->detail, sizeof c->res->detail, "document %zu: ", c->doc_index);
    va_start(ap, fmt);
    if (n > 0 && (size_t)n < sizeof c->res->detail)
        vsnprintf(c->res->detail + n, sizeof c->res->detail - (size_t)n, fmt, ap);
    va_end(ap);
    return err;
}

/* x5chain to a trust anchor listed for this docType, then the COSE_Sign1
 * signature with the DS key. What the trust policy let through is kept in
 * d->warnings. */
static mobid_err check_issuer_auth(vctx *c, const mobid_cose_sign1 *s, mobid_view doctype,
                                   mobid_mdoc_doc *d)
{
    verifier_chain chain;
    mobid_err err = verifier_chain_get(c->v, s->x5chain, s->x5chain_count, &chain);
    if (err != MOBID_OK)
        return fail(c, err, "issuerAuth x5chain: %s", mobid_strerror(err));
    err = mobid_trust_verify_chain_ex(c->v->trust, chain.certs, chain.n, c->at,
                                      MOBID_PURPOSE_MDOC_DS, doctype, &d->warnings);
    if (err == MOBID_ERR_DOCTYPE_NOT_ALLOWED) {
        verifier_chain_release(&chain);
        return fail(c, err, "the issuer's CA is not trusted for docType %.*s", (int)doctype.len,
                    (const char *)doctype.ptr);
    }
    if (err != MOBID_OK) {
        verifier_chain_release(&chain);
        return fail(c, err, "document signer chain: %s", mobid_strerror(err));
    }
    err = mobid_cose_sign1_verify(s, chain.key, mobid_view_make(NULL, 0),
                                  mobid_view_make(NULL, 0), mobid_cose_algs_all);
    verifier_chain_release(&chain);
    if (err == MOBID_ERR_SIGNATURE_INVALID || err == MOBID_ERR_KEY_INVALID)
        err = MOBID_ERR_ISSUER_SIGNATURE_INVALID;
    if (err != MOBID_OK)
        return fail(c, err, "issuerAuth: %s", mobid_strerror(err));
    return MOBID_OK;
}

static mobid_err parse_digest_alg(mobid_view name, mobid_hash_alg *h)
{
    if (mobid_view_eq_str(name, "SHA-256"))
        *h = MOBID_HASH_SHA256;
    else if (mobid_view_eq_str(name, "SHA-384"))
        *h = MOBID_HASH_SHA384;
    else if (mobid_view_eq_str(name, "SHA-512"))
        *h = MOBID_HASH_SHA512;
    else
        return MOBID_ERR_UNSUPPORTED;
    return MOBID_OK;
}

static mobid_err parse_validity(vctx *c, const mobid_cbor_item *vi, mobid_mdoc_doc *d)
{
    mdoc_field f[3] = { { .key = "signed" }, { .key = "validFrom" }, { .key = "validUntil" } };
    if (mdoc_map_fields(vi, f, 3) != MOBID_OK || !f[0].found || !f[1].found || !f[2].found ||
        mobid_mdoc_get_tdate(&f[0].val, &d->signed_at) != MOBID_OK ||
        mobid_mdoc_get_tdate(&f[1].val, &d->valid_from) != MOBID_OK ||
        mobid_mdoc_get_tdate(&f[2].val, &d->valid_until) != MOBID_OK)
        return fail(c, MOBID_ERR_MALFORMED, "MSO validityInfo is not three tdates");
    if (c->no_time)
        return MOBID_OK;
    if (c->at < d->valid_from)
        return fail(c, MOBID_ERR_NOT_YET_VALID, "MSO valid from %lld, now %lld",
                    (long long)d->valid_from, (long long)c->at);
    if (c->at > d->valid_until)
        return fail(c, MOBID_ERR_EXPIRED, "MSO valid until %lld, now %lld",
                    (long long)d->valid_until, (long long)c->at);
    return MOBID_OK;
}

/* status: {"status_list": {"idx": uint, "uri": tstr}} (18013-5 2nd edition). */
static mobid_err parse_status(vctx *c, const mobid_cbor_item *st, mobid_mdoc_doc *d)
{
    mobid_cbor_item sl, it;
    if (st->type != MOBID_CBOR_MAP)
        return fail(c, MOBID_ERR_MALFORMED, "MSO status is not a map");
    if (mobid_cbor_map_get_text(st, "status_list", &sl) != MOBID_OK)
        return MOBID_OK; /* another status mechanism: nothing we resolve */
    if (sl.type != MOBID_CBOR_MAP || mdoc_map_need(&sl, "idx", &it) != MOBID_OK ||
        mobid_cbor_get_uint64(&it, &d->status_idx) != MOBID_OK ||
        mdoc_map_text(&sl, "uri", &d->status_uri) != MOBID_OK)
        return fail(c, MOBID_ERR_MALFORMED, "MSO status_list needs idx and uri");
    d->has_status = true;
    return MOBID_OK;
}

enum { MSO_VERSION, MSO_DIGEST_ALG, MSO_DIGESTS, MSO_DKI, MSO_DOCTYPE, MSO_VALIDITY, MSO_STATUS };

/* The MSO's members in one pass over its map. */
static mobid_err mso_members(vctx *c, const mobid_cose_sign1 *s, mdoc_field *f)
{
    mobid_cbor_item payload, mso;
    static const char *const keys[] = { "version", "digestAlgorithm", "valueDigests",
                                        "deviceKeyInfo", "docType", "validityInfo", "status" };
    for (size_t i = 0; i < 7; i++)
        f[i].key = keys[i];
    if (s->detached || mobid_cbor_decode_exact(s->payload, &mdoc_limits, &payload) != MOBID_OK ||
        mdoc_embedded(&payload, true, &mso) != MOBID_OK || mso.type != MOBID_CBOR_MAP ||
        mdoc_map_fields(&mso, f, 7) != MOBID_OK)
        return fail(c, MOBID_ERR_MALFORMED, "issuerAuth payload is not an MSO");
    for (size_t i = 0; i < MSO_STATUS; i++)
        if (!f[i].found)
            return fail(c, MOBID_ERR_MALFORMED, "MSO has no %s", keys[i]);
    return MOBID_OK;
}

static mobid_err parse_mso(vctx *c, const mobid_cose_sign1 *s, mobid_view doctype,
                           mso_view *m, mobid_mdoc_doc *d)
{
    mdoc_field f[7];
    mobid_view text;
    mobid_err err = mso_members(c, s, f);
    if (err != MOBID_OK)
        return err;
    if (mobid_cbor_get_text(&f[MSO_VERSION].val, &text) != MOBID_OK || text.len < 2 ||
        memcmp(text.ptr, "1.", 2))
        return fail(c, MOBID_ERR_MALFORMED, "MSO version is not 1.x");
    if (mobid_cbor_get_text(&f[MSO_DIGEST_ALG].val, &text) != MOBID_OK ||
        parse_digest_alg(text, &m->h) != MOBID_OK)
        return fail(c, MOBID_ERR_UNSUPPORTED, "MSO digestAlgorithm is not SHA-256/384/512");
    m->value_digests = f[MSO_DIGESTS].val;
    if (m->value_digests.type != MOBID_CBOR_MAP)
        return fail(c, MOBID_ERR_MALFORMED, "MSO valueDigests is not a map");
    if (f[MSO_DKI].val.type != MOBID_CBOR_MAP ||
        mdoc_map_need(&f[MSO_DKI].val, "deviceKey", &m->device_key) != MOBID_OK)
        return fail(c, MOBID_ERR_MALFORMED, "MSO has no deviceKeyInfo.deviceKey");
    if (mobid_cbor_get_text(&f[MSO_DOCTYPE].val, &m->doctype) != MOBID_OK)
        return fail(c, MOBID_ERR_MALFORMED, "MSO docType is not text");
    if (!mobid_view_eq(m->doctype, doctype))
        return fail(c, MOBID_ERR_DOCTYPE_MISMATCH, "document says %.*s, MSO %.*s",
                    (int)doctype.len, (const char *)doctype.ptr, (int)m->doctype.len,
                    (const char *)m->doctype.ptr);
    err = parse_validity(c, &f[MSO_VALIDITY].val, d);
    if (err == MOBID_OK && f[MSO_STATUS].found)
        err = parse_status(c, &f[MSO_STATUS].val, d);
    return err;
}

/* One IssuerSignedItemBytes: its members, then the MSO digest listed under its
 * digestID against the digest of the bytes exactly as received. */
/* valueDigests[ns] read once into an array, so each item finds its digest
 * without walking the map again. */
#define DIGEST_INDEX_MAX 128
typedef struct digest_index {
    const mobid_cbor_item *map;
    size_t n;
    bool overflow; /* more entries than fit: look items up in the map itself */
    struct {
        uint64_t id;
        mobid_view digest; /* ptr NULL when the value is not a byte string */
    } e[DIGEST_INDEX_MAX];
} digest_index;

static void index_digests(const mobid_cbor_item *map, digest_index *ix)
{
    mobid_cbor_iter it;
    mobid_cbor_item k, v;
    ix->map = map;
    ix->n = 0;
    ix->overflow = false;
    mobid_cbor_iter_init(&it, map);
    while (mobid_cbor_iter_next(&it, &k) == MOBID_OK && mobid_cbor_iter_next(&it, &v) == MOBID_OK) {
        if (k.type != MOBID_CBOR_UINT)
            continue; /* no digestID can name it */
        if (ix->n == DIGEST_INDEX_MAX) {
            ix->overflow = true;
            return;
        }
        ix->e[ix->n].id = k.arg;
        if (mobid_cbor_get_bytes(&v, &ix->e[ix->n].digest) != MOBID_OK)
            ix->e[ix->n].digest = mobid_view_make(NULL, 0);
        ix->n++;
    }
}

/* The digest listed under id (the first, as a map lookup would find). */
static bool lookup_digest(const digest_index *ix, uint64_t id, mobid_view *out)
{
    mobid_cbor_item v;
    if (ix->overflow)
        return id <= INT64_MAX && mobid_cbor_map_get_int(ix->map, (int64_t)id, &v) == MOBID_OK &&
               mobid_cbor_get_bytes(&v, out) == MOBID_OK;
    for (size_t i = 0; i < ix->n; i++)
        if (ix->e[i].id == id) {
            *out = ix->e[i].digest;
            return out->ptr != NULL;
        }
    return false;
}

static mobid_err check_item(vctx *c, const mso_view *m, mobid_view ns,
                            const digest_index *ix, const mobid_cbor_item *tagged,
                            mobid_mdoc_item *out)
{
    mobid_cbor_item item, it;
    uint8_t digest[MOBID_HASH_MAX];
    mobid_view want;
    if (mdoc_embedded(tagged, false, &item) != MOBID_OK || item.type != MOBID_CBOR_MAP)
        return fail(c, MOBID_ERR_MALFORMED, "item in %.*s is not IssuerSignedItemBytes",
                    (int)ns.len, (const char *)ns.ptr);
    mdoc_field f[4] = { { .key = "digestID" },
                        { .key = "elementIdentifier" },
                        { .key = "elementValue" },
                        { .key = "random" } };
    if (mdoc_map_fields(&item, f, 4) != MOBID_OK || !f[0].found || !f[1].found || !f[2].found ||
        !f[3].found || mobid_cbor_get_uint64(&f[0].val, &out->digest_id) != MOBID_OK ||
        mobid_cbor_get_text(&f[1].val, &out->id) != MOBID_OK || f[3].val.type != MOBID_CBOR_BYTES)
        return fail(c, MOBID_ERR_MALFORMED, "IssuerSignedItem in %.*s lacks a member",
                    (int)ns.len, (const char *)ns.ptr);
    it = f[2].val;
    out->ns = ns;
    out->value = it.span;
    if (!lookup_digest(ix, out->digest_id, &want))
        return fail(c, MOBID_ERR_DIGEST_MISMATCH, "%.*s/%.*s: digestID %llu not in the MSO",
                    (int)ns.len, (const char *)ns.ptr, (int)out->id.len,
                    (const char *)out->id.ptr, (unsigned long long)out->digest_id);
    if (mobid_hash(m->h, tagged->span, digest) != MOBID_OK)
        return fail(c, MOBID_ERR_CRYPTO, "hashing failed");
    if (!mobid_ct_eq(mobid_view_make(digest, mobid_hash_size(m->h)), want))
        return fail(c, MOBID_ERR_DIGEST_MISMATCH, "%.*s/%.*s: digest differs from the MSO",
                    (int)ns.len, (const char *)ns.ptr, (int)out->id.len,
                    (const char *)out->id.ptr);
    return MOBID_OK;
}

static bool duplicate_item(const mobid_mdoc_doc *d, const mobid_mdoc_item *x)
{
    for (size_t i = 0; i < d->n_items; i++)
        if (mobid_view_eq(d->items[i].ns, x->ns) &&
            (d->items[i].digest_id == x->digest_id || mobid_view_eq(d->items[i].id, x->id)))
            return true;
    return false;
}

/* valueDigests[ns], matched on the namespace's bytes. */
static bool find_ns_digests(const mobid_cbor_item *value_digests, mobid_view ns,
                            mobid_cbor_item *out)
{
    mobid_cbor_iter it;
    mobid_cbor_item k, v;
    mobid_view kt;
    mobid_cbor_iter_init(&it, value_digests);
    while (mobid_cbor_iter_next(&it, &k) == MOBID_OK && mobid_cbor_iter_next(&it, &v) == MOBID_OK)
        if (mobid_cbor_get_text(&k, &kt) == MOBID_OK && mobid_view_eq(kt, ns)) {
            *out = v;
            return v.type == MOBID_CBOR_MAP;
        }
    return false;
}

static mobid_err check_namespace(vctx *c, const mso_view *m, const mobid_cbor_item *key,
                                 const mobid_cbor_item *arr, mobid_mdoc_doc *d)
{
    mobid_cbor_item ns_digests, tagged;
    mobid_cbor_iter iter;
    digest_index ix;
    mobid_view ns;
    if (mobid_cbor_get_text(key, &ns) != MOBID_OK || arr->type != MOBID_CBOR_ARRAY)
        return fail(c, MOBID_ERR_MALFORMED, "issuerSigned.nameSpaces is not {tstr: [items]}");
    if (!find_ns_digests(&m->value_digests, ns, &ns_digests))
        return fail(c, MOBID_ERR_DIGEST_MISMATCH, "namespace %.*s not in the MSO", (int)ns.len,
                    (const char *)ns.ptr);
    index_digests(&ns_digests, &ix);
    mobid_cbor_iter_init(&iter, arr);
    while (mobid_cbor_iter_next(&iter, &tagged) == MOBID_OK) {
        mobid_mdoc_item *x = &d->items[d->n_items];
        mobid_err err = check_item(c, m, ns, &ix, &tagged, x);
        if (err != MOBID_OK)
            return err;
        if (duplicate_item(d, x))
            return fail(c, MOBID_ERR_DUPLICATE_DISCLOSURE, "%.*s/%.*s disclosed twice",
                        (int)ns.len, (const char *)ns.ptr, (int)x->id.len,
                        (const char *)x->id.ptr);
        d->n_items++;
    }
    return MOBID_OK;
}

/* Count the items of both nameSpaces maps so one allocation holds them. */
static mobid_err count_items(const mobid_cbor_item *ns_map, size_t *n)
{
    mobid_cbor_iter iter;
    mobid_cbor_item k, v;
    mobid_cbor_iter_init(&iter, ns_map);
    while (mobid_cbor_iter_next(&iter, &k) == MOBID_OK) {
        if (mobid_cbor_iter_next(&iter, &v) != MOBID_OK ||
            (v.type != MOBID_CBOR_ARRAY && v.type != MOBID_CBOR_MAP))
            return MOBID_ERR_MALFORMED;
        *n += (size_t)v.arg;
        if (*n > MAX_ITEMS_PER_DOC)
            return MOBID_ERR_LIMIT;
    }
    return MOBID_OK;
}


/* The device's proof over DeviceAuthenticationBytes: a signature with the MSO's
 * device key, or a MAC keyed from ECDH between that key and the reader's. */
static mobid_err check_device_proof(vctx *c, const mobid_cbor_item *auth, const mobid_key *dk,
                                    mobid_view dab)
{
    mdoc_field f[2] = { { .key = "deviceSignature" }, { .key = "deviceMac" } };
    mobid_cbor_item sig, mac;
    bool has_sig, has_mac;
    mobid_err err;
    if (mdoc_map_fields(auth, f, 2) != MOBID_OK)
        return fail(c, MOBID_ERR_MALFORMED, "deviceAuth is not a map");
    has_sig = f[0].found;
    has_mac = f[1].found;
    sig = f[0].val;
    mac = f[1].val;
    if (has_sig == has_mac)
        return fail(c, MOBID_ERR_MALFORMED, "deviceAuth needs exactly one of deviceSignature "
                                            "and deviceMac");
    if (has_sig) {
        mobid_cose_sign1 s;
        uint8_t *copy = NULL;
        err = mobid_cose_sign1_from_item(&sig, &s);
        if (err == MOBID_ERR_MALFORMED)
            err = mdoc_sign1_tolerant(&sig, &copy, &s);
        if (err != MOBID_OK)
            return fail(c, MOBID_ERR_MALFORMED, "deviceSignature is not a COSE_Sign1");
        err = s.detached ? mobid_cose_sign1_verify(&s, dk, mobid_view_make(NULL, 0), dab,
                                                   mobid_cose_algs_all)
                         : MOBID_ERR_DEVICE_SIGNATURE_INVALID; /* payload must be detached */
        mobid_free(copy);
        if (err == MOBID_ERR_SIGNATURE_INVALID || err == MOBID_ERR_KEY_INVALID)
            err = MOBID_ERR_DEVICE_SIGNATURE_INVALID;
        return err == MOBID_OK ? MOBID_OK
                               : fail(c, err, "deviceSignature: %s", mobid_strerror(err));
    }
    mobid_cose_mac0 m;
    uint8_t key[32];
    if (!c->o->reader_key)
        return fail(c, MOBID_ERR_INVALID_ARG, "deviceMac needs the reader's ephemeral key");
    if (mobid_cose_mac0_from_item(&mac, &m) != MOBID_OK)
        return fail(c, MOBID_ERR_MALFORMED, "deviceMac is not a COSE_Mac0");
    if (!m.detached)
        return fail(c, MOBID_ERR_DEVICE_MAC_INVALID, "deviceMac payload must be detached");
    err = mobid_mdoc_emac_key(c->o->reader_key, dk, c->st, key);
    if (err == MOBID_OK)
        err = mobid_cose_mac0_verify(&m, mobid_view_make(key, sizeof key),
                                     mobid_view_make(NULL, 0), dab);
    mobid_wipe(key, sizeof key);
    if (err == MOBID_ERR_MAC_INVALID)
        err = MOBID_ERR_DEVICE_MAC_INVALID;
    if (err != MOBID_OK)
        return fail(c, err, "deviceMac: %s", mobid_strerror(err));
    c->res->docs[c->doc_index].device_mac = true;
    return MOBID_OK;
}

static mobid_err check_device_auth(vctx *c, const mso_view *m, const mobid_cbor_item *auth,
                                   const mobid_cbor_item *dns, mobid_view doctype)
{
    mobid_key *dk = NULL;
    mobid_buf dab;
    mobid_err err;
    mobid_buf_init(&dab, 0);
    if (m->device_key.type != MOBID_CBOR_MAP ||
        mobid_cose_key_decode(&m->device_key, &dk) != MOBID_OK) {
        err = fail(c, MOBID_ERR_DEVICE_KEY_INVALID, "MSO deviceKey is not a usable COSE_Key");
        goto done;
    }
    err = mdoc_device_auth_bytes(c->st, doctype, dns->span, &dab);
    if (err == MOBID_OK)
        err = check_device_proof(c, auth, dk, mobid_buf_view(&dab));
done:
    mobid_key_free(dk);
    mobid_buf_free(&dab);
    return err;
}

/* deviceSigned.nameSpaces = {ns: {elem: value}}, signed by the device proof. */
static mobid_err add_device_items(vctx *c, const mobid_cbor_item *dns_map, mobid_mdoc_doc *d)
{
    mobid_cbor_iter it, inner;
    mobid_cbor_item k, v, ek, ev;
    mobid_cbor_iter_init(&it, dns_map);
    while (mobid_cbor_iter_next(&it, &k) == MOBID_OK && mobid_cbor_iter_next(&it, &v) == MOBID_OK) {
        mobid_view ns;
        if (mobid_cbor_get_text(&k, &ns) != MOBID_OK || v.type != MOBID_CBOR_MAP)
            return fail(c, MOBID_ERR_MALFORMED, "deviceSigned.nameSpaces is not {tstr: map}");
        mobid_cbor_iter_init(&inner, &v);
        while (mobid_cbor_iter_next(&inner, &ek) == MOBID_OK &&
               mobid_cbor_iter_next(&inner, &ev) == MOBID_OK) {
            mobid_mdoc_item *x = &d->items[d->n_items];
            if (mobid_cbor_get_text(&ek, &x->id) != MOBID_OK)
                return fail(c, MOBID_ERR_MALFORMED, "device-signed element name is not text");
            x->ns = ns;
            x->value = ev.span;
            x->device_signed = true;
            d->n_items++;
        }
    }
    return MOBID_OK;
}

/* issuerAuth: parse, chain, signature; then the MSO it signs. */
static mobid_err check_issuer(vctx *c, const mobid_cbor_item *ia, mobid_view doctype,
                              mso_view *m, mobid_mdoc_doc *d)
{
    mobid_cose_sign1 s;
    mobid_err err = mobid_cose_sign1_from_item(ia, &s);
    if (err == MOBID_ERR_MALFORMED && mdoc_sign1_tolerant(ia, &d->owned_, &s) == MOBID_OK)
        err = MOBID_OK; /* the copy lives with the document: results point into it */
    if (err != MOBID_OK)
        return fail(c, err == MOBID_ERR_CRITICAL_HEADER ? err : MOBID_ERR_MALFORMED,
                    "issuerAuth is not a COSE_Sign1 (%s)", mobid_err_name(err));
    err = check_issuer_auth(c, &s, doctype, d);
    if (err == MOBID_OK)
        err = parse_mso(c, &s, doctype, m, d);
    return err;
}

static mobid_err check_issuer_items(vctx *c, const mso_view *m, const mobid_cbor_item *ns_map,
                                    mobid_mdoc_doc *d)
{
    mobid_cbor_iter it;
    mobid_cbor_item k, v;
    mobid_cbor_iter_init(&it, ns_map);
    while (mobid_cbor_iter_next(&it, &k) == MOBID_OK && mobid_cbor_iter_next(&it, &v) == MOBID_OK) {
        mobid_err err = check_namespace(c, m, &k, &v, d);
        if (err != MOBID_OK)
            return err;
    }
    return MOBID_OK;
}

/* The parts of a Document, each looked up once. */
typedef struct doc_parts {
    mobid_cbor_item issuer_auth, ns_map, dns, dns_map, device_auth;
    bool has_ns;
} doc_parts;

static mobid_err document_parts(vctx *c, const mobid_cbor_item *doc, mobid_mdoc_doc *d,
                                doc_parts *p)
{
    mdoc_field f[4] = { { .key = "docType" },
                        { .key = "issuerSigned" },
                        { .key = "deviceSigned" },
                        { .key = "errors" } };
    mdoc_field is[2] = { { .key = "issuerAuth" }, { .key = "nameSpaces" } };
    mdoc_field ds[2] = { { .key = "nameSpaces" }, { .key = "deviceAuth" } };
    if (mdoc_map_fields(doc, f, 4) != MOBID_OK || !f[0].found || !f[1].found || !f[2].found ||
        mobid_cbor_get_text(&f[0].val, &d->doctype) != MOBID_OK ||
        mdoc_map_fields(&f[1].val, is, 2) != MOBID_OK || !is[0].found ||
        mdoc_map_fields(&f[2].val, ds, 2) != MOBID_OK || !ds[0].found || !ds[1].found)
        return fail(c, MOBID_ERR_MALFORMED, "not a Document");
    if (f[3].found)
        d->errors = f[3].val.span;
    p->issuer_auth = is[0].val;
    p->has_ns = is[1].found;
    p->ns_map = is[1].val;
    if (p->has_ns && p->ns_map.type != MOBID_CBOR_MAP)
        return fail(c, MOBID_ERR_MALFORMED, "issuerSigned.nameSpaces is not a map");
    p->dns = ds[0].val;
    p->device_auth = ds[1].val;
    if (mdoc_embedded(&p->dns, false, &p->dns_map) != MOBID_OK ||
        p->dns_map.type != MOBID_CBOR_MAP)
        return fail(c, MOBID_ERR_MALFORMED, "deviceSigned.nameSpaces is not DeviceNameSpacesBytes");
    if (p->device_auth.type != MOBID_CBOR_MAP)
        return fail(c, MOBID_ERR_MALFORMED, "deviceAuth is not a map");
    return MOBID_OK;
}

static mobid_err verify_document(vctx *c, const mobid_cbor_item *doc, mobid_mdoc_doc *d)
{
    doc_parts p;
    mso_view m;
    size_t n = 0;
    mobid_err err = document_parts(c, doc, d, &p);
    if (err != MOBID_OK)
        return err;
    if (c->o->expect_doctype && !mobid_view_eq_str(d->doctype, c->o->expect_doctype))
        return fail(c, MOBID_ERR_DOCTYPE_MISMATCH, "expected docType %s", c->o->expect_doctype);
    err = check_issuer(c, &p.issuer_auth, d->doctype, &m, d);
    if (err != MOBID_OK)
        return err;
    if ((p.has_ns && count_items(&p.ns_map, &n) != MOBID_OK) ||
        count_items(&p.dns_map, &n) != MOBID_OK)
        return fail(c, MOBID_ERR_MALFORMED, "nameSpaces hold too many or malformed items");
    d->items = mobid_calloc(n + 1, sizeof *d->items);
    if (!d->items)
        return fail(c, MOBID_ERR_NOMEM, "out of memory");
    if (p.has_ns)
        err = check_issuer_items(c, &m, &p.ns_map, d);
    if (err == MOBID_OK)
        err = check_device_auth(c, &m, &p.device_auth, &p.dns, d->doctype);
    if (err == MOBID_OK)
        err = add_device_items(c, &p.dns_map, d);
    return err;
}

/* DeviceResponse = {version, ? documents, ? documentErrors, status}. */
static mobid_err check_response(vctx *c, const mobid_cbor_item *top, mobid_cbor_item *docs)
{
    mdoc_field f[4] = { { .key = "version" },
                        { .key = "status" },
                        { .key = "documents" },
                        { .key = "documentErrors" } };
    mobid_view version;
    uint64_t status;
    if (mdoc_map_fields(top, f, 4) != MOBID_OK || !f[0].found ||
        mobid_cbor_get_text(&f[0].val, &version) != MOBID_OK || version.len < 2 ||
        memcmp(version.ptr, "1.", 2))
        return fail(c, MOBID_ERR_MALFORMED, "not a DeviceResponse version 1.x");
    c->res->version = version;
    if (!f[1].found || mobid_cbor_get_uint64(&f[1].val, &status) != MOBID_OK)
        return fail(c, MOBID_ERR_MALFORMED, "DeviceResponse has no status");
    if (f[3].found)
        c->res->document_errors = f[3].val.span;
    if (status != 0)
        return fail(c, MOBID_ERR_DOCUMENT_ERROR, "DeviceResponse status %llu",
                    (unsigned long long)status);
    if (!f[2].found)
        return fail(c, MOBID_ERR_DOCUMENT_ERROR, "DeviceResponse holds no documents");
    *docs = f[2].val;
    if (docs->type != MOBID_CBOR_ARRAY || docs->arg == 0 || docs->arg > 64)
        return fail(c, MOBID_ERR_MALFORMED, "documents is not a non-empty array");
    return MOBID_OK;
}

mobid_err mobid_mdoc_verify(mobid_mdoc_verifier *v, mobid_view response,
                            const mobid_mdoc_verify_opts *o, mobid_mdoc_result *res)
{
    mobid_cbor_item top, docs, doc;
    mobid_cbor_iter it;
    vctx c;
    mobid_err err;
    if (!res)
        return MOBID_ERR_INVALID_ARG;
    memset(res, 0, sizeof *res);
    memset(&c, 0, sizeof c);
    c.v = v;
    c.o = o;
    c.res = res;
    if (!v || !o)
        return MOBID_ERR_INVALID_ARG;
    c.at = o->at ? o->at : mobid_now();
    if (mobid_mdoc_transcript_unwrap(o->transcript, &c.st) != MOBID_OK)
        return fail(&c, MOBID_ERR_INVALID_ARG, "SessionTranscript is not a 3-element array");
    if (response.len > MOBID_MDOC_MAX_INPUT)
        return fail(&c, MOBID_ERR_TOO_BIG, "response too large");
    err = mobid_cbor_decode_exact(response, &mdoc_limits, &top);
    if (err != MOBID_OK)
        return fail(&c, MOBID_ERR_MALFORMED, "response is not one CBOR item (%s)",
                    mobid_err_name(err));
    err = check_response(&c, &top, &docs);
    if (err != MOBID_OK)
        return err;
    res->docs = mobid_calloc((size_t)docs.arg, sizeof *res->docs);
    if (!res->docs)
        return fail(&c, MOBID_ERR_NOMEM, "out of memory");
    mobid_cbor_iter_init(&it, &docs);
    while (err == MOBID_OK && mobid_cbor_iter_next(&it, &doc) == MOBID_OK) {
        c.doc_index = res->n_docs++;
        err = verify_document(&c, &doc, &res->docs[c.doc_index]);
    }
    return err;
}

void mobid_mdoc_result_free(mobid_mdoc_result *res)
{
    if (!res)
        return;
    for (size_t i = 0; i < res->n_docs; i++)
        mobid_mdoc_doc_free(&res->docs[i]);
    mobid_free(res->docs);
    memset(res, 0, sizeof *res);
}

mobid_err mobid_mdoc_issuer_signed_read(mobid_view in, mobid_mdoc_doc *out)
{
    mobid_cbor_item is, ia, ns_map;
    mobid_cose_sign1 s;
    mobid_mdoc_result scratch;
    mso_view m;
    vctx c;
    size_t n = 0;
    mobid_err err;
    if (!out)
        return MOBID_ERR_INVALID_ARG;
    memset(out, 0, sizeof *out);
    memset(&scratch, 0, sizeof scratch);
    memset(&c, 0, sizeof c);
    c.res = &scratch;
    c.no_time = true;
    if (in.len > MOBID_MDOC_MAX_INPUT || mdoc_issuer_signed_find(in, &is) != MOBID_OK ||
        mdoc_map_need(&is, "issuerAuth", &ia) != MOBID_OK)
        return MOBID_ERR_MALFORMED;
    err = mobid_cose_sign1_from_item(&ia, &s);
    if (err == MOBID_ERR_MALFORMED)
        err = mdoc_sign1_tolerant(&ia, &out->owned_, &s);
    if (err != MOBID_OK)
        return MOBID_ERR_MALFORMED;
    /* The MSO names the docType; compare it with itself. */
    mobid_cbor_item payload, mso;
    if (s.detached || mobid_cbor_decode_exact(s.payload, &mdoc_limits, &payload) != MOBID_OK ||
        mdoc_embedded(&payload, true, &mso) != MOBID_OK || mso.type != MOBID_CBOR_MAP ||
        mdoc_map_text(&mso, "docType", &out->doctype) != MOBID_OK)
        err = MOBID_ERR_MALFORMED;
    if (err == MOBID_OK)
        err = parse_mso(&c, &s, out->doctype, &m, out);
    if (err == MOBID_OK && mobid_cbor_map_get_text(&is, "nameSpaces", &ns_map) == MOBID_OK) {
        if (ns_map.type != MOBID_CBOR_MAP || count_items(&ns_map, &n) != MOBID_OK)
            err = MOBID_ERR_MALFORMED;
        else if (!(out->items = mobid_calloc(n + 1, sizeof *out->items)))
            err = MOBID_ERR_NOMEM;
        else
            err = check_issuer_items(&c, &m, &ns_map, out);
    }
    if (err != MOBID_OK)
        mobid_mdoc_doc_free(out);
    return err;
}

void mobid_mdoc_doc_free(mobid_mdoc_doc *d)
{
    if (!d)
        return;
    mobid_free(d->items);
    mobid_free(d->owned_);
    memset(d, 0, sizeof *d);
}
