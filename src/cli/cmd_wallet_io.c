/*
 * Host callbacks of `mobid wallet`: the wallet file (atomic, durable, mode 0600), HTTP
 * through libcurl, the clock, and terminal prompts (PIN and tx_code without echo).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <mobid/crypto.h>
#include <mobid/jose.h>
#include <mobid/oid4vci.h>

#include "http/resource.h"

#include "services/provision/provision.h"
#include "cli/cli.h"
#include "cli/cmd_wallet.h"
#include "services/wallet/host.h"

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
    return wallet_file_load(((cli_wallet_host *)ctx)->path, out);
}

static mobid_err file_save(void *ctx, mobid_view blob)
{
    cli_wallet_host *h = ctx;
    mobid_err err;

    kill_point(h);
    err = wallet_file_save(h->path, blob);
    kill_point(h);
    return err;
}

static mobid_err do_http(void *ctx, const mobid_wallet_http_req *req, long *status,
                         mobid_buf *body)
{
    cli_wallet_host *h = ctx;
    mobid_err err;

    kill_point(h);
    err = wallet_http(&h->http, h->ca_file, req, status, body);
    kill_point(h);
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

/* The device secret, kept outside the wallet file (host.h). */
static mobid_err device_secret(void *ctx, uint8_t out[32])
{
    cli_wallet_host *h = ctx;

    return wallet_device_secret(h->device_key, h->make_device_key, out);
}

/* The wallet provider's side, played by the host for tests and development: an
 * attestation of a fresh instance key signed by --wallet-provider-key (with its
 * --wallet-provider-cert chain as x5c when given), made once per run. A phone app
 * would get its attestation from its provider's backend instead. */
static mobid_err attestation_make(cli_wallet_host *h)
{
    mobid_buf pem = { 0 }, out = { 0 };
    mobid_key *provider = NULL;
    mobid_cert **chain = NULL;
    size_t n = 0;
    json_t *x5c = NULL;
    const char *cid = h->client_id ? h->client_id : "mobid-wallet";
    mobid_err err = mobid_file_read(h->provider_key, 1 << 16, &pem);
    if (!err) err = mobid_key_from_pem(mobid_buf_view(&pem), &provider);
    mobid_wipe(pem.ptr, pem.len);
    pem.len = 0;
    if (!err && h->provider_cert && !(err = mobid_file_read(h->provider_cert, 1 << 20, &pem)) &&
        !(err = mobid_cert_parse_all(mobid_buf_view(&pem), &chain, &n)))
        err = mobid_jose_x5c_from_certs(chain, n, &x5c);
    if (!err) err = mobid_key_generate(MOBID_CURVE_P256, &h->instance);
    mobid_oid4vci_attestation_spec spec = { provider, x5c, "urn:mobid:wallet-provider", cid,
                                            h->instance, 0, 0 };
    if (!err) err = mobid_oid4vci_attestation_build(&spec, &out);
    if (!err && !(h->attestation = strdup((const char *)out.ptr)))
        err = MOBID_ERR_NOMEM;
    json_decref(x5c);
    mobid_cert_list_free(chain, n);
    mobid_key_free(provider);
    mobid_buf_free(&pem);
    mobid_buf_free(&out);
    return err;
}

static mobid_err client_attestation(void *ctx, const char *aud, mobid_buf *att, mobid_buf *pop)
{
    cli_wallet_host *h = ctx;
    mobid_err err = MOBID_OK;
    if (!h->provider_key)
        return MOBID_ERR_NOT_FOUND;
    if (!h->attestation && (err = attestation_make(h)) != MOBID_OK) {
        fprintf(stderr, "wallet attestation: %s\n", mobid_svc_err_name(err));
        return err == MOBID_ERR_NOMEM ? err : MOBID_ERR_KEY_INVALID;
    }
    if ((err = mobid_buf_append_str(att, h->attestation)) == MOBID_OK)
        err = mobid_buf_terminate(att);
    const char *cid = h->client_id ? h->client_id : "mobid-wallet";
    if (err == MOBID_OK)
        err = mobid_oid4vci_attestation_pop_build(h->instance, cid, aud, NULL, host_now(h), pop);
    return err;
}

mobid_wallet_io cli_wallet_io(cli_wallet_host *host)
{
    mobid_wallet_io io = { host,     file_load,   file_save,   do_http,       host_now,
                           ask_pin,  ask_tx_code, ask_consent, device_secret, client_attestation };
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
    free(host->attestation);
    host->attestation = NULL;
    mobid_key_free(host->instance);
    host->instance = NULL;
    wallet_http_free(&host->http);
}
