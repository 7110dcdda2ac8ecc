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

/* x5chain to a trust anchor, then the COSE_Sign1 signature with the DS key. */
static mobid_err check_issuer_auth(vctx *c, const mobid_cose_sign1 *s)
{
    verifier_chain chain;
    mobid_err err = verifier_chain_get(c->v, s->x5chain, s->x5chain_count, &chain);
    if (err != MOBID_OK)
        return fail(c, err, "issuerAuth x5chain: %s", mobid_strerror(err));
    err = mobid_trust_verify_chain(c->v->trust, chain.certs, chain.n, c->at,
                                   MOBID_PURPOSE_MDOC_DS);
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

static mobid_err parse_validity(vctx *c, const mobid_cbor_item *mso, mobid_mdoc_doc *d)
{
    mobid_cbor_item vi, t;
    if (mdoc_map_need(mso, "validityInfo", &vi) != MOBID_OK || vi.type != MOBID_CBOR_MAP)
        return fail(c, MOBID_ERR_MALFORMED, "MSO has no validityInfo");
    if (mdoc_map_need(&vi, "signed", &t) != MOBID_OK ||
        mobid_mdoc_get_tdate(&t, &d->signed_at) != MOBID_OK ||
        mdoc_map_need(&vi, "validFrom", &t) != MOBID_OK ||
        mobid_mdoc_get_tdate(&t, &d->valid_from) != MOBID_OK ||
        mdoc_map_need(&vi, "validUntil", &t) != MOBID_OK ||
        mobid_mdoc_get_tdate(&t, &d->valid_until) != MOBID_OK)
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
static mobid_err parse_status(vctx *c, const mobid_cbor_item *mso, mobid_mdoc_doc *d)
{
    mobid_cbor_item st, sl, it;
    if (mobid_cbor_map_get_text(mso, "status", &st) != MOBID_OK)
        return MOBID_OK;
    if (st.type != MOBID_CBOR_MAP)
        return fail(c, MOBID_ERR_MALFORMED, "MSO status is not a map");
    if (mobid_cbor_map_get_text(&st, "status_list", &sl) != MOBID_OK)
        return MOBID_OK; /* another status mechanism: nothing we resolve */
    if (sl.type != MOBID_CBOR_MAP || mdoc_map_need(&sl, "idx", &it) != MOBID_OK ||
        mobid_cbor_get_uint64(&it, &d->status_idx) != MOBID_OK ||
        mdoc_map_text(&sl, "uri", &d->status_uri) != MOBID_OK)
        return fail(c, MOBID_ERR_MALFORMED, "MSO status_list needs idx and uri");
    d->has_status = true;
    return MOBID_OK;
}

static mobid_err parse_mso(vctx *c, const mobid_cose_sign1 *s, mobid_view doctype,
                           mso_view *m, mobid_mdoc_doc *d)
{
    mobid_cbor_item payload, mso, it;
    mobid_view text;
    mobid_err err;
    if (s->detached || mobid_cbor_decode_exact(s->payload, &mdoc_limits, &payload) != MOBID_OK ||
        mdoc_embedded(&payload, true, &mso) != MOBID_OK || mso.type != MOBID_CBOR_MAP)
        return fail(c, MOBID_ERR_MALFORMED, "issuerAuth payload is not an MSO");
    if (mdoc_map_text(&mso, "version", &text) != MOBID_OK || text.len < 2 ||
        memcmp(text.ptr, "1.", 2))
        return fail(c, MOBID_ERR_MALFORMED, "MSO version is not 1.x");
    if (mdoc_map_text(&mso, "digestAlgorithm", &text) != MOBID_OK)
        return fail(c, MOBID_ERR_MALFORMED, "MSO has no digestAlgorithm");
    if (parse_digest_alg(text, &m->h) != MOBID_OK)
        return fail(c, MOBID_ERR_UNSUPPORTED, "MSO digestAlgorithm %.*s", (int)text.len,
                    (const char *)text.ptr);
    if (mdoc_map_need(&mso, "valueDigests", &m->value_digests) != MOBID_OK ||
        m->value_digests.type != MOBID_CBOR_MAP)
        return fail(c, MOBID_ERR_MALFORMED, "MSO has no valueDigests");
    if (mdoc_map_need(&mso, "deviceKeyInfo", &it) != MOBID_OK || it.type != MOBID_CBOR_MAP ||
        mdoc_map_need(&it, "deviceKey", &m->device_key) != MOBID_OK)
        return fail(c, MOBID_ERR_MALFORMED, "MSO has no deviceKeyInfo.deviceKey");
    if (mdoc_map_text(&mso, "docType", &m->doctype) != MOBID_OK)
        return fail(c, MOBID_ERR_MALFORMED, "MSO has no docType");
    if (!mobid_view_eq(m->doctype, doctype))
        return fail(c, MOBID_ERR_DOCTYPE_MISMATCH, "document says %.*s, MSO %.*s",
                    (int)doctype.len, (const char *)doctype.ptr, (int)m->doctype.len,
                    (const char *)m->doctype.ptr);
    err = parse_validity(c, &mso, d);
    if (err == MOBID_OK)
        err = parse_status(c, &mso, d);
    return err;
}

/* One IssuerSignedItemBytes: the digest over the received bytes first, then
 * the content, then that the item says what the digest was listed under. */
static mobid_err check_item(vctx *c, const mso_view *m, mobid_view ns,
                            const mobid_cbor_item *ns_digests, const mobid_cbor_item *tagged,
                            mobid_mdoc_item *out)
{
    mobid_cbor_item item, it, expected;
    uint8_t digest[MOBID_HASH_MAX];
    mobid_view want;
    if (mdoc_embedded(tagged, false, &item) != MOBID_OK || item.type != MOBID_CBOR_MAP)
        return fail(c, MOBID_ERR_MALFORMED, "item in %.*s is not IssuerSignedItemBytes",
                    (int)ns.len, (const char *)ns.ptr);
    if (mdoc_map_need(&item, "digestID", &it) != MOBID_OK ||
        mobid_cbor_get_uint64(&it, &out->digest_id) != MOBID_OK ||
        mdoc_map_text(&item, "elementIdentifier", &out->id) != MOBID_OK ||
        mdoc_map_need(&item, "elementValue", &it) != MOBID_OK ||
        mdoc_map_need(&item, "random", &expected) != MOBID_OK ||
        expected.type != MOBID_CBOR_BYTES)
        return fail(c, MOBID_ERR_MALFORMED, "IssuerSignedItem in %.*s lacks a member",
                    (int)ns.len, (const char *)ns.ptr);
    out->ns = ns;
    out->value = it.span;
    if (mobid_cbor_map_get_int(ns_digests, (int64_t)out->digest_id, &expected) != MOBID_OK ||
        out->digest_id > INT64_MAX || mobid_cbor_get_bytes(&expected, &want) != MOBID_OK)
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
    mobid_view ns;
    if (mobid_cbor_get_text(key, &ns) != MOBID_OK || arr->type != MOBID_CBOR_ARRAY)
        return fail(c, MOBID_ERR_MALFORMED, "issuerSigned.nameSpaces is not {tstr: [items]}");
    if (!find_ns_digests(&m->value_digests, ns, &ns_digests))
        return fail(c, MOBID_ERR_DIGEST_MISMATCH, "namespace %.*s not in the MSO", (int)ns.len,
                    (const char *)ns.ptr);
    mobid_cbor_iter_init(&iter, arr);
    while (mobid_cbor_iter_next(&iter, &tagged) == MOBID_OK) {
        mobid_mdoc_item *x = &d->items[d->n_items];
        mobid_err err = check_item(c, m, ns, &ns_digests, &tagged, x);
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
    mobid_cbor_item sig, mac;
    bool has_sig = mobid_cbor_map_get_text(auth, "deviceSignature", &sig) == MOBID_OK;
    bool has_mac = mobid_cbor_map_get_text(auth, "deviceMac", &mac) == MOBID_OK;
    mobid_err err;
    if (has_sig == has_mac)
        return fail(c, MOBID_ERR_MALFORMED, "deviceAuth needs exactly one of deviceSignature "
                                            "and deviceMac");
    if (has_sig) {
        mobid_cose_sign1 s;
        if (mobid_cose_sign1_from_item(&sig, &s) != MOBID_OK)
            return fail(c, MOBID_ERR_MALFORMED, "deviceSignature is not a COSE_Sign1");
        if (!s.detached)
            return fail(c, MOBID_ERR_DEVICE_SIGNATURE_INVALID,
                        "deviceSignature payload must be detached");
        err = mobid_cose_sign1_verify(&s, dk, mobid_view_make(NULL, 0), dab, mobid_cose_algs_all);
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

static mobid_err check_device_auth(vctx *c, const mso_view *m, const mobid_cbor_item *ds,
                                   const mobid_cbor_item *dns, mobid_view doctype)
{
    mobid_cbor_item auth;
    mobid_key *dk = NULL;
    mobid_buf dab;
    mobid_err err;
    mobid_buf_init(&dab, 0);
    if (mdoc_map_need(ds, "deviceAuth", &auth) != MOBID_OK || auth.type != MOBID_CBOR_MAP) {
        err = fail(c, MOBID_ERR_MALFORMED, "deviceSigned has no deviceAuth");
        goto done;
    }
    if (m->device_key.type != MOBID_CBOR_MAP ||
        mobid_cose_key_decode(&m->device_key, &dk) != MOBID_OK) {
        err = fail(c, MOBID_ERR_DEVICE_KEY_INVALID, "MSO deviceKey is not a usable COSE_Key");
        goto done;
    }
    err = mdoc_device_auth_bytes(c->st, doctype, dns->span, &dab);
    if (err == MOBID_OK)
        err = check_device_proof(c, &auth, dk, mobid_buf_view(&dab));
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
static mobid_err check_issuer(vctx *c, const mobid_cbor_item *is, mobid_view doctype,
                              mso_view *m, mobid_mdoc_doc *d)
{
    mobid_cbor_item ia;
    mobid_cose_sign1 s;
    mobid_err err;
    if (mdoc_map_need(is, "issuerAuth", &ia) != MOBID_OK)
        return fail(c, MOBID_ERR_MALFORMED, "issuerSigned has no issuerAuth");
    err = mobid_cose_sign1_from_item(&ia, &s);
    if (err != MOBID_OK)
        return fail(c, err == MOBID_ERR_CRITICAL_HEADER ? err : MOBID_ERR_MALFORMED,
                    "issuerAuth is not a COSE_Sign1 (%s)", mobid_err_name(err));
    err = check_issuer_auth(c, &s);
    if (err == MOBID_OK)
        err = parse_mso(c, &s, doctype, m, d);
    return err;
}

/* DeviceNameSpacesBytes and the map it wraps. */
static mobid_err device_namespaces(vctx *c, const mobid_cbor_item *ds, mobid_cbor_item *dns,
                                   mobid_cbor_item *map)
{
    if (mdoc_map_need(ds, "nameSpaces", dns) != MOBID_OK ||
        mdoc_embedded(dns, false, map) != MOBID_OK || map->type != MOBID_CBOR_MAP)
        return fail(c, MOBID_ERR_MALFORMED, "deviceSigned.nameSpaces is not DeviceNameSpacesBytes");
    return MOBID_OK;
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

static mobid_err verify_document(vctx *c, const mobid_cbor_item *doc, mobid_mdoc_doc *d)
{
    mobid_cbor_item is, ds, ns_map, dns, dns_map, errors;
    mso_view m;
    size_t n = 0;
    bool has_ns;
    mobid_err err;
    if (doc->type != MOBID_CBOR_MAP || mdoc_map_text(doc, "docType", &d->doctype) != MOBID_OK ||
        mdoc_map_need(doc, "issuerSigned", &is) != MOBID_OK || is.type != MOBID_CBOR_MAP ||
        mdoc_map_need(doc, "deviceSigned", &ds) != MOBID_OK || ds.type != MOBID_CBOR_MAP)
        return fail(c, MOBID_ERR_MALFORMED, "not a Document");
    if (c->o->expect_doctype && !mobid_view_eq_str(d->doctype, c->o->expect_doctype))
        return fail(c, MOBID_ERR_DOCTYPE_MISMATCH, "expected docType %s", c->o->expect_doctype);
    if (mobid_cbor_map_get_text(doc, "errors", &errors) == MOBID_OK)
        d->errors = errors.span;
    err = check_issuer(c, &is, d->doctype, &m, d);
    if (err != MOBID_OK)
        return err;
    has_ns = mobid_cbor_map_get_text(&is, "nameSpaces", &ns_map) == MOBID_OK;
    if (has_ns && ns_map.type != MOBID_CBOR_MAP)
        return fail(c, MOBID_ERR_MALFORMED, "issuerSigned.nameSpaces is not a map");
    err = device_namespaces(c, &ds, &dns, &dns_map);
    if (err == MOBID_OK && ((has_ns && count_items(&ns_map, &n) != MOBID_OK) ||
                            count_items(&dns_map, &n) != MOBID_OK))
        err = fail(c, MOBID_ERR_MALFORMED, "nameSpaces hold too many or malformed items");
    if (err != MOBID_OK)
        return err;
    d->items = mobid_calloc(n + 1, sizeof *d->items);
    if (!d->items)
        return fail(c, MOBID_ERR_NOMEM, "out of memory");
    if (has_ns)
        err = check_issuer_items(c, &m, &ns_map, d);
    if (err == MOBID_OK)
        err = check_device_auth(c, &m, &ds, &dns, d->doctype);
    if (err == MOBID_OK)
        err = add_device_items(c, &dns_map, d);
    return err;
}

/* DeviceResponse = {version, ? documents, ? documentErrors, status}. */
static mobid_err check_response(vctx *c, const mobid_cbor_item *top, mobid_cbor_item *docs)
{
    mobid_cbor_item it;
    mobid_view version;
    uint64_t status;
    if (top->type != MOBID_CBOR_MAP || mdoc_map_text(top, "version", &version) != MOBID_OK ||
        version.len < 2 || memcmp(version.ptr, "1.", 2))
        return fail(c, MOBID_ERR_MALFORMED, "not a DeviceResponse version 1.x");
    c->res->version = version;
    if (mdoc_map_need(top, "status", &it) != MOBID_OK ||
        mobid_cbor_get_uint64(&it, &status) != MOBID_OK)
        return fail(c, MOBID_ERR_MALFORMED, "DeviceResponse has no status");
    if (mobid_cbor_map_get_text(top, "documentErrors", &it) == MOBID_OK)
        c->res->document_errors = it.span;
    if (status != 0)
        return fail(c, MOBID_ERR_DOCUMENT_ERROR, "DeviceResponse status %llu",
                    (unsigned long long)status);
    if (mobid_cbor_map_get_text(top, "documents", docs) != MOBID_OK)
        return fail(c, MOBID_ERR_DOCUMENT_ERROR, "DeviceResponse holds no documents");
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
        mdoc_map_need(&is, "issuerAuth", &ia) != MOBID_OK ||
        mobid_cose_sign1_from_item(&ia, &s) != MOBID_OK)
        return MOBID_ERR_MALFORMED;
    /* The MSO names the docType; compare it with itself. */
    mobid_cbor_item payload, mso;
    if (s.detached || mobid_cbor_decode_exact(s.payload, &mdoc_limits, &payload) != MOBID_OK ||
        mdoc_embedded(&payload, true, &mso) != MOBID_OK || mso.type != MOBID_CBOR_MAP ||
        mdoc_map_text(&mso, "docType", &out->doctype) != MOBID_OK)
        return MOBID_ERR_MALFORMED;
    err = parse_mso(&c, &s, out->doctype, &m, out);
    if (err != MOBID_OK)
        return err;
    if (mobid_cbor_map_get_text(&is, "nameSpaces", &ns_map) != MOBID_OK)
        return MOBID_OK;
    if (ns_map.type != MOBID_CBOR_MAP || count_items(&ns_map, &n) != MOBID_OK)
        return MOBID_ERR_MALFORMED;
    out->items = mobid_calloc(n + 1, sizeof *out->items);
    if (!out->items)
        return MOBID_ERR_NOMEM;
    err = check_issuer_items(&c, &m, &ns_map, out);
    if (err != MOBID_OK)
        mobid_mdoc_doc_free(out);
    return err;
}

void mobid_mdoc_doc_free(mobid_mdoc_doc *d)
{
    if (!d)
        return;
    mobid_free(d->items);
    memset(d, 0, sizeof *d);
}
