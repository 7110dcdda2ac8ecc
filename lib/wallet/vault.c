/*
 * The wallet blob: scrypt(PIN) -> AES-256-GCM vault, the wrong-PIN counter and the
 * trust anchors. Nothing secret or personal is ever written outside the vault.
 */
#include <stdio.h>
#include <string.h>

#include <mobid/jose.h>
#include <mobid/kdf.h>
#include "wallet_internal.h"

#define WL_FORMAT "mobid-wallet"
#define WL_VERSION 1
#define WL_SCRYPT_N ((uint64_t)1 << 15)
#define WL_SCRYPT_R 8
#define WL_SCRYPT_P 1
#define WL_SALT_LEN 16
/* Bound what a tampered blob can make the KDF cost (2^20 * 8 * 128 = 1 GiB). */
#define WL_SCRYPT_N_MAX ((uint64_t)1 << 20)

/* The AAD binds the ciphertext to this format and the KDF salt. */
static const char wl_aad_prefix[] = "mobid-wallet-v1:";

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

/* key = scrypt(pin, salt, n, r, p) with the parameters stored in the blob. */
static mobid_err derive_key(const json_t *outer, const char *pin, uint8_t key[32])
{
    const json_t *kdf = json_object_get(outer, "kdf");
    json_int_t n = json_integer_value(json_object_get(kdf, "n"));
    json_int_t r = json_integer_value(json_object_get(kdf, "r"));
    json_int_t p = json_integer_value(json_object_get(kdf, "p"));
    mobid_buf salt;
    mobid_err err;

    mobid_buf_init(&salt, 64);
    err = json_get_b64(kdf, "salt", &salt);
    if (err)
        goto done;
    if (!json_is_string(json_object_get(kdf, "alg")) ||
        strcmp(json_string_value(json_object_get(kdf, "alg")), "scrypt") != 0 || n < 2 ||
        (uint64_t)n > WL_SCRYPT_N_MAX || r < 1 || r > 32 || p < 1 || p > 4 ||
        salt.len < WL_SALT_LEN) {
        err = MOBID_ERR_MALFORMED;
        goto done;
    }
    err = mobid_scrypt(mobid_view_str(pin), mobid_buf_view(&salt), (uint64_t)n,
                       (uint64_t)r, (uint64_t)p, key, 32);
done:
    mobid_buf_free(&salt);
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
    err = json_get_b64(sealed, "iv", &iv);
    if (!err)
        err = json_get_b64(sealed, "tag", &tag);
    if (!err)
        err = json_get_b64(sealed, "ct", &ct);
    if (!err && iv.len != 12)
        err = MOBID_ERR_MALFORMED;
    if (!err)
        err = make_aad(w->outer, &aad);
    if (err)
        goto done;
    err = mobid_aes_gcm_decrypt(mobid_view_make(w->key, 32), mobid_buf_view(&iv),
                                mobid_buf_view(&aad), mobid_buf_view(&ct),
                                mobid_buf_view(&tag), &pt);
    if (err) {
        err = MOBID_ERR_PIN_WRONG;
        goto done;
    }
    err = mobid_json_parse(mobid_buf_view(&pt), MOBID_WALLET_MAX_BLOB, &w->vault);
    if (!err && !json_is_array(json_object_get(w->vault, "credentials")))
        err = MOBID_ERR_MALFORMED;
done:
    mobid_buf_free(&iv);
    mobid_buf_free(&tag);
    mobid_buf_free(&ct);
    mobid_buf_free(&pt); /* wiped by mobid_buf_free */
    mobid_buf_free(&aad);
    return err;
}

static mobid_err save_outer(const mobid_wallet_io *io, const json_t *outer)
{
    mobid_buf blob;
    mobid_err err;

    mobid_buf_init(&blob, MOBID_WALLET_MAX_BLOB);
    err = mobid_json_dump(outer, true, &blob);
    if (!err)
        err = io->save(io->ctx, mobid_buf_view(&blob));
    mobid_buf_free(&blob);
    return err;
}

mobid_err wl_save(const mobid_wallet_io *io, wl_wallet *w)
{
    mobid_err err;

    if (!w->unlocked)
        return MOBID_ERR_INVALID_ARG;
    err = seal_vault(w);
    if (!err)
        err = save_outer(io, w->outer);
    return err;
}

mobid_err wl_open(const mobid_wallet_io *io, wl_wallet *w)
{
    mobid_buf blob;
    mobid_err err;
    const char *fmt;

    memset(w, 0, sizeof *w);
    if (!io || !io->load || !io->save)
        return MOBID_ERR_INVALID_ARG;
    mobid_buf_init(&blob, MOBID_WALLET_MAX_BLOB);
    err = io->load(io->ctx, &blob);
    if (!err)
        err = mobid_json_parse(mobid_buf_view(&blob), MOBID_WALLET_MAX_BLOB, &w->outer);
    if (err)
        goto done;
    fmt = json_string_value(json_object_get(w->outer, "format"));
    if (!fmt || strcmp(fmt, WL_FORMAT) != 0 ||
        json_integer_value(json_object_get(w->outer, "version")) != WL_VERSION ||
        !json_is_integer(json_object_get(w->outer, "failed")))
        err = MOBID_ERR_MALFORMED;
done:
    mobid_buf_free(&blob);
    if (err) {
        json_decref(w->outer);
        w->outer = NULL;
    }
    return err;
}

/* Record a failed attempt that was already counted: lock at the limit. */
static mobid_err note_result(const mobid_wallet_io *io, wl_wallet *w, bool good)
{
    json_int_t failed = json_integer_value(json_object_get(w->outer, "failed"));

    if (good)
        failed = 0;
    json_object_set_new(w->outer, "failed", json_integer(failed));
    if (failed >= MOBID_WALLET_MAX_TRIES)
        json_object_set_new(w->outer, "locked", json_true());
    return save_outer(io, w->outer);
}

mobid_err wl_unlock(const mobid_wallet_io *io, const char *why, wl_wallet *w)
{
    char pin[MOBID_WALLET_PIN_LEN + 1] = { 0 };
    json_int_t failed;
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
    failed = json_integer_value(json_object_get(w->outer, "failed")) + 1;
    if (json_object_set_new(w->outer, "failed", json_integer(failed)) != 0) {
        err = MOBID_ERR_NOMEM;
        goto done;
    }
    if (failed >= MOBID_WALLET_MAX_TRIES)
        json_object_set_new(w->outer, "locked", json_true());
    err = save_outer(io, w->outer);
    if (err)
        goto done;
    if (!pin_ok(pin)) {
        err = MOBID_ERR_PIN_WRONG;
        goto done;
    }
    err = derive_key(w->outer, pin, w->key);
    if (!err)
        err = open_vault(w);
    if (err == MOBID_ERR_PIN_WRONG) {
        mobid_err e2 = note_result(io, w, false);
        err = e2 ? e2 : (failed >= MOBID_WALLET_MAX_TRIES ? MOBID_ERR_WALLET_LOCKED
                                                           : MOBID_ERR_PIN_WRONG);
        goto done;
    }
    if (err)
        goto done;
    json_object_del(w->outer, "locked");
    err = note_result(io, w, true);
    if (!err)
        w->unlocked = true;
done:
    mobid_wipe(pin, sizeof pin);
    if (!w->unlocked)
        mobid_wipe(w->key, sizeof w->key);
    return err;
}

void wl_close(wl_wallet *w)
{
    mobid_wipe(w->key, sizeof w->key);
    json_decref(w->outer);
    json_decref(w->vault);
    memset(w, 0, sizeof *w);
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

static mobid_err build_outer(const mobid_wallet_init_opts *o, json_t **out)
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
        outer = json_pack("{s:s,s:i,s:O,s:i,s:{s:s,s:s,s:s}}", "format", WL_FORMAT,
                          "version", WL_VERSION, "kdf", kdf, "failed", 0, "trust", "issuer",
                          o->issuer_roots_pem, "rp", o->rp_roots_pem, "registration",
                          o->reg_roots_pem);
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
    err = build_outer(o, &w.outer);
    if (!err)
        err = derive_key(w.outer, pin, w.key);
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
