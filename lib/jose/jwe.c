/* JWE compact (RFC 7516) with alg ECDH-ES (direct key agreement, RFC 7518 §4.6) and
 * enc A128GCM / A256GCM — what OpenID4VP direct_post.jwt uses. */
#include "jose_internal.h"

#include <string.h>

#define JWE_IV_LEN 12
#define JWE_TAG_LEN 16

mobid_jwe_enc mobid_jwe_enc_from_name(const char *name)
{
    if (name && !strcmp(name, "A128GCM"))
        return MOBID_JWE_A128GCM;
    if (name && !strcmp(name, "A256GCM"))
        return MOBID_JWE_A256GCM;
    return MOBID_JWE_ENC_NONE;
}

const char *mobid_jwe_enc_name(mobid_jwe_enc enc)
{
    return enc == MOBID_JWE_A128GCM ? "A128GCM" : enc == MOBID_JWE_A256GCM ? "A256GCM" : NULL;
}

static size_t enc_key_len(mobid_jwe_enc enc) { return enc == MOBID_JWE_A128GCM ? 16 : 32; }

static void be32(uint8_t out[4], uint32_t v)
{
    out[0] = (uint8_t)(v >> 24);
    out[1] = (uint8_t)(v >> 16);
    out[2] = (uint8_t)(v >> 8);
    out[3] = (uint8_t)v;
}

mobid_err mobid_jwe_concat_kdf(mobid_view z, const char *alg_id, mobid_view apu,
                               mobid_view apv, uint8_t *out, size_t keylen)
{
    uint8_t counter[4], l_alg[4], l_apu[4], l_apv[4], supp_pub[4], md[MOBID_HASH_MAX];
    mobid_err err = MOBID_OK;

    if (!alg_id || !out || keylen == 0 || keylen > UINT32_MAX / 8 || apu.len > UINT32_MAX ||
        apv.len > UINT32_MAX)
        return MOBID_ERR_INVALID_ARG;
    mobid_view alg = mobid_view_str(alg_id);
    /* OtherInfo = AlgorithmID || PartyUInfo || PartyVInfo || SuppPubInfo, each of
     * the first three a 32-bit big-endian length and the bytes (NIST SP 800-56A). */
    be32(l_alg, (uint32_t)alg.len);
    be32(l_apu, (uint32_t)apu.len);
    be32(l_apv, (uint32_t)apv.len);
    be32(supp_pub, (uint32_t)(keylen * 8));
    for (uint32_t round = 1, have = 0; have < keylen && err == MOBID_OK; round++) {
        be32(counter, round);
        mobid_view parts[] = {
            mobid_view_make(counter, 4), z,   mobid_view_make(l_alg, 4), alg,
            mobid_view_make(l_apu, 4),   apu, mobid_view_make(l_apv, 4), apv,
            mobid_view_make(supp_pub, 4),
        };
        err = mobid_hash_parts(MOBID_HASH_SHA256, parts, sizeof parts / sizeof parts[0], md);
        size_t take = keylen - have < 32 ? keylen - have : 32;
        if (err == MOBID_OK)
            memcpy(out + have, md, take);
        have += (uint32_t)take;
    }
    mobid_wipe(md, sizeof md);
    return err;
}

/* Members mobid_jwe_encrypt sets itself; extra_header may not repeat them. */
static bool reserved_member(const char *k)
{
    static const char *const names[] = { "alg", "enc", "epk", "apu", "apv", "kid", "zip",
                                         "crit" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(k, names[i]))
            return true;
    return false;
}

/* Add base64url(v) as member name unless v is empty. */
static mobid_err set_b64_opt(json_t *obj, const char *name, mobid_view v)
{
    mobid_buf b;
    mobid_err err = MOBID_OK;
    mobid_buf_init(&b, 0);
    if (v.len)
        err = mobid_b64url_encode(v, &b);
    if (err == MOBID_OK && v.len &&
        json_object_set_new(obj, name, json_stringn((const char *)b.ptr, b.len)) != 0)
        err = MOBID_ERR_NOMEM;
    mobid_buf_free(&b);
    return err;
}

/* {"alg":"ECDH-ES","enc":..,["kid":..,]"epk":{..},["apu":..,"apv":..,] extra...} */
static mobid_err encrypt_header(const mobid_jwe_params *p, const mobid_key *eph, json_t **out)
{
    json_t *hdr = json_object(), *epk = NULL, *v;
    const char *k;
    mobid_err err = MOBID_ERR_NOMEM;

    if (!hdr || json_object_set_new(hdr, "alg", json_string("ECDH-ES")) != 0 ||
        json_object_set_new(hdr, "enc", json_string(mobid_jwe_enc_name(p->enc))) != 0)
        goto done;
    if (p->kid && json_object_set_new(hdr, "kid", json_string(p->kid)) != 0)
        goto done;
    err = mobid_jwk_from_key(eph, false, &epk);
    if (err != MOBID_OK)
        goto done;
    err = MOBID_ERR_NOMEM;
    if (json_object_set_new(hdr, "epk", epk) != 0)
        goto done;
    err = set_b64_opt(hdr, "apu", p->apu);
    if (err == MOBID_OK)
        err = set_b64_opt(hdr, "apv", p->apv);
    if (err != MOBID_OK)
        goto done;
    err = MOBID_ERR_INVALID_ARG;
    if (p->extra_header && !json_is_object(p->extra_header))
        goto done;
    json_object_foreach((json_t *)p->extra_header, k, v) {
        err = reserved_member(k) ? MOBID_ERR_INVALID_ARG
              : json_object_set(hdr, k, v) != 0 ? MOBID_ERR_NOMEM : MOBID_OK;
        if (err != MOBID_OK)
            goto done;
    }
    *out = hdr;
    hdr = NULL;
    err = MOBID_OK;
done:
    json_decref(hdr);
    return err;
}

static bool ecdh_curve(mobid_curve c)
{
    return c == MOBID_CURVE_P256 || c == MOBID_CURVE_P384 || c == MOBID_CURVE_P521 ||
           c == MOBID_CURVE_X25519;
}

/* Z = ECDH(priv, pub), then the content key by Concat KDF. */
static mobid_err derive_cek(const mobid_key *priv, const mobid_key *pub, mobid_jwe_enc enc,
                            mobid_view apu, mobid_view apv, uint8_t cek[32])
{
    mobid_buf z;
    mobid_buf_init(&z, 256);
    mobid_err err = mobid_ecdh(priv, pub, &z);
    if (err == MOBID_OK)
        err = mobid_jwe_concat_kdf(mobid_buf_view(&z), mobid_jwe_enc_name(enc), apu, apv, cek,
                                   enc_key_len(enc));
    mobid_buf_free(&z);
    return err;
}

/* Append header_b64 '.' '' '.' iv '.' ciphertext '.' tag, encrypting on the way (the
 * AAD is the encoded header as it sits in out). */
static mobid_err seal(const json_t *hdr, const uint8_t *cek, size_t cek_len, mobid_view pt,
                      mobid_buf *out)
{
    uint8_t iv[JWE_IV_LEN], tag[JWE_TAG_LEN];
    mobid_buf ct;
    size_t start = out->len;
    mobid_err err;

    mobid_buf_init(&ct, MOBID_JOSE_MAX_COMPACT);
    err = mobid_random(iv, sizeof iv);
    if (err == MOBID_OK)
        err = mobid_jose_append_b64_json(hdr, out);
    if (err == MOBID_OK)
        err = mobid_aes_gcm_encrypt(mobid_view_make(cek, cek_len), mobid_view_make(iv, sizeof iv),
                                    mobid_view_make(out->ptr + start, out->len - start), pt, &ct,
                                    tag);
    if (err == MOBID_OK)
        err = mobid_buf_append_str(out, "..");
    if (err == MOBID_OK)
        err = mobid_b64url_encode(mobid_view_make(iv, sizeof iv), out);
    if (err == MOBID_OK)
        err = mobid_buf_append_byte(out, '.');
    if (err == MOBID_OK)
        err = mobid_b64url_encode(mobid_buf_view(&ct), out);
    if (err == MOBID_OK)
        err = mobid_buf_append_byte(out, '.');
    if (err == MOBID_OK)
        err = mobid_b64url_encode(mobid_view_make(tag, sizeof tag), out);
    mobid_buf_free(&ct);
    return err;
}

mobid_err mobid_jwe_encrypt(const mobid_key *recipient, const mobid_jwe_params *params,
                            mobid_view plaintext, mobid_buf *out)
{
    mobid_key *fresh = NULL;
    json_t *hdr = NULL;
    uint8_t cek[32];
    mobid_err err = MOBID_ERR_INVALID_ARG;

    if (!recipient || !params || !out || !mobid_jwe_enc_name(params->enc) ||
        (!plaintext.ptr && plaintext.len))
        goto done;
    err = MOBID_ERR_KEY_INVALID;
    mobid_curve curve = mobid_key_curve(recipient);
    if (!ecdh_curve(curve))
        goto done;
    if (!params->ephemeral) {
        err = mobid_key_generate(curve, &fresh);
        if (err != MOBID_OK)
            goto done;
    }
    const mobid_key *eph = params->ephemeral ? params->ephemeral : fresh;
    err = MOBID_ERR_KEY_INVALID;
    if (mobid_key_curve(eph) != curve || !mobid_key_has_private(eph))
        goto done;
    err = encrypt_header(params, eph, &hdr);
    if (err == MOBID_OK)
        err = derive_cek(eph, recipient, params->enc, params->apu, params->apv, cek);
    if (err == MOBID_OK)
        err = seal(hdr, cek, enc_key_len(params->enc), plaintext, out);
done:
    mobid_wipe(cek, sizeof cek);
    json_decref(hdr);
    mobid_key_free(fresh);
    return err;
}

/* What the protected header of a JWE to decrypt says, checked. */
typedef struct jwe_in {
    json_t *hdr;
    mobid_jwe_enc enc;
    mobid_key *epk;
    mobid_buf apu, apv;
} jwe_in;

static void jwe_in_clear(jwe_in *in)
{
    json_decref(in->hdr);
    mobid_key_free(in->epk);
    mobid_buf_free(&in->apu);
    mobid_buf_free(&in->apv);
}

/* Optional base64url member: absent is fine, anything else must decode. */
static mobid_err opt_b64(const json_t *hdr, const char *name, mobid_buf *out)
{
    mobid_err err = mobid_jose_b64_member(hdr, name, out);
    return err == MOBID_ERR_NOT_FOUND ? MOBID_OK : err;
}

static mobid_err read_header(mobid_view b64, const mobid_key *recipient, jwe_in *in)
{
    mobid_err err = mobid_jose_decode_header(b64, &in->hdr);
    if (err != MOBID_OK)
        return err;
    const json_t *alg = json_object_get(in->hdr, "alg");
    const json_t *enc = json_object_get(in->hdr, "enc");
    const json_t *epk = json_object_get(in->hdr, "epk");
    if (!json_is_string(alg) || !json_is_string(enc) || !json_is_object(epk))
        return MOBID_ERR_MALFORMED;
    if (strcmp(json_string_value(alg), "ECDH-ES"))
        return MOBID_ERR_ALG_NOT_ALLOWED;
    in->enc = mobid_jwe_enc_from_name(json_string_value(enc));
    if (in->enc == MOBID_JWE_ENC_NONE || json_object_get(in->hdr, "zip"))
        return MOBID_ERR_UNSUPPORTED;
    /* An ephemeral public key carrying a private part is not what a sender makes. */
    if (json_object_get(epk, "d"))
        return MOBID_ERR_MALFORMED;
    err = mobid_jwk_to_key(epk, &in->epk);
    if (err != MOBID_OK)
        return err;
    if (mobid_key_curve(in->epk) != mobid_key_curve(recipient))
        return MOBID_ERR_KEY_INVALID;
    err = opt_b64(in->hdr, "apu", &in->apu);
    if (err == MOBID_OK)
        err = opt_b64(in->hdr, "apv", &in->apv);
    return err;
}

/* Decode part into out and require exactly len bytes (0 = any length). */
static mobid_err fixed_part(mobid_view part, size_t len, mobid_buf *out)
{
    mobid_err err = mobid_b64url_decode(part, out);
    if (err == MOBID_ERR_TOO_BIG || (err == MOBID_OK && len && out->len != len))
        return MOBID_ERR_MALFORMED;
    return err;
}

mobid_err mobid_jwe_decrypt(mobid_view compact, const mobid_key *recipient, json_t **header,
                            mobid_buf *plaintext)
{
    mobid_view parts[5];
    jwe_in in = { 0 };
    mobid_buf iv, ct, tag;
    uint8_t cek[32];
    mobid_err err = MOBID_ERR_INVALID_ARG;

    mobid_buf_init(&in.apu, 4096);
    mobid_buf_init(&in.apv, 4096);
    mobid_buf_init(&iv, 64);
    mobid_buf_init(&tag, 64);
    mobid_buf_init(&ct, MOBID_JOSE_MAX_COMPACT);
    if (header)
        *header = NULL;
    if (!recipient || !plaintext || (!compact.ptr && compact.len))
        goto done;
    err = MOBID_ERR_KEY_INVALID;
    if (!ecdh_curve(mobid_key_curve(recipient)) || !mobid_key_has_private(recipient))
        goto done;
    err = MOBID_ERR_TOO_BIG;
    if (compact.len > MOBID_JOSE_MAX_COMPACT)
        goto done;
    err = mobid_jose_split(compact, parts, 5);
    if (err == MOBID_OK)
        err = read_header(parts[0], recipient, &in);
    if (err != MOBID_OK)
        goto done;
    /* Direct key agreement: the CEK is derived, so there is no encrypted key. */
    err = MOBID_ERR_MALFORMED;
    if (parts[1].len != 0)
        goto done;
    err = fixed_part(parts[2], JWE_IV_LEN, &iv);
    if (err == MOBID_OK)
        err = fixed_part(parts[3], 0, &ct);
    if (err == MOBID_OK)
        err = fixed_part(parts[4], JWE_TAG_LEN, &tag);
    if (err == MOBID_OK)
        err = derive_cek(recipient, in.epk, in.enc, mobid_buf_view(&in.apu),
                         mobid_buf_view(&in.apv), cek);
    if (err == MOBID_OK)
        err = mobid_aes_gcm_decrypt(mobid_view_make(cek, enc_key_len(in.enc)),
                                    mobid_buf_view(&iv), parts[0], mobid_buf_view(&ct),
                                    mobid_buf_view(&tag), plaintext);
    if (err == MOBID_OK && header) {
        *header = in.hdr;
        in.hdr = NULL;
    }
done:
    mobid_wipe(cek, sizeof cek);
    jwe_in_clear(&in);
    mobid_buf_free(&iv);
    mobid_buf_free(&ct);
    mobid_buf_free(&tag);
    return err;
}
