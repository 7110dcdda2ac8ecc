/*
 * The wallet file and HTTP for lib/wallet, shared by the terminal wallet and the web
 * app (host.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mobid/crypto.h>
#include "http/client.h"
#include "services/wallet/host.h"

mobid_err wallet_file_load(const char *path, mobid_buf *out)
{
    char chunk[65536];
    ssize_t n;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    mobid_err err = MOBID_OK;

    if (fd < 0)
        return errno == ENOENT ? MOBID_ERR_NOT_FOUND : MOBID_ERR_IO;
    while (!err && (n = read(fd, chunk, sizeof chunk)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        err = n < 0 ? MOBID_ERR_IO : mobid_buf_append(out, chunk, (size_t)n);
    }
    close(fd);
    return err;
}

static mobid_err write_all(int fd, mobid_view data)
{
    size_t off = 0;

    while (off < data.len) {
        ssize_t w = write(fd, data.ptr + off, data.len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return MOBID_ERR_IO;
        off += (size_t)w;
    }
    return MOBID_OK;
}

/* fsync the folder so the rename itself survives a power cut. */
static mobid_err sync_dir(const char *path)
{
    char *copy = strdup(path);
    int fd;
    mobid_err err = MOBID_ERR_IO;

    if (!copy)
        return MOBID_ERR_NOMEM;
    fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0 && fsync(fd) == 0)
        err = MOBID_OK;
    if (fd >= 0)
        close(fd);
    free(copy);
    return err;
}

mobid_err wallet_file_save(const char *path, mobid_view blob)
{
    size_t n = strlen(path) + 32;
    char *tmp = malloc(n);
    int fd = -1;
    mobid_err err = MOBID_ERR_IO;

    if (!tmp)
        return MOBID_ERR_NOMEM;
    snprintf(tmp, n, "%s.tmp.%ld", path, (long)getpid());
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        goto done;
    /* open's mode applies only when the file is created (a stale temporary keeps
     * its own); fsync before rename so a crash leaves the old file or the new one */
    if (fchmod(fd, 0600) != 0 || write_all(fd, blob) != MOBID_OK || fsync(fd) != 0)
        goto done;
    if (close(fd) != 0) {
        fd = -1;
        goto done;
    }
    fd = -1;
    if (rename(tmp, path) == 0)
        err = sync_dir(path);
done:
    if (fd >= 0)
        close(fd);
    if (err)
        unlink(tmp);
    free(tmp);
    return err;
}

/* A new device secret: 32 random bytes in a file of its own, mode 0600, never
 * replaced (O_EXCL: two wallets made at once share the one that won). */
static mobid_err device_key_make(const char *path)
{
    uint8_t key[32];
    int fd;
    mobid_err err = mobid_random(key, sizeof key);

    if (err)
        return err;
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        err = errno == EEXIST ? MOBID_OK : MOBID_ERR_IO;
    else if (write_all(fd, mobid_view_make(key, sizeof key)) != MOBID_OK || fsync(fd) != 0)
        err = MOBID_ERR_IO;
    if (fd >= 0 && close(fd) != 0)
        err = MOBID_ERR_IO;
    if (fd >= 0 && !err)
        err = sync_dir(path);
    mobid_wipe(key, sizeof key);
    return err;
}

mobid_err wallet_device_secret(const char *path, bool make, uint8_t out[32])
{
    mobid_buf b;
    mobid_err err = !path ? MOBID_ERR_KEY_INVALID : make ? device_key_make(path) : MOBID_OK;

    mobid_buf_init(&b, 64);
    if (!err)
        err = wallet_file_load(path, &b);
    if (err == MOBID_ERR_IO || err == MOBID_ERR_NOT_FOUND || (!err && b.len != 32))
        err = MOBID_ERR_KEY_INVALID;
    if (!err)
        memcpy(out, b.ptr, 32);
    mobid_wipe(b.ptr, b.len);
    mobid_buf_free(&b);
    return err;
}

mobid_err wallet_http(void **client, const char *ca_file, const mobid_wallet_http_req *req,
                      long *status, mobid_buf *body)
{
    mobid_http_client_opts o = { 15000, 5000, MOBID_WALLET_MAX_HTTP, false, ca_file };
    mobid_http_result res = { 0 };
    char accept[160] = "", auth[4200] = "", dpop[4200] = "", att[8300] = "", pop[4200] = "";
    const char *headers[6] = { NULL, NULL, NULL, NULL, NULL, NULL };
    size_t nh = 0;
    mobid_err err = MOBID_OK;

    if (!*client)
        err = mobid_http_client_new(&o, (mobid_http_client **)client);
    if (req->accept && snprintf(accept, sizeof accept, "Accept: %s", req->accept) > 0)
        headers[nh++] = accept;
    if (req->bearer && snprintf(auth, sizeof auth, "Authorization: %s %s",
                                req->dpop ? "DPoP" : "Bearer", req->bearer) > 0)
        headers[nh++] = auth;
    if (req->dpop && snprintf(dpop, sizeof dpop, "DPoP: %s", req->dpop) > 0)
        headers[nh++] = dpop;
    if (req->attestation && req->attestation_pop &&
        snprintf(att, sizeof att, "OAuth-Client-Attestation: %s", req->attestation) > 0 &&
        snprintf(pop, sizeof pop, "OAuth-Client-Attestation-PoP: %s", req->attestation_pop) > 0) {
        headers[nh++] = att;
        headers[nh++] = pop;
    }
    if (!err)
        err = mobid_http_client_request(*client, req->method, req->url, headers,
                                        req->content_type, req->body, &res);
    *status = res.not_sent ? -1 : res.status; /* -1: the request never left */
    if (!err)
        err = mobid_buf_append_view(body, mobid_buf_view(&res.body));
    if (!err && req->location && res.location &&
        !(err = mobid_buf_append_str(req->location, res.location)))
        err = mobid_buf_terminate(req->location);
    mobid_wipe(auth, sizeof auth);
    mobid_http_result_free(&res);
    return err;
}

void wallet_http_free(void **client)
{
    mobid_http_client_free(*client);
    *client = NULL;
}
