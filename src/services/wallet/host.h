/*
 * The wallet's host side shared by `mobid wallet` (terminal) and `mobid wallet serve`
 * (the citizen's web app): the wallet file (atomic, durable, mode 0600) and HTTP through
 * libcurl for lib/wallet's mobid_wallet_io callbacks. The prompts (PIN, transaction code,
 * consent) differ by front end and stay with each.
 *
 * Thread safety: none; one caller at a time per wallet_http_conn.
 */
#ifndef MOBID_WALLET_HOST_H
#define MOBID_WALLET_HOST_H

#include <mobid/wallet.h>

/* Read the whole wallet file at path into out (appended). Returns MOBID_OK,
 * NOT_FOUND (no file), IO. */
MOBID_MUST_CHECK mobid_err wallet_file_load(const char *path, mobid_buf *out);

/* Replace the file at path with blob: a temp file in the same folder (0600 from
 * creation), fsync, rename, fsync of the folder. Returns MOBID_OK, IO, NOMEM. */
MOBID_MUST_CHECK mobid_err wallet_file_save(const char *path, mobid_view blob);

/* The device secret of a wallet, kept in its own file at path (the wallet's name +
 * ".key" by default) so that a copy of the wallet file alone allows no offline PIN
 * search and no counter edit. make: create the file first when missing (32 random
 * bytes, 0600, never replaced). Returns MOBID_OK, KEY_INVALID (no path, a missing or
 * wrong-sized file), IO, or the random source's error. */
MOBID_MUST_CHECK mobid_err wallet_device_secret(const char *path, bool make, uint8_t out[32]);

/* One HTTP exchange for lib/wallet. *client (a mobid_http_client, NULL at first) is
 * made on first use and kept for the next calls; free it with wallet_http_free.
 * ca_file (may be NULL: the system's CAs) is trusted for https. Returns MOBID_OK with
 * *status set (any HTTP status) and the body appended, or the client's errors. */
MOBID_MUST_CHECK mobid_err wallet_http(void **client, const char *ca_file,
                                       const mobid_wallet_http_req *req, long *status,
                                       mobid_buf *body);
void wallet_http_free(void **client);

#endif
