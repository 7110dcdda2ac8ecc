/* Verifying an SD-JWT VC presentation (RFC 9901 §7.1, §7.3; SD-JWT VC §3). */
#include "sdjwt_internal.h"

#include <mobid/jose.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const mobid_alg default_algs[] = { MOBID_ALG_ES256, MOBID_ALG_ES384, MOBID_ALG_ES512,
                                          MOBID_ALG_EDDSA, MOBID_ALG_NONE };

/* Most disclosures kept on the stack; more go to the heap. */
#define STACK_DISCLOSURES 32

typedef struct vctx {
    const mobid_sdjwt_verify_opts *o;
    const mobid_alg *algs;
    mobid_time now;
    int64_t skew;
    mobid_sdjwt_result *res;
    json_t *san;          /* x5c leaf's DNS and URI SAN values, when the key came from x5c */
    mobid_view sd_hash_input;  /* set when a KB-JWT will need its sd_hash */
    bool has_sd_digest;        /* sd_digest = SHA-256 of sd_hash_input */
    uint8_t sd_digest[MOBID_HASH_MAX];
} vctx;

static mobid_err vfail(vctx *v, mobid_err err, const char *fmt, const char *arg)
{
    snprintf(v->res->detail, sizeof v->res->detail, fmt, arg ? arg : "");
    return err;
}

static bool alg_allowed(const mobid_alg *algs, mobid_alg a)
{
    for (; a != MOBID_ALG_NONE && *algs != MOBID_ALG_NONE; algs++)
        if (*algs == a)
            return true;
    return false;
}

/* typ: dc+sd-jwt, or the transitional vc+sd-jwt, unless the caller says otherwise. */
static mobid_err check_typ(vctx *v, const json_t *header, const char *want)
{
    const char *typ = json_string_value(json_object_get(header, "typ"));
    bool ok;
    if (want && !*want)
        ok = true;
    else if (want)
        ok = typ && !strcmp(typ, want);
    else
        ok = typ && (!strcmp(typ, "dc+sd-jwt") || !strcmp(typ, "vc+sd-jwt"));
    return ok ? MOBID_OK : vfail(v, MOBID_ERR_TYPE_MISMATCH, "issuer JWT typ is %s",
                                 typ ? typ : "missing");
}

/* The DNS and URI subjectAltName values of a certificate as a JSON array. */
static json_t *san_array(const mobid_cert *leaf)
{
    char **san = NULL;
    size_t n = 0;
    json_t *arr = json_array();
    if (arr && mobid_cert_san(leaf, &san, &n) == MOBID_OK) {
        for (size_t i = 0; i < n; i++) {
            json_array_append_new(arr, json_string(san[i]));
            free(san[i]);
        }
        free(san);
    }
    return arr;
}

/* SD-JWT VC §3.5: with x5c, iss must be a URI SAN of the leaf; "dns:NAME", and (as
 * HAIP allows) an https URL, match by their host name against a DNS SAN. No iss, or a
 * key given by the caller, needs no match. */
static mobid_err check_iss(vctx *v, const json_t *claims)
{
    const char *iss = json_string_value(json_object_get(claims, "iss"));
    if (!v->san || !json_object_get(claims, "iss"))
        return MOBID_OK;
    if (!iss)
        return vfail(v, MOBID_ERR_MALFORMED, "iss is not a string%s", NULL);
    const char *host = NULL;
    size_t host_len = 0;
    if (!strncmp(iss, "dns:", 4))
        host = iss + 4;
    else if (!strncmp(iss, "https://", 8))
        host = iss + 8;
    if (host)
        host_len = strcspn(host, "/:?#");
    size_t i;
    json_t *s;
    json_array_foreach(v->san, i, s) {
        const char *name = json_string_value(s);
        if (!strcmp(name, iss) ||
            (host && !strstr(name, "://") && strlen(name) == host_len &&
             !strncmp(name, host, host_len)))
            return MOBID_OK;
    }
    return vfail(v, MOBID_ERR_UNTRUSTED_ISSUER, "iss %s does not match the DS certificate", iss);
}

/* An iss the trust set names by identifier: the key its metadata publishes under the
 * header's kid. *used tells whether this route applied. */
static mobid_err metadata_key(vctx *v, const mobid_jws *jws, bool *used, mobid_key **key)
{
    json_t *payload = NULL;
    mobid_err err = MOBID_OK;
    *used = false;
    if (!v->o->issuers ||
        mobid_json_parse(mobid_buf_view(&jws->payload), MOBID_SDJWT_MAX_INPUT, &payload))
        return MOBID_OK; /* a payload that does not parse is reported later */
    const char *iss = json_string_value(json_object_get(payload, "iss"));
    if (iss && mobid_trust_has_issuer(v->o->trust, iss)) {
        *used = true;
        err = mobid_sdjwt_issuer_key(v->o->issuers, iss,
                                     json_string_value(json_object_get(jws->header, "kid")),
                                     v->now, key, v->res->detail, sizeof v->res->detail);
    }
    json_decref(payload);
    return err;
}

/* The issuer's key: the one given, the one the metadata of an issuer trusted by
 * identifier publishes, or the x5c leaf's once the chain is trusted. */
static mobid_err issuer_key(vctx *v, const mobid_jws *jws, mobid_key **key)
{
    bool by_metadata = false;
    if (v->o->issuer_key) {
        *key = mobid_key_ref((mobid_key *)v->o->issuer_key);
        return MOBID_OK;
    }
    if (!v->o->trust)
        return vfail(v, MOBID_ERR_INVALID_ARG, "no trust anchors and no issuer key%s", NULL);
    mobid_err merr = metadata_key(v, jws, &by_metadata, key);
    if (by_metadata)
        return merr;
    mobid_cert **chain = NULL;
    size_t n = 0;
    mobid_err err = mobid_jose_header_x5c(jws->header, &chain, &n);
    if (err == MOBID_ERR_NOT_FOUND)
        err = vfail(v, MOBID_ERR_UNTRUSTED_ISSUER, "issuer JWT has no x5c header%s", NULL);
    else if (err != MOBID_OK)
        err = vfail(v, err, "x5c header is unusable%s", NULL);
    if (err == MOBID_OK) {
        err = mobid_trust_verify_chain(v->o->trust, chain, n, v->now, MOBID_PURPOSE_SIGNING);
        if (err != MOBID_OK)
            vfail(v, err, "x5c chain: %s", mobid_strerror(err));
    }
    if (err == MOBID_OK)
        err = mobid_cert_public_key(chain[0], key);
    if (err == MOBID_OK && !(v->san = san_array(chain[0])))
        err = MOBID_ERR_NOMEM;
    if (err == MOBID_OK)
        mobid_sdjwt_cache_put(v->o->cache, v->o->trust, jws, chain, n, *key, v->san, v->now);
    mobid_cert_list_free(chain, n);
    return err;
}

/* With a cache and a header seen before: the parsed header and the issuer key from the
 * cache, and the rest of the compact JWS decoded here (jws is then as mobid_jws_parse
 * fills it). Returns false on a cache miss or when the parts do not decode. */
static bool from_cache(vctx *v, mobid_view jwt, mobid_jws *jws, mobid_key **key)
{
    if (!v->o->cache || !v->o->trust || v->o->issuer_key)
        return false;
    const uint8_t *d1 = memchr(jwt.ptr, '.', jwt.len);
    const uint8_t *d2 = d1 ? memchr(d1 + 1, '.', jwt.len - (size_t)(d1 + 1 - jwt.ptr)) : NULL;
    if (!d2)
        return false;
    jws->header_b64 = mobid_view_make(jwt.ptr, (size_t)(d1 - jwt.ptr));
    if (!mobid_sdjwt_cache_get(v->o->cache, v->o->trust, jws->header_b64, v->now, &jws->header,
                               &jws->alg, key, &v->san))
        return false;
    jws->payload_b64 = mobid_view_make(d1 + 1, (size_t)(d2 - d1 - 1));
    jws->signature_b64 = mobid_view_make(d2 + 1, jwt.len - (size_t)(d2 + 1 - jwt.ptr));
    jws->signing_input = mobid_view_make(jwt.ptr, (size_t)(d2 - jwt.ptr));
    mobid_buf_init(&jws->payload, MOBID_JOSE_MAX_COMPACT);
    mobid_buf_init(&jws->sig, 0);
    if (mobid_b64url_decode(jws->payload_b64, &jws->payload) == MOBID_OK &&
        mobid_b64url_decode(jws->signature_b64, &jws->sig) == MOBID_OK)
        return true;
    /* Let the full parse report what is wrong. */
    mobid_jws_clear(jws);
    mobid_key_free(*key);
    *key = NULL;
    json_decref(v->san);
    v->san = NULL;
    return false;
}

/* The issuer signature (mobid_jws_verify's checks and codes). For ES256 with a KB-JWT to
 * come, the signing input and the sd_hash input, which starts with it, are hashed in one
 * pass: a kilobyte less to hash per verification. */
static mobid_err issuer_signature(vctx *v, const mobid_jws *jws, const mobid_key *key)
{
    mobid_view si = jws->signing_input, all = v->sd_hash_input;
    uint8_t dg[MOBID_HASH_MAX];
    if (jws->alg != MOBID_ALG_ES256 || !all.ptr || all.ptr != si.ptr || all.len < si.len)
        return mobid_jws_verify(jws, key, v->algs);
    mobid_err err = mobid_hash_prefix(MOBID_HASH_SHA256, si,
                                      mobid_view_make(si.ptr + si.len, all.len - si.len), dg,
                                      v->sd_digest);
    if (err != MOBID_OK)
        return err;
    v->has_sd_digest = true;
    /* Same checks as mobid_verify: the key's curve must be the alg's, the signature raw. */
    return mobid_verify_digest(key, jws->alg, mobid_view_make(dg, 32), mobid_buf_view(&jws->sig));
}

static mobid_err verify_issuer_jwt(vctx *v, mobid_view jwt, mobid_jws *jws)
{
    mobid_key *key = NULL;
    bool cached = from_cache(v, jwt, jws, &key);
    mobid_err err = cached ? MOBID_OK : mobid_jws_parse(jwt, jws);
    if (err != MOBID_OK)
        return vfail(v, err, "issuer JWT cannot be parsed%s", NULL);
    if (!alg_allowed(v->algs, jws->alg)) {
        mobid_key_free(key);
        return vfail(v, MOBID_ERR_ALG_NOT_ALLOWED, "issuer JWT alg %s is not allowed",
                     json_string_value(json_object_get(jws->header, "alg")));
    }
    err = check_typ(v, jws->header, v->o->typ);
    if (err == MOBID_OK && !cached)
        err = issuer_key(v, jws, &key);
    if (err == MOBID_OK) {
        err = issuer_signature(v, jws, key);
        if (err == MOBID_ERR_SIGNATURE_INVALID || err == MOBID_ERR_KEY_INVALID)
            err = vfail(v, MOBID_ERR_ISSUER_SIGNATURE_INVALID,
                        "issuer signature does not verify%s", NULL);
        else if (err != MOBID_OK)
            vfail(v, err, "issuer signature: %s", mobid_strerror(err));
    }
    mobid_key_free(key);
    return err;
}

/* A NumericDate member, or absent (*present false). */
static mobid_err numeric_date(vctx *v, const json_t *obj, const char *name, mobid_time *t,
                              bool *present)
{
    json_t *j = json_object_get(obj, name);
    *present = j != NULL;
    if (!j)
        return MOBID_OK;
    if (!json_is_number(j))
        return vfail(v, MOBID_ERR_MALFORMED, "%s is not a number", name);
    *t = (mobid_time)json_number_value(j);
    return MOBID_OK;
}

static mobid_err check_times(vctx *v, const json_t *payload)
{
    mobid_time iat = 0, nbf = 0, exp = 0;
    bool has_iat, has_nbf, has_exp;
    mobid_err err = numeric_date(v, payload, "iat", &iat, &has_iat);
    if (err == MOBID_OK)
        err = numeric_date(v, payload, "nbf", &nbf, &has_nbf);
    if (err == MOBID_OK)
        err = numeric_date(v, payload, "exp", &exp, &has_exp);
    if (err != MOBID_OK)
        return err;
    if (has_iat && iat > v->now + v->skew)
        return vfail(v, MOBID_ERR_NOT_YET_VALID, "issued in the future%s", NULL);
    if (has_nbf && nbf > v->now + v->skew)
        return vfail(v, MOBID_ERR_NOT_YET_VALID, "not valid before nbf%s", NULL);
    if (has_exp && exp <= v->now - v->skew)
        return vfail(v, MOBID_ERR_EXPIRED, "expired (exp passed)%s", NULL);
    return MOBID_OK;
}

/* Decode the payload, process the disclosures and check the times. */
static mobid_err process_claims(vctx *v, const mobid_jws *jws, const mobid_view *discs,
                                size_t n, sd_set *set, mobid_hash_alg *hash)
{
    json_t *payload = NULL;
    mobid_err err = mobid_json_parse(mobid_buf_view(&jws->payload), MOBID_SDJWT_MAX_INPUT,
                                     &payload);
    if (err != MOBID_OK || !json_is_object(payload)) {
        json_decref(payload);
        return vfail(v, err ? err : MOBID_ERR_MALFORMED, "payload is not a JSON object%s",
                     NULL);
    }
    v->res->claims = payload;
    err = mobid_sdjwt_take_hash_alg(payload, hash, v->res->detail, sizeof v->res->detail);
    if (err == MOBID_OK)
        err = mobid_sdjwt_set_load(set, discs, n, *hash, v->res->detail, sizeof v->res->detail);
    if (err == MOBID_OK)
        err = mobid_sdjwt_process(set, payload, false, v->res->detail, sizeof v->res->detail);
    if (err == MOBID_OK)
        err = check_iss(v, payload);
    /* SD-JWT VC §3.2.2.1: an SD-JWT VC names its type, in the clear. */
    if (err == MOBID_OK && !(v->o->typ && !*v->o->typ) &&
        !json_is_string(json_object_get(payload, "vct")))
        err = vfail(v, MOBID_ERR_CLAIM_MISSING, "an SD-JWT VC needs a string vct%s", NULL);
    if (err == MOBID_OK)
        err = check_times(v, payload);
    return err;
}

mobid_err mobid_sdjwt_verify(mobid_view pres, const mobid_sdjwt_verify_opts *o,
                             mobid_sdjwt_result *res)
{
    if (!res)
        return MOBID_ERR_INVALID_ARG;
    memset(res, 0, sizeof *res);
    if (!o)
        return MOBID_ERR_INVALID_ARG;
    vctx v = { .o = o, .algs = o->algs ? o->algs : default_algs, .res = res,
               .now = o->now ? o->now : mobid_now(), .skew = o->skew < 0 ? 60 : o->skew };
    mobid_view stack_discs[STACK_DISCLOSURES], *discs = stack_discs;
    mobid_sdjwt_parts parts;
    mobid_jws jws;
    memset(&jws, 0, sizeof jws);
    sd_set set;
    memset(&set, 0, sizeof set);
    mobid_hash_alg hash = MOBID_HASH_SHA256;
    mobid_err err = mobid_sdjwt_split(pres, &parts, discs, STACK_DISCLOSURES);
    if (err == MOBID_ERR_BUFFER_TOO_SMALL) {
        discs = mobid_calloc(parts.n_disclosures, sizeof *discs);
        err = discs ? mobid_sdjwt_split(pres, &parts, discs, parts.n_disclosures)
                    : MOBID_ERR_NOMEM;
    }
    if (err != MOBID_OK) {
        vfail(&v, err, "not an SD-JWT presentation%s", NULL);
        goto done;
    }
    if (parts.kb.len > 0)
        v.sd_hash_input = parts.sd_hash_input;
    err = verify_issuer_jwt(&v, parts.jwt, &jws);
    if (err == MOBID_OK)
        err = process_claims(&v, &jws, discs, parts.n_disclosures, &set, &hash);
    if (err == MOBID_OK && parts.kb.len == 0 && o->require_kb)
        err = vfail(&v, MOBID_ERR_KB_MISSING, "key binding JWT required but absent%s", NULL);
    if (err == MOBID_OK && parts.kb.len > 0) {
        const uint8_t *sd_digest =
            v.has_sd_digest && hash == MOBID_HASH_SHA256 ? v.sd_digest : NULL;
        err = mobid_sdjwt_verify_kb(&parts, res->claims, hash, sd_digest, v.algs, v.now,
                                    v.skew, o, res->detail, sizeof res->detail);
        res->key_bound = err == MOBID_OK;
    }
done:
    if (err == MOBID_OK) {
        res->header = json_incref(jws.header);
        res->detail[0] = 0;
    } else {
        json_decref(res->claims);
        res->claims = NULL;
    }
    json_decref(v.san);
    mobid_sdjwt_set_clear(&set);
    mobid_jws_clear(&jws);
    if (discs != stack_discs)
        mobid_free(discs);
    return err;
}

void mobid_sdjwt_result_clear(mobid_sdjwt_result *res)
{
    if (!res)
        return;
    json_decref(res->claims);
    json_decref(res->header);
    memset(res, 0, sizeof *res);
}
