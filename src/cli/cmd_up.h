/*
 * `mobid up`: shared declarations of cmd_up.c (command line and supervisor),
 * cmd_up_boot.c (first-start bootstrap) and cmd_up_rp.c (relying-party material).
 *
 * Layout of the data directory (default ./var, created 0700):
 *   up.json          what the first start set up (ports, database, sign-in names,
 *                    relying parties); no secret in it. Its presence means
 *                    "bootstrapped": a restart reads it and sets up nothing again.
 *   one-time-passwords.json   the first start's passwords until each is changed (0600)
 *   wallet-app.url   the wallet app's link with this launch's secret (0600)
 *   pki/             written by `mobid pki init` (ministry root, signers, RP CA)
 *   rp/              access certificates, keys, ministry-signed registrations and
 *                    the parties' API keys (<id>.api-key, 0600)
 *   issuer.json, verifier.json, offices.json   the services' configuration
 *   data.key, verifier-seal.key                32-byte keys in hex, 0600
 *   issuer.db, verifier.db                     SQLite stores (unless --db)
 *   log/<service>.log                          what each service wrote
 */
#ifndef MOBID_CLI_CMD_UP_H
#define MOBID_CLI_CMD_UP_H

#include <stdbool.h>
#include <sys/types.h>
#include <jansson.h>
#include <mobid/base.h>

#define UP_NSERVICES 4 /* issuer, verifier, portal, the wallet app */
#define UP_DEFAULT_PORT_BASE 8441
#define UP_PATH_MAX 512
#define UP_DIR_MAX 256     /* longest --dir / --db: every path built from it fits */
#define UP_PASSWORDS_FILE "one-time-passwords.json"
#define UP_WALLET_LINK_FILE "wallet-app.url"

typedef struct up_opts {
    const char *dir;        /* data directory */
    const char *db;         /* NULL = SQLite files in dir; else a postgres:// URL */
    int port_base;          /* issuer = base, verifier = base + 1, portal = base + 2,
                               the citizen's wallet app = base + 3 */
    bool json;              /* one JSON object per line on stdout instead of prose */
    const char *self;       /* path of this mobid binary (children run it) */
    const char *policy;     /* provisioning policy file; NULL = the compiled-in
                               etc/provisioning.example.json */
    /* Public URLs (a TLS proxy in front, see etc/nginx/mobid.conf); NULL = the
     * loopback URL. They go into the PKI, issuer.json and verifier.json. */
    const char *issuer_url, *verifier_url, *portal_url;
    const char *ca_file;    /* absolute; CAs the verifier trusts for https status lists */
} up_opts;

typedef struct up_service {
    const char *name;       /* "issuer", "verifier", "portal" */
    int port;
    char url[64];           /* http://127.0.0.1:PORT (where up itself reaches it) */
    char public_url[160];   /* what wallets and browsers are told (--issuer-url, ...);
                               the wallet app's carries this launch's secret */
    pid_t pid;              /* 0 when not running */
    int restarts;
    long started_ms;        /* monotonic start time of the running child */
} up_service;

/* "DIR/name" into out (UP_PATH_MAX bytes). */
void up_path(const up_opts *o, const char *name, char out[UP_PATH_MAX]);
/* The database URL a service uses: --db, or sqlite:DIR/<service>.db. */
void up_db_url(const up_opts *o, const char *service, char out[UP_PATH_MAX]);
/* Write a file 0600 (atomically). */
MOBID_MUST_CHECK mobid_err up_write_secret(const char *path, const char *text);
/* 32 random bytes as 64 hex digits + NUL. */
MOBID_MUST_CHECK mobid_err up_random_hex(char out[65]);
/* A generated password: 20 characters from an unambiguous alphabet + NUL. */
MOBID_MUST_CHECK mobid_err up_password(char out[21]);

/* Run `self args...` to completion with stdout captured into *out (may be NULL: then
 * it goes to the log) and stderr appended to log_path. Returns the exit status, or -1
 * when it could not run. */
int up_run_self(const up_opts *o, const char *const *args, mobid_buf *out,
                const char *log_path);
/* Poll url + "/healthz" until it answers 200 or timeout_ms passes. */
bool up_wait_healthy(const char *url, long timeout_ms);

/* ---- cmd_up_boot.c ---- */

/* Files every start needs (configurations), written before the children start.
 * On the first start (no up.json) also the PKI, keys, relying parties, the offices
 * and the accounts with one-time passwords; *state gets up.json's content (owned). */
MOBID_MUST_CHECK mobid_err up_prepare(const up_opts *o, const up_service *svc, json_t **state,
                                      bool *first);
/* Print what is running and what to do next (prose on stderr, or one JSON object
 * on stdout with --json). */
void up_print_welcome(const up_opts *o, const up_service *svc, const json_t *state, bool first);

/* ---- cmd_up_secrets.c ---- */

/* DIR/rp/<rp_id>.api-key into out. */
void up_api_key_path(const up_opts *o, const char *rp_id, char out[UP_PATH_MAX]);
/* Write accounts ([{username, role, office_id?, password}], borrowed) to
 * DIR/one-time-passwords.json (0600). */
MOBID_MUST_CHECK mobid_err up_passwords_write(const up_opts *o, const json_t *accounts);
/* *accounts (owned) from DIR/one-time-passwords.json; MOBID_ERR_NOT_FOUND without it. */
MOBID_MUST_CHECK mobid_err up_passwords_load(const up_opts *o, json_t **accounts);
/* Drop the entries whose account has chosen its own password (read from the issuer's
 * store); delete the file when none is left. No file: nothing to do. */
MOBID_MUST_CHECK mobid_err up_passwords_prune(const up_opts *o);
/* Before the issuer starts: schema, the offices of DIR/offices.json and every account
 * of accounts with its one-time password; an account that exists counts as done. */
MOBID_MUST_CHECK mobid_err up_create_people(const up_opts *o, const json_t *accounts);
/* A data folder of an older mobid up keeps passwords and API keys in up.json (state):
 * move the keys to DIR/rp/<id>.api-key and the passwords that still sign in to
 * DIR/one-time-passwords.json as one-time passwords (the others are dropped), and
 * strip both from state; *changed when state must be written again. Before the
 * issuer starts. */
MOBID_MUST_CHECK mobid_err up_legacy_secrets(const up_opts *o, json_t *state, bool *changed);
/* DIR/wallet-app.url (0600): the wallet app's link with this launch's secret. */
MOBID_MUST_CHECK mobid_err up_wallet_link_write(const up_opts *o, const up_service *wallet);

/* ---- cmd_up_rp.c ---- */

/* Issue access certificates (RP CA in DIR/pki) and ministry-signed registrations for
 * the relying parties of the policy into DIR/rp/, each granted what the policy says
 * of the card types cts, and write DIR/verifier.json with the policy's profiles.
 * Each party's API key goes to DIR/rp/<id>.api-key (0600), its SHA-256 to
 * verifier.json. rps gets [{id, name}] (owned). */
MOBID_MUST_CHECK mobid_err up_rp_setup(const up_opts *o, const up_service *svc, const json_t *cts,
                                       const json_t *policy, json_t **rps);

#endif
