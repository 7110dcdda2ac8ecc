/*
 * The wallet blob: scrypt(PIN) -> AES-256-GCM vault, the wrong-PIN counter and the
 * trust anchors. Nothing secret or personal is ever written outside the vault.
 *
 * Format 2. Keys: s = scrypt(PIN, salt), d = the device's secret (io->device_secret:
 * a keystore or TPM key on a phone; absent = empty), then HKDF-SHA-256(salt d, ikm s)
 * gives the vault key, a MAC key and a PIN-check key. In the clear beside the vault:
 *   kcv       the first 16 bytes of HMAC(check key, "pin check"): a wrong PIN is told
 *             from a damaged file (an attacker learns nothing the GCM tag did not tell);
 *   mac       HMAC(MAC key) over format, version, KDF parameters, device_bound and the
 *             trust anchors: swapped anchors or a weakened KDF are found at unlock,
 *             before anything leaves the wallet (WALLET_TAMPERED, not PIN_WRONG);
 *   lock_mac  (device-bound wallets) HMAC over the wrong-PIN counter, the trust anchors
 *             and the KDF under a key from d alone, checked on every open: the counter
 *             cannot be edited, and swapped anchors are refused before any use.
 * The counter must be a number from 0 to MOBID_WALLET_MAX_TRIES, the KDF at least
 * MOBID_WALLET_SCRYPT_N_MIN; anything else is WALLET_TAMPERED. Without a device
 * secret the file alone allows an offline PIN search and a restored old copy resets
 * the counter (docs/security.md says so); format 1 files are refused (UNSUPPORTED).
 */
#include <stdio.h>
#include <string.h>

#include <mobid/jose.h>
#include <mobid/kdf.h>
#include "wallet_internal.h"

#define WL_FORMAT "mobid-wallet"
#define WL_VERSION 2
#define WL_SCRYPT_N ((uint64_t)1 << 15)
#define WL_SCRYPT_R 8
#define WL_SCRYPT_P 1
#define WL_SALT_LEN 16
/* Bound what a tampered blob can make the KDF cost (2^20 * 8 * 128 = 1 GiB). */
#define WL_SCRYPT_N_MAX ((uint64_t)1 << 20)

/* The AAD binds the ciphertext to this format and the KDF salt. */
static const char wl_aad_prefix[] = "mobid-wallet-v2:";

mobid_time wl_now(const mobid_wallet_io *io)
{
    return io->now ? io->now(io->ctx) : mobid_now();
}

static bool pin_ok(const char *pin)
{
    if (strlen(pin) != MOBID_WALLET_PIN_LEN)
        return false;
    for (size_t i = 0; i < MOBID_WALLET_PIN_LEN; i++)
        if (pin[i] < '0' || pin[i] > '9')
            return false;
    return true;
}

/* A PIN anyone tries first: one digit repeated, a run up or down (123456, 987654), or a
 * pattern of two or three digits repeated (121212, 123123). */
static bool pin_trivial(const char *pin)
{
    bool up = true, down = true, period2 = true, period3 = true;

    for (size_t i = 1; i < MOBID_WALLET_PIN_LEN; i++) {
        up &= pin[i] == pin[i - 1] + 1;
        down &= pin[i] == pin[i - 1] - 1;
        period2 &= i < 2 || pin[i] == pin[i - 2];
        period3 &= i < 3 || pin[i] == pin[i - 3];
    }
    return up || down || period2 || period3; /* period 2 covers a repeated digit */
}

static mobid_err json_set_b64(json_t *obj, const char *name, mobid_view v)
{
    mobid_buf b;
    mobid_err err;

    mobid_buf_init(&b, 0);
    err = mobid_b64url_encode(v, &b);
    if (!err)
        err = mobid_buf_terminate(&b);
    if (!err && json_object_set_new(obj, name, json_string((const char *)b.ptr)) != 0)
        err = MOBID_ERR_NOMEM;
    mobid_buf_free(&b);
    return err;
}

static mobid_err json_get_b64(const json_t *obj, const char *name, mobid_buf *out)
{
    const char *s = json_string_value(json_object_get(obj, name));

    if (!s)
        return MOBID_ERR_MALFORMED;
    return mobid_b64url_decode(mobid_view_str(s), out) ? MOBID_ERR_MALFORMED : MOBID_OK;
}

/* The KDF parameters of the blob, refused outside the range a wallet is made with. */
static mobid_err kdf_params(const json_t *outer, json_int_t *n, json_int_t *r, json_int_t *p,
                            mobid_buf *salt)
{
    const json_t *kdf = json_object_get(outer, "kdf");

    *n = json_integer_value(json_object_get(kdf, "n"));
    *r = json_integer_value(json_object_get(kdf, "r"));
    *p = json_integer_value(json_object_get(kdf, "p"));
    if (json_get_b64(kdf, "salt", salt) || !json_is_string(json_object_get(kdf, "alg")) ||
        strcmp(json_string_value(json_object_get(kdf, "alg")), "scrypt") != 0 ||
        (uint64_t)*n < MOBID_WALLET_SCRYPT_N_MIN || (uint64_t)*n > WL_SCRYPT_N_MAX ||
        (*n & (*n - 1)) || *r < 8 || *r > 32 || *p < 1 || *p > 4 || salt->len < WL_SALT_LEN)
        return MOBID_ERR_WALLET_TAMPERED;
    return MOBID_OK;
}

/* The vault, MAC and PIN-check keys from the PIN and the device's secret. */
static mobid_err derive_key(wl_wallet *w, const char *pin)
{
    json_int_t n, r, p;
    mobid_buf salt;
    uint8_t s[32], okm[96];
    mobid_err err;

    mobid_buf_init(&salt, 64);
    err = kdf_params(w->outer, &n, &r, &p, &salt);
    if (!err)
        err = mobid_scrypt(mobid_view_str(pin), mobid_buf_view(&salt), (uint64_t)n,
                           (uint64_t)r, (uint64_t)p, s, sizeof s);
    if (!err)
        err = mobid_hkdf(MOBID_HASH_SHA256, mobid_view_make(w->dev, w->has_dev ? 32 : 0),
                         mobid_view_make(s, sizeof s), mobid_view_str("mobid-wallet-v2 keys"),
                         okm, sizeof okm);
    if (!err) {
        memcpy(w->key, okm, 32);
        memcpy(w->mac_key, okm + 32, 32);
        memcpy(w->check_key, okm + 64, 32);
    }
    mobid_wipe(s, sizeof s);
    mobid_wipe(okm, sizeof okm);
    mobid_buf_free(&salt);
    return err;
}

static mobid_err hmac_b64(const uint8_t key[32], mobid_view msg, size_t len, mobid_buf *out)
{
    uint8_t mac[MOBID_HASH_MAX];
    mobid_err err = mobid_hmac(MOBID_HASH_SHA256, mobid_view_make(key, 32), &msg, 1, mac);
    if (!err)
        err = mobid_b64url_encode(mobid_view_make(mac, len), out);
    if (!err)
        err = mobid_buf_terminate(out);
    return err;
}

/* "kcv" and "mac" as they should be for the keys in w. */
static mobid_err integrity_values(const wl_wallet *w, mobid_buf *kcv, mobid_buf *mac)
{
    json_t *signed_part = json_pack("{s:O?,s:O?,s:O?,s:O?,s:O?}", "format",
                                    json_object_get(w->outer, "format"), "version",
                                    json_object_get(w->outer, "version"), "kdf",
                                    json_object_get(w->outer, "kdf"), "device_bound",
                                    json_object_get(w->outer, "device_bound"), "trust",
                                    json_object_get(w->outer, "trust"));
    mobid_buf text;
    mobid_err err = signed_part ? MOBID_OK : MOBID_ERR_NOMEM;

    mobid_buf_init(&text, MOBID_WALLET_MAX_BLOB);
    if (!err)
        err = mobid_json_dump(signed_part, true, &text);
    if (!err)
        err = hmac_b64(w->check_key, mobid_view_str("pin check"), 16, kcv);
    if (!err)
        err = hmac_b64(w->mac_key, mobid_buf_view(&text), 32, mac);
    json_decref(signed_part);
    mobid_buf_free(&text);
    return err;
}

static bool member_is(const json_t *outer, const char *name, const mobid_buf *want)
{
    const char *got = json_string_value(json_object_get(outer, name));
    return got && mobid_ct_eq(mobid_view_str(got), mobid_buf_view(want));
}

/* The device MAC of a device-bound wallet, under a key from the device secret and the
 * salt: over the wrong-PIN counter (it cannot be edited back) and over the trust
 * anchors and KDF, so swapped anchors are refused at open, before a request is
 * verified against them or anything is shown (the PIN MAC only speaks after the PIN). */
static mobid_err lock_mac(const wl_wallet *w, mobid_buf *out)
{
    uint8_t key[32];
    const char *salt = json_string_value(json_object_get(json_object_get(w->outer, "kdf"), "salt"));
    json_t *part = json_pack("{s:O?,s:b,s:O?,s:O?}", "failed",
                             json_object_get(w->outer, "failed"), "locked",
                             json_is_true(json_object_get(w->outer, "locked")), "trust",
                             json_object_get(w->outer, "trust"), "kdf",
                             json_object_get(w->outer, "kdf"));
    mobid_buf text;
    mobid_err err = !salt ? MOBID_ERR_WALLET_TAMPERED : part ? MOBID_OK : MOBID_ERR_NOMEM;

    mobid_buf_init(&text, MOBID_WALLET_MAX_BLOB);
    if (!err)
        err = mobid_json_dump(part, true, &text);
    if (!err)
        err = mobid_hkdf(MOBID_HASH_SHA256, mobid_view_str(salt), mobid_view_make(w->dev, 32),
                         mobid_view_str("mobid-wallet-v2 device"), key, sizeof key);
    if (!err)
        err = hmac_b64(key, mobid_buf_view(&text), 32, out);
    mobid_wipe(key, sizeof key);
    mobid_buf_free(&text);
    json_decref(part);
    return err;
}

static mobid_err make_aad(const json_t *outer, mobid_buf *aad)
{
    const char *salt = json_string_value(json_object_get(json_object_get(outer, "kdf"),
                                                         "salt"));

    if (!salt)
        return MOBID_ERR_MALFORMED;
    mobid_buf_append_str(aad, wl_aad_prefix);
    return mobid_buf_append_str(aad, salt);
}

static mobid_err seal_vault(wl_wallet *w)
{
    uint8_t iv[12], tag[16];
    mobid_buf pt, ct, aad;
    json_t *sealed = NULL;
    mobid_err err;

    mobid_buf_init(&pt, MOBID_WALLET_MAX_BLOB);
    mobid_buf_init(&ct, MOBID_WALLET_MAX_BLOB);
    mobid_buf_init(&aad, 0);
    err = mobid_random(iv, sizeof iv);
    if (!err)
        err = mobid_json_dump(w->vault, true, &pt);
    if (!err)
        err = make_aad(w->outer, &aad);
    if (!err)
        err = mobid_aes_gcm_encrypt(mobid_view_make(w->key, 32), mobid_view_make(iv, 12),
                                    mobid_buf_view(&aad), mobid_buf_view(&pt), &ct, tag);
    if (err)
        goto done;
    sealed = json_object();
    if (!sealed) {
        err = MOBID_ERR_NOMEM;
        goto done;
    }
    err = json_set_b64(sealed, "iv", mobid_view_make(iv, 12));
    if (!err)
        err = json_set_b64(sealed, "tag", mobid_view_make(tag, 16));
    if (!err)
        err = json_set_b64(sealed, "ct", mobid_buf_view(&ct));
    if (!err && json_object_set(w->outer, "vault", sealed) != 0)
        err = MOBID_ERR_NOMEM;
done:
    json_decref(sealed);
    mobid_buf_free(&pt);
    mobid_buf_free(&ct);
    mobid_buf_free(&aad);
    return err;
}

static mobid_err open_vault(wl_wallet *w)
{
    const json_t *sealed = json_object_get(w->outer, "vault");
    mobid_buf iv, tag, ct, pt, aad;
    mobid_err err;

    mobid_buf_init(&iv, 64);
    mobid_buf_init(&tag, 64);
    mobid_buf_init(&ct, MOBID_WALLET_MAX_BLOB);
    mobid_buf_init(&pt, MOBID_WALLET_MAX_BLOB);
    mobid_buf_init(&aad, 0);
    err = json_get_b64(sealed, "iv", &iv) || json_get_b64(sealed, "tag", &tag) ||
                  json_get_b64(sealed, "ct", &ct)
              ? MOBID_ERR_WALLET_TAMPERED
              : MOBID_OK;
    if (!err && iv.len != 12)
        err = MOBID_ERR_WALLET_TAMPERED;
    if (!err)
        err = make_aad(w->outer, &aad);
    if (err)
        goto done;
    err = mobid_aes_gcm_decrypt(mobid_view_make(w->key, 32), mobid_buf_view(&iv),
                                mobid_buf_view(&aad), mobid_buf_view(&ct),
                                mobid_buf_view(&tag), &pt);
    if (err) {
        err = MOBID_ERR_WALLET_TAMPERED; /* the PIN check passed: the vault was edited */
        goto done;
    }
    err = mobid_json_parse(mobid_buf_view(&pt), MOBID_WALLET_MAX_BLOB, &w->vault);
    if (!err && !json_is_array(json_object_get(w->vault, "credentials")))
        err = MOBID_ERR_WALLET_TAMPERED;
done:
    mobid_buf_free(&iv);
    mobid_buf_free(&tag);
    mobid_buf_free(&ct);
    mobid_buf_free(&pt); /* wiped by mobid_buf_free */
    mobid_buf_free(&aad);
    return err;
}

/* Write the blob; a device-bound wallet's counter gets its MAC first. */
static mobid_err save_outer(const mobid_wallet_io *io, wl_wallet *w)
{
    mobid_buf blob, mac;
    mobid_err err = MOBID_OK;

    mobid_buf_init(&blob, MOBID_WALLET_MAX_BLOB);
    mobid_buf_init(&mac, 128);
    if (w->has_dev && !(err = lock_mac(w, &mac)) &&
        json_object_set_new(w->outer, "lock_mac", json_string((const char *)mac.ptr)))
        err = MOBID_ERR_NOMEM;
    if (!err)
        err = mobid_json_dump(w->outer, true, &blob);
    if (!err)
        err = io->save(io->ctx, mobid_buf_view(&blob));
    mobid_buf_free(&blob);
    mobid_buf_free(&mac);
    return err;
}

mobid_err wl_save(const mobid_wallet_io *io, wl_wallet *w)
{
    mobid_buf kcv, mac;
    mobid_err err;

    if (!w->unlocked)
        return MOBID_ERR_INVALID_ARG;
    mobid_buf_init(&kcv, 64);
    mobid_buf_init(&mac, 128);
    err = integrity_values(w, &kcv, &mac);
    if (!err && (json_object_set_new(w->outer, "kcv", json_string((const char *)kcv.ptr)) ||
                 json_object_set_new(w->outer, "mac", json_string((const char *)mac.ptr))))
        err = MOBID_ERR_NOMEM;
    if (!err)
        err = seal_vault(w);
    if (!err)
        err = save_outer(io, w);
    mobid_buf_free(&kcv);
    mobid_buf_free(&mac);
    return err;
}

/* The members every open relies on, each of the type and range a wallet writes. */
static mobid_err outer_check(const json_t *outer)
{
    const json_t *failed = json_object_get(outer, "failed"), *locked = json_object_get(outer, "locked");
    const json_t *trust = json_object_get(outer, "trust"), *dev = json_object_get(outer, "device_bound");
    const char *fmt = json_string_value(json_object_get(outer, "format"));
    json_int_t version = json_integer_value(json_object_get(outer, "version"));

    if (!fmt || strcmp(fmt, WL_FORMAT) != 0)
        return MOBID_ERR_MALFORMED; /* not a wallet at all */
    if (version != WL_VERSION)
        return MOBID_ERR_UNSUPPORTED; /* format 1 had no integrity: make a new wallet */
    if (!json_is_integer(failed) || json_integer_value(failed) < 0 ||
        json_integer_value(failed) > MOBID_WALLET_MAX_TRIES || (locked && !json_is_boolean(locked)) ||
        !json_is_object(trust) || !json_is_boolean(dev) ||
        !json_is_string(json_object_get(outer, "kcv")) ||
        !json_is_string(json_object_get(outer, "mac")) ||
        !json_is_object(json_object_get(outer, "vault")))
        return MOBID_ERR_WALLET_TAMPERED;
    return MOBID_OK;
}

/* Fetch the device's secret when the wallet is bound to one and check the counter. */
static mobid_err device_check(const mobid_wallet_io *io, wl_wallet *w)
{
    mobid_buf want;
    mobid_err err;

    if (!json_is_true(json_object_get(w->outer, "device_bound")))
        return MOBID_OK;
    if (!io->device_secret)
        return MOBID_ERR_KEY_INVALID; /* this wallet opens only on its own device */
    err = io->device_secret(io->ctx, w->dev);
    if (err)
        return err;
    w->has_dev = true;
    mobid_buf_init(&want, 128);
    err = lock_mac(w, &want);
    if (!err && !member_is(w->outer, "lock_mac", &want))
        err = MOBID_ERR_WALLET_TAMPERED;
    mobid_buf_free(&want);
    return err;
}

mobid_err wl_open(const mobid_wallet_io *io, wl_wallet *w)
{
    mobid_buf blob;
    mobid_err err;

    memset(w, 0, sizeof *w);
    if (!io || !io->load || !io->save)
        return MOBID_ERR_INVALID_ARG;
    mobid_buf_init(&blob, MOBID_WALLET_MAX_BLOB);
    err = io->load(io->ctx, &blob);
    if (!err)
        err = mobid_json_parse(mobid_buf_view(&blob), MOBID_WALLET_MAX_BLOB, &w->outer);
    if (!err)
        err = outer_check(w->outer);
    if (!err)
        err = device_check(io, w);
    mobid_buf_free(&blob);
    if (err) {
        json_decref(w->outer);
        w->outer = NULL;
        mobid_wipe(w->dev, sizeof w->dev);
    }
    return err;
}

/* Set the counter (and the lock at the limit) and write it. */
static mobid_err set_failed(const mobid_wallet_io *io, wl_wallet *w, json_int_t failed)
{
    if (json_object_set_new(w->outer, "failed", json_integer(failed)) != 0)
        return MOBID_ERR_NOMEM;
    if (failed >= MOBID_WALLET_MAX_TRIES)
        json_object_set_new(w->outer, "locked", json_true());
    return save_outer(io, w);
}

/* With the keys derived: is the PIN right, is the file as the wallet wrote it? */
static mobid_err check_keys(wl_wallet *w)
{
    mobid_buf kcv, mac;
    mobid_err err;

    mobid_buf_init(&kcv, 64);
    mobid_buf_init(&mac, 128);
    err = integrity_values(w, &kcv, &mac);
    if (!err && !member_is(w->outer, "kcv", &kcv))
        err = MOBID_ERR_PIN_WRONG;
    else if (!err && !member_is(w->outer, "mac", &mac))
        err = MOBID_ERR_WALLET_TAMPERED;
    else if (!err)
        err = open_vault(w);
    mobid_buf_free(&kcv);
    mobid_buf_free(&mac);
    return err;
}

mobid_err wl_unlock(const mobid_wallet_io *io, const char *why, wl_wallet *w)
{
    char pin[MOBID_WALLET_PIN_LEN + 1] = { 0 };
    json_int_t before;
    mobid_err err;

    if (json_is_true(json_object_get(w->outer, "locked")))
        return MOBID_ERR_WALLET_LOCKED;
    if (!io->pin)
        return MOBID_ERR_INVALID_ARG;
    err = io->pin(io->ctx, why, pin);
    if (err)
        goto done;
    pin[MOBID_WALLET_PIN_LEN] = '\0';
    /* Count the attempt durably before trying it. */
    before = json_integer_value(json_object_get(w->outer, "failed"));
    if ((err = set_failed(io, w, before + 1)))
        goto done;
    err = pin_ok(pin) ? derive_key(w, pin) : MOBID_ERR_PIN_WRONG;
    if (!err)
        err = check_keys(w);
    if (err == MOBID_ERR_PIN_WRONG) {
        err = before + 1 >= MOBID_WALLET_MAX_TRIES ? MOBID_ERR_WALLET_LOCKED : MOBID_ERR_PIN_WRONG;
        goto done;
    }
    if (err == MOBID_ERR_WALLET_TAMPERED) {
        json_object_del(w->outer, "locked"); /* the right PIN on a damaged file: not a guess */
        (void)set_failed(io, w, before);
        goto done;
    }
    if (err)
        goto done;
    json_object_del(w->outer, "locked");
    err = set_failed(io, w, 0);
    if (!err)
        w->unlocked = true;
done:
    mobid_wipe(pin, sizeof pin);
    if (!w->unlocked) {
        mobid_wipe(w->key, sizeof w->key);
        mobid_wipe(w->mac_key, sizeof w->mac_key);
        mobid_wipe(w->check_key, sizeof w->check_key);
    }
    return err;
}

void wl_close(wl_wallet *w)
{
    json_decref(w->outer);
    json_decref(w->vault);
    mobid_wipe(w, sizeof *w);
}

mobid_err wl_trust(const wl_wallet *w, const char *which, mobid_trust **out)
{
    const char *pem = json_string_value(json_object_get(json_object_get(w->outer, "trust"),
                                                        which));
    mobid_trust *t = NULL;
    mobid_err err;

    *out = NULL;
    if (!pem)
        return MOBID_ERR_NOT_FOUND;
    err = mobid_trust_new(&t);
    if (!err)
        err = mobid_trust_add_pem(t, mobid_view_str(pem));
    if (!err && mobid_trust_count(t) == 0)
        err = MOBID_ERR_CERT_INVALID;
    if (err) {
        mobid_trust_free(t);
        return err;
    }
    *out = t;
    return MOBID_OK;
}

/* ---- creating a wallet ---- */

static mobid_err check_pem(const char *pem)
{
    mobid_trust *t = NULL;
    mobid_err err;

    if (!pem)
        return MOBID_ERR_INVALID_ARG;
    err = mobid_trust_new(&t);
    if (!err)
        err = mobid_trust_add_pem(t, mobid_view_str(pem));
    if (!err && mobid_trust_count(t) == 0)
        err = MOBID_ERR_CERT_INVALID;
    mobid_trust_free(t);
    return err;
}

static mobid_err build_outer(const mobid_wallet_init_opts *o, bool device_bound, json_t **out)
{
    uint8_t salt[WL_SALT_LEN];
    json_t *outer = NULL, *kdf = NULL;
    mobid_err err;

    err = mobid_random(salt, sizeof salt);
    if (err)
        return err;
    kdf = json_pack("{s:s,s:I,s:I,s:I}", "alg", "scrypt", "n",
                    (json_int_t)(o->scrypt_n ? o->scrypt_n : WL_SCRYPT_N), "r",
                    (json_int_t)(o->scrypt_r ? o->scrypt_r : WL_SCRYPT_R), "p",
                    (json_int_t)(o->scrypt_p ? o->scrypt_p : WL_SCRYPT_P));
    if (!kdf)
        return MOBID_ERR_NOMEM;
    err = json_set_b64(kdf, "salt", mobid_view_make(salt, sizeof salt));
    if (!err) {
        outer = json_pack("{s:s,s:i,s:O,s:b,s:i,s:{s:s,s:s,s:s}}", "format", WL_FORMAT,
                          "version", WL_VERSION, "kdf", kdf, "device_bound", device_bound,
                          "failed", 0, "trust", "issuer", o->issuer_roots_pem, "rp",
                          o->rp_roots_pem, "registration", o->reg_roots_pem);
        if (!outer)
            err = MOBID_ERR_NOMEM;
    }
    json_decref(kdf);
    *out = outer;
    return err;
}

mobid_err mobid_wallet_init(const mobid_wallet_io *io, const mobid_wallet_init_opts *o)
{
    char pin[MOBID_WALLET_PIN_LEN + 1] = { 0 };
    wl_wallet w = { 0 };
    mobid_buf existing;
    mobid_err err;

    mobid_buf_init(&existing, MOBID_WALLET_MAX_BLOB);
    if (!io || !o || !io->load || !io->save || !io->pin) {
        err = MOBID_ERR_INVALID_ARG;
        goto done;
    }
    err = io->load(io->ctx, &existing);
    if (err != MOBID_ERR_NOT_FOUND) {
        err = err ? err : MOBID_ERR_INVALID_ARG; /* never overwrite a wallet */
        goto done;
    }
    /* the KDF is the only brake on a PIN search from a copied file */
    if ((o->scrypt_n && o->scrypt_n < MOBID_WALLET_SCRYPT_N_MIN) ||
        (o->scrypt_r && o->scrypt_r < 8)) {
        err = MOBID_ERR_INVALID_ARG;
        goto done;
    }
    err = check_pem(o->issuer_roots_pem);
    if (!err)
        err = check_pem(o->rp_roots_pem);
    if (!err)
        err = check_pem(o->reg_roots_pem);
    if (!err)
        err = io->pin(io->ctx, "choose a 6-digit PIN", pin);
    if (err)
        goto done;
    pin[MOBID_WALLET_PIN_LEN] = '\0';
    if (!pin_ok(pin)) {
        err = MOBID_ERR_INVALID_ARG;
        goto done;
    }
    if (pin_trivial(pin)) {
        err = MOBID_ERR_PIN_TOO_WEAK;
        goto done;
    }
    if (io->device_secret) {
        if ((err = io->device_secret(io->ctx, w.dev)))
            goto done;
        w.has_dev = true;
    }
    err = build_outer(o, w.has_dev, &w.outer);
    if (!err)
        err = derive_key(&w, pin);
    if (err)
        goto done;
    w.vault = json_pack("{s:[],s:[]}", "credentials", "history");
    if (!w.vault) {
        err = MOBID_ERR_NOMEM;
        goto done;
    }
    w.unlocked = true;
    err = wl_save(io, &w);
done:
    mobid_wipe(pin, sizeof pin);
    mobid_buf_free(&existing);
    wl_close(&w);
    return err;
}

mobid_err mobid_wallet_lock_status(const mobid_wallet_io *io, unsigned *failed, bool *locked)
{
    wl_wallet w;
    mobid_err err;

    if (!failed || !locked)
        return MOBID_ERR_INVALID_ARG;
    err = wl_open(io, &w);
    if (!err) {
        *failed = (unsigned)json_integer_value(json_object_get(w.outer, "failed"));
        *locked = json_is_true(json_object_get(w.outer, "locked"));
    }
    wl_close(&w);
    return err;
}
