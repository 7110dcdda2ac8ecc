/*
 * Host callbacks of `mobid wallet`: the wallet file (atomic, durable, mode 0600), HTTP
 * through libcurl, the clock, and terminal prompts (PIN and tx_code without echo).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <mobid/crypto.h>

#include "services/provision/provision.h"
#include "cli/cli.h"
#include "cli/cmd_wallet.h"
#include "http/client.h"

/* Test hook: MOBID_WALLET_KILL_AT=N kills the process (SIGKILL, as kill -9 would) at
 * the Nth step of the wallet's side effects: before and after each HTTP exchange and
 * each save. Tests use it to prove that no step of receive can lose a card. */
static void kill_point(cli_wallet_host *h)
{
    const char *at = getenv("MOBID_WALLET_KILL_AT");

    if (at && ++h->steps == strtoul(at, NULL, 10))
        raise(SIGKILL);
}

static mobid_err file_load(void *ctx, mobid_buf *out)
{
    cli_wallet_host *h = ctx;
    char chunk[65536];
    ssize_t n;
    int fd = open(h->path, O_RDONLY | O_CLOEXEC);
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

/* Temp file in the same folder (mode 0600 from creation), fsync, rename, fsync dir. */
static mobid_err file_save(void *ctx, mobid_view blob)
{
    cli_wallet_host *h = ctx;
    size_t n = strlen(h->path) + 32;
    char *tmp = malloc(n);
    int fd = -1;
    mobid_err err = MOBID_ERR_IO;

    if (!tmp)
        return MOBID_ERR_NOMEM;
    kill_point(h);
    snprintf(tmp, n, "%s.tmp.%ld", h->path, (long)getpid());
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        goto done;
    if (fchmod(fd, 0600) != 0 || write_all(fd, blob) != MOBID_OK || fsync(fd) != 0)
        goto done;
    if (close(fd) != 0) {
        fd = -1;
        goto done;
    }
    fd = -1;
    if (rename(tmp, h->path) == 0)
        err = sync_dir(h->path);
done:
    if (fd >= 0)
        close(fd);
    if (err)
        unlink(tmp);
    free(tmp);
    kill_point(h);
    return err;
}

static mobid_err do_http(void *ctx, const mobid_wallet_http_req *req, long *status,
                         mobid_buf *body)
{
    cli_wallet_host *h = ctx;
    mobid_http_client_opts o = { 15000, 5000, MOBID_WALLET_MAX_HTTP, false, h->ca_file };
    mobid_http_result res = { 0 };
    char accept[160] = "", auth[4200] = "";
    const char *headers[3] = { NULL, NULL, NULL };
    size_t nh = 0;
    mobid_err err = MOBID_OK;

    if (!h->http)
        err = mobid_http_client_new(&o, (mobid_http_client **)&h->http);
    if (req->accept && snprintf(accept, sizeof accept, "Accept: %s", req->accept) > 0)
        headers[nh++] = accept;
    if (req->bearer && snprintf(auth, sizeof auth, "Authorization: Bearer %s", req->bearer) > 0)
        headers[nh++] = auth;
    kill_point(h);
    if (!err)
        err = mobid_http_client_request(h->http, req->method, req->url, headers,
                                        req->content_type, req->body, &res);
    kill_point(h);
    *status = res.status;
    if (!err)
        err = mobid_buf_append_view(body, mobid_buf_view(&res.body));
    mobid_wipe(auth, sizeof auth);
    mobid_http_result_free(&res);
    return err;
}

static mobid_time host_now(void *ctx)
{
    cli_wallet_host *h = ctx;
    return h->have_at ? h->at : mobid_now();
}

/* Read one line from the terminal without echo (prompt on stderr). Without a
 * terminal, h->no_tty says which option replaces the prompt. */
static mobid_err read_secret(cli_wallet_host *h, const char *prompt, const char *instead,
                             char *out, size_t cap)
{
    struct termios old, quiet;
    FILE *tty = fopen("/dev/tty", "r+");
    bool noecho = false;
    mobid_err err = MOBID_OK;

    if (!tty) {
        h->no_tty = instead;
        return MOBID_ERR_CONSENT_DENIED;
    }
    fprintf(stderr, "%s", prompt);
    if (tcgetattr(fileno(tty), &old) == 0) {
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        noecho = tcsetattr(fileno(tty), TCSAFLUSH, &quiet) == 0;
    }
    if (!fgets(out, (int)cap, tty))
        err = MOBID_ERR_IO;
    if (noecho)
        tcsetattr(fileno(tty), TCSAFLUSH, &old);
    fprintf(stderr, "\n");
    fclose(tty);
    out[strcspn(out, "\r\n")] = '\0';
    return err;
}

static mobid_err pin_from_file(const char *path, char *out, size_t cap)
{
    FILE *f = fopen(path, "r");
    mobid_err err = MOBID_OK;

    if (!f)
        return MOBID_ERR_IO;
    if (!fgets(out, (int)cap, f))
        err = MOBID_ERR_IO;
    fclose(f);
    out[strcspn(out, "\r\n")] = '\0';
    return err;
}

static mobid_err ask_pin(void *ctx, const char *why, char pin[MOBID_WALLET_PIN_LEN + 1])
{
    cli_wallet_host *h = ctx;
    char line[64] = "", again[64] = "";
    char prompt[128];
    mobid_err err;

    if (h->pin_file) {
        err = pin_from_file(h->pin_file, line, sizeof line);
    } else {
        snprintf(prompt, sizeof prompt, "%s: ", why);
        err = read_secret(h, prompt, "no terminal to ask the PIN: use --pin-file", line,
                          sizeof line);
        if (!err && h->confirm_pin) {
            err = read_secret(h, "repeat the PIN: ", "no terminal to ask the PIN: use --pin-file",
                              again, sizeof again);
            if (!err && strcmp(line, again) != 0)
                err = MOBID_ERR_INVALID_ARG;
        }
    }
    memcpy(pin, line, MOBID_WALLET_PIN_LEN);
    pin[MOBID_WALLET_PIN_LEN] = '\0';
    if (!err && strlen(line) != MOBID_WALLET_PIN_LEN)
        pin[0] = 'x'; /* never a valid PIN: counted as wrong, not silently cut */
    mobid_wipe(line, sizeof line);
    mobid_wipe(again, sizeof again);
    return err;
}

static mobid_err ask_tx_code(void *ctx, unsigned len, const char *desc, char *out, size_t cap)
{
    cli_wallet_host *h = ctx;
    char prompt[160];

    if (h->tx_code) {
        snprintf(out, cap, "%s", h->tx_code);
        return MOBID_OK;
    }
    snprintf(prompt, sizeof prompt, "%u-digit transaction code from the officer%s%s: ", len,
             desc ? ", " : "", desc ? desc : "");
    return read_secret(h, prompt, "no terminal to ask the transaction code: use --tx-code",
                       out, cap);
}

/* The claims asked for, grouped by card: the card type's name once, then each claim
 * by its ko/en label, sensitive ones marked. A claim the compiled-in card types do
 * not know is shown by its path. Lines are "<type>: <path>" (lib/wallet). */
static void consent_claims(const char *const *claims)
{
    json_t *cts = NULL;
    char type[256] = "", label[256];
    if (prov_cardtypes_load(NULL, &cts) != MOBID_OK)
        cts = NULL;
    for (size_t i = 0; claims[i]; i++) {
        const char *sep = strstr(claims[i], ": ");
        size_t tlen = sep ? (size_t)(sep - claims[i]) : 0;
        const char *path = sep ? sep + 2 : claims[i];
        char t[256];
        snprintf(t, sizeof t, "%.*s", (int)tlen, claims[i]);
        const json_t *ct = prov_cardtype_by_type(cts, t);
        if (strcmp(t, type) != 0) {
            const json_t *d = json_object_get(ct, "display");
            snprintf(type, sizeof type, "%s", t);
            if (ct && json_string_value(json_object_get(d, "ko")))
                fprintf(stderr, "  %s %s:\n", json_string_value(json_object_get(d, "ko")),
                        json_string_value(json_object_get(d, "en")) ?: "");
            else
                fprintf(stderr, "  %s:\n", t[0] ? t : "credential");
        }
        const json_t *cl = prov_claim_by_path(ct, path);
        prov_claim_label(cl, path, label, sizeof label);
        fprintf(stderr, "    - %s%s\n", label,
                json_is_true(json_object_get(cl, "sensitive")) ? "  [민감 정보 sensitive]" : "");
    }
    json_decref(cts);
}

static mobid_err ask_consent(void *ctx, const mobid_wallet_consent *c)
{
    cli_wallet_host *h = ctx;
    char answer[16] = "";
    FILE *tty;

    fprintf(stderr, "%s (%s) asks for:\n", c->rp_name, c->client_id);
    if (c->legal_basis)
        fprintf(stderr, "  legal basis: %s\n", c->legal_basis);
    consent_claims(c->claims);
    if (h->yes)
        return MOBID_OK;
    tty = fopen("/dev/tty", "r+");
    if (!tty) {
        h->no_tty = "no terminal to ask for consent: use --yes";
        return MOBID_ERR_CONSENT_DENIED;
    }
    fprintf(stderr, "share these claims? [y/N] ");
    if (!fgets(answer, sizeof answer, tty))
        answer[0] = '\0';
    fclose(tty);
    return answer[0] == 'y' || answer[0] == 'Y' ? MOBID_OK : MOBID_ERR_CONSENT_DENIED;
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

/* The device secret, kept outside the wallet file so that a copy of the wallet alone
 * allows no offline PIN search and no counter edit. A missing or wrong-sized key file
 * is KEY_INVALID: the wallet it was made with does not open without it. */
static mobid_err device_secret(void *ctx, uint8_t out[32])
{
    cli_wallet_host *h = ctx;
    mobid_buf b;
    mobid_err err = !h->device_key ? MOBID_ERR_KEY_INVALID
                    : h->make_device_key ? device_key_make(h->device_key) : MOBID_OK;

    mobid_buf_init(&b, 64);
    if (!err)
        err = cli_read_file(h->device_key, &b);
    if (err == MOBID_ERR_IO || err == MOBID_ERR_NOT_FOUND || (!err && b.len != 32))
        err = MOBID_ERR_KEY_INVALID;
    if (!err)
        memcpy(out, b.ptr, 32);
    mobid_wipe(b.ptr, b.len);
    mobid_buf_free(&b);
    return err;
}

mobid_wallet_io cli_wallet_io(cli_wallet_host *host)
{
    mobid_wallet_io io = { host,     file_load,   file_save,  do_http,
                           host_now, ask_pin,     ask_tx_code, ask_consent, device_secret };
    return io;
}

bool cli_wallet_have_tty(void)
{
    FILE *tty = fopen("/dev/tty", "r+");

    if (tty)
        fclose(tty);
    return tty != NULL;
}

void cli_wallet_host_free(cli_wallet_host *host)
{
    free(host->device_key);
    host->device_key = NULL;
    mobid_http_client_free(host->http);
    host->http = NULL;
}
