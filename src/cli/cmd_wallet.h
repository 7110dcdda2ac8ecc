/* `mobid wallet`: the host side of the wallet library (file, HTTP, terminal, QR). */
#ifndef MOBID_CMD_WALLET_H
#define MOBID_CMD_WALLET_H

#include <mobid/wallet.h>

typedef struct cli_wallet_host {
    const char *path;      /* the wallet file */
    char *device_key;      /* the device secret's file (heap; default beside the wallet) */
    bool make_device_key;  /* init: create the device key file when there is none */
    const char *pin_file;  /* --pin-file, or NULL for a prompt */
    const char *tx_code;   /* --tx-code, or NULL for a prompt */
    bool yes;              /* --yes: consent without asking */
    bool json;
    bool confirm_pin;      /* init: ask twice */
    const char *ca_file;   /* --ca-file: CAs trusted for https, or NULL (system's) */
    bool have_at;
    mobid_time at;         /* --at */
    void *http;            /* mobid_http_client, created on first use */
    const char *no_tty;    /* set when a prompt found no terminal: what to use instead */
    unsigned long steps;   /* side effects so far (MOBID_WALLET_KILL_AT test hook) */
    /* --wallet-provider-key / --wallet-provider-cert / --client-id: the host plays its
     * own wallet provider (tests, development) and attests a fresh instance key */
    const char *provider_key, *provider_cert, *client_id;
    mobid_key *instance;   /* the attested instance key (made on first use) */
    char *attestation;     /* the Client Attestation JWT (heap) */
} cli_wallet_host;

/* Whether a terminal can be opened to ask the PIN, a code or consent. */
bool cli_wallet_have_tty(void);

/* Callbacks over host (the host outlives the io). */
mobid_wallet_io cli_wallet_io(cli_wallet_host *host);
void cli_wallet_host_free(cli_wallet_host *host);

/* Decode the first QR code of a PNG file into a heap string (free()). Returns
 * MOBID_OK, IO, MALFORMED (not a PNG this reader handles), NOT_FOUND (no QR code). */
mobid_err cli_wallet_qr_decode(const char *png_path, char **text);

/* `mobid wallet engage --qr OUT.png [--advertise HOST:PORT]`: show the in-person
 * engagement QR and answer the reader that connects. advertise (may be NULL) is the
 * IPv4 address and port the QR names instead of the listening one. Returns the
 * command's exit code. */
int cli_wallet_engage(cli_wallet_host *host, const char *png_path, const char *advertise);

/* `mobid wallet serve`: the web app's options besides the host's wallet file, CA
 * file and clock. */
typedef struct cli_wallet_serve_opts {
    const char *listen;        /* NULL = 127.0.0.1:8444 */
    const char *issuer_roots, *rp_roots, *reg_roots; /* for the first start, or NULL */
    const char *web_dir;       /* pages from a folder instead of the built-in ones */
    unsigned session_s;        /* idle session timeout; 0 = 600 */
    uint64_t scrypt_n;
} cli_wallet_serve_opts;

/* Serve the wallet app until SIGINT/SIGTERM. Returns the command's exit code. */
int cli_wallet_serve(const cli_wallet_host *host, const cli_wallet_serve_opts *o);

#endif
