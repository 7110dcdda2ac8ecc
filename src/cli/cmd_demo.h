/*
 * `mobid demo`: shared declarations of cmd_demo.c (the running system, HTTP and
 * wallet helpers, narration) and cmd_demo_steps.c (the journey).
 */
#ifndef MOBID_CLI_CMD_DEMO_H
#define MOBID_CLI_CMD_DEMO_H

#include <stdbool.h>
#include <sys/types.h>
#include <jansson.h>
#include <mobid/base.h>

#define DEMO_DETAIL 512

typedef struct demo {
    char dir[64];            /* temporary data directory of the `up` it started */
    char self[512];          /* this mobid binary */
    char issuer[160], verifier[160], portal[48]; /* the URLs the steps use (public) */
    const char *issuer_url, *verifier_url; /* --issuer-url, --verifier-url or NULL */
    const char *ca_file;     /* --ca-file: CAs trusted for https, or NULL */
    pid_t up_pid;
    json_t *state;           /* DIR/up.json (names) with "accounts" (the one-time
                                passwords) and "api_keys" (id -> key) added */
    bool json;
    bool keep;               /* leave DIR in place */
    int step;                /* steps narrated so far */
    int failed;              /* steps that did not behave as expected */
    /* the journey so far */
    char *officer_token, *supervisor_token;
    char app_id[32];
    char *offer_uri, *tx_code;
} demo;

/* Narrate one step: what happens (plain words), whether it behaved as expected and
 * what was seen. Prose on stderr; with --json one object per step on stdout. */
void demo_say(demo *d, const char *name, const char *what, bool ok, const char *detail);

/* POST body (JSON, may be NULL for {}) to base + path with a bearer token (may be
 * NULL); *reply gets the JSON answer (owned, may be NULL), *status the HTTP status. */
MOBID_MUST_CHECK mobid_err demo_post(const char *base, const char *path, const char *token,
                                     const json_t *body, long *status, json_t **reply);
/* GET base + path with a bearer token; as demo_post. */
MOBID_MUST_CHECK mobid_err demo_get(const char *base, const char *path, const char *token,
                                    long *status, json_t **reply);

/* Run `mobid wallet --wallet DIR/<wallet> --pin-file DIR/pin --yes --json ARGS...`;
 * *out gets its stdout as JSON (owned, may be NULL). Returns the exit status. */
int demo_wallet(demo *d, const char *wallet, const char *const *args, json_t **out);

/* The one-time password of a sign-in name; the API key of a party. */
const char *demo_password(const demo *d, const char *username);
const char *demo_api_key(const demo *d, const char *rp_id);

/* The journey (cmd_demo_steps.c). Runs every step; d->failed counts the surprises. */
void demo_journey(demo *d);

#endif
