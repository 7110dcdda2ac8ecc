/* lib/wallet internals shared by its files. */
#ifndef MOBID_WALLET_INTERNAL_H
#define MOBID_WALLET_INTERNAL_H

#include <jansson.h>
#include <mobid/base.h>
#include <mobid/crypto.h>
#include <mobid/wallet.h>

/* An opened wallet: the public blob and, once unlocked, the decrypted vault
 * {"credentials":[...],"history":[...]} and the key that seals it. */
typedef struct wl_wallet {
    json_t *outer;
    json_t *vault;
    uint8_t key[32];       /* the vault's AES key */
    uint8_t mac_key[32];   /* the integrity MAC over the clear members */
    uint8_t check_key[32]; /* the PIN check value */
    uint8_t dev[32];       /* the device's secret (has_dev) */
    bool has_dev;
    bool unlocked;
} wl_wallet;

/* Load the blob (NOT_FOUND when there is none, MALFORMED when not a wallet,
 * UNSUPPORTED for format 1, WALLET_TAMPERED when a member is out of range or the
 * counter's MAC fails, KEY_INVALID when the device secret it needs is missing). */
mobid_err wl_open(const mobid_wallet_io *io, wl_wallet *w);
/* Ask for the PIN (saying why), count the attempt durably, then try it. */
mobid_err wl_unlock(const mobid_wallet_io *io, const char *why, wl_wallet *w);
/* Seal the vault under a fresh IV and save the whole blob. */
mobid_err wl_save(const mobid_wallet_io *io, wl_wallet *w);
/* Wipe the key and release everything. */
void wl_close(wl_wallet *w);
/* Trust set from the anchors stored under trust.<which>. */
mobid_err wl_trust(const wl_wallet *w, const char *which, mobid_trust **out);

mobid_time wl_now(const mobid_wallet_io *io);
/* MOBID_OK for an https:// URL or an http:// URL to loopback (127.0.0.0/8, [::1],
 * localhost); INSECURE_TRANSPORT for other http:// URLs, UNSUPPORTED for other schemes. */
mobid_err wl_check_url(const char *url);
/* One HTTP exchange (URL checked by wl_check_url first); non-2xx statuses become
 * FETCH_FAILED with a detail. */
mobid_err wl_http(const mobid_wallet_io *io, const mobid_wallet_http_req *req,
                  mobid_buf *body, char *detail, size_t detail_len);
/* The same, and *status gets the HTTP status (0 when nothing was answered). A refusal's
 * detail is one sentence from the OAuth error object, never the raw body. */
mobid_err wl_http_st(const mobid_wallet_io *io, const mobid_wallet_http_req *req,
                     mobid_buf *body, long *status, char *detail, size_t detail_len);
/* GET or POST a body and parse the JSON answer. */
mobid_err wl_http_json(const mobid_wallet_io *io, const mobid_wallet_http_req *req,
                       json_t **out, char *detail, size_t detail_len);
mobid_err wl_http_json_st(const mobid_wallet_io *io, const mobid_wallet_http_req *req,
                          json_t **out, long *status, char *detail, size_t detail_len);
void wl_detail(char *detail, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Fresh random id: 16 random bytes base64url. */
mobid_err wl_random_id(char out[23]);

/* The percent-decoded value of query parameter name of uri (heap string, free());
 * NOT_FOUND when absent, MALFORMED for a broken escape or a NUL. */
mobid_err wl_query_param(const char *uri, const char *name, char **out);

/* Copies (lib/wallet/copies.c). entry is a vault credential, it one of its items; a
 * copy's validity is read from its credential once and kept on the item ("from",
 * "until"). */
/* Note the copy's validity on the item (at receipt). */
void wl_copy_note_validity(const json_t *entry, json_t *it);
/* Not shown yet and not expired at now: the copy can be shown. */
bool wl_copy_usable(const json_t *entry, json_t *it, mobid_time now);
/* Copies that can be shown; lasting_only: only those not due for replacement (ending
 * within a day, or within half their lifetime when that is shorter). */
unsigned wl_copies_usable(const json_t *entry, mobid_time now, bool lasting_only);
/* Remove the copies a refresh replaces: shown, expired or due. */
void wl_copies_drop_spent(json_t *entry, mobid_time now);
/* The card itself is past its final day (expiry_date / date_of_expiry as issued;
 * false when the issuer wrote none). */
bool wl_card_ended(const json_t *entry, mobid_time now);

#endif
