/*
 * `mobid up`: what is running and what to do next, printed once the services
 * answer. Prose on stderr (the terminal), or one JSON object on stdout with --json.
 * No password or API key is printed: they are in 0600 files whose names are given
 * (cmd_up_secrets.c). The wallet app's per-launch link goes to the terminal and to
 * DIR/wallet-app.url, not to stdout.
 */
#include "cli.h"
#include "cmd_up.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool file_exists(const up_opts *o, const char *name)
{
    char path[UP_PATH_MAX];
    up_path(o, name, path);
    return access(path, F_OK) == 0;
}

static void print_people(const up_opts *o, const json_t *state)
{
    const json_t *p;
    size_t i;
    fprintf(stderr, "\nSign in to the office console as (role):\n  %s (ministry admin)",
            json_string_value(json_object_get(json_object_get(state, "admin"), "username")));
    json_array_foreach (json_object_get(state, "officers"), i, p)
        fprintf(stderr, "%s%s (%s)", i % 3 == 2 ? ",\n  " : ", ",
                json_string_value(json_object_get(p, "username")),
                json_string_value(json_object_get(p, "role")));
    if (file_exists(o, UP_PASSWORDS_FILE))
        fprintf(stderr, "\nwith the one-time passwords in %s/%s (only you can read it).\n"
                        "Each must be changed at its first sign-in; the file forgets a password "
                        "once it has been.\n", o->dir, UP_PASSWORDS_FILE);
    else
        fprintf(stderr, "\nwith the passwords they chose at their first sign-in.\n");
}

static void print_prose(const up_opts *o, const up_service *svc, const json_t *state)
{
    fprintf(stderr, "\nmobid is running (data in %s, logs in %s/log/)\n\n", o->dir, o->dir);
    fprintf(stderr, "  office console and issuer  %s/console/\n", svc[0].public_url);
    fprintf(stderr, "  verifier API               %s/api/v1/verifications\n", svc[1].public_url);
    fprintf(stderr, "  Government 24 portal       %s/\n", svc[2].public_url);
    fprintf(stderr, "  bank portal                %s/bank\n", svc[2].public_url);
    fprintf(stderr, "  citizen's wallet app       %s\n", svc[3].public_url);
    fprintf(stderr, "  health and metrics         /healthz and /metrics on each\n");
    /* overseas has no page of its own: it is the API client of docs/verifier.md */
    fprintf(stderr, "  relying parties            gov24 and bank (pages above), overseas (API "
                    "only); API keys in %s/rp/<id>.api-key\n", o->dir);
    print_people(o, state);
    fprintf(stderr,
            "\nThen, as the applicant:\n"
            "  1. In the console, sign in as los-angeles.officer, take an application, check\n"
            "     the passport; sign in as los-angeles.supervisor and approve; issue the offer.\n"
            "  2. Open the citizen's wallet app (link above) as on a phone: choose a PIN, add\n"
            "     the card from the offer's QR image or link and its code. Or, for scripts,\n"
            "     the wallet command (another terminal; it asks for a new PIN, then the code):\n"
            "       %s wallet --wallet me.wallet --issuer-roots %s/pki/iaca.pem \\\n"
            "           --rp-roots %s/pki/rp-ca.pem --registration-roots %s/pki/iaca.pem init\n"
            "       %s wallet --wallet me.wallet receive 'openid-credential-offer://...'\n"
            "     (the offer link from the console, or --qr offer.png with its QR image)\n"
            "  3. Open %s/, press \"Verify with Mobile ID\" and give the wallet app the link\n"
            "     (Present my ID), or the command:\n"
            "       %s wallet --wallet me.wallet present 'openid4vp://...'\n"
            "\nOr watch the whole journey at once: %s demo.   Ctrl-C stops everything.\n\n",
            o->self, o->dir, o->dir, o->dir, o->self, svc[2].public_url, o->self, o->self);
}

/* What the first start made, by name only: the secrets are in the files named. */
static json_t *secrets_json(const up_opts *o, const json_t *state)
{
    json_t *keys = json_object(), *rp;
    size_t i;
    json_array_foreach (json_object_get(state, "relying_parties"), i, rp) {
        char path[UP_PATH_MAX];
        const char *id = json_string_value(json_object_get(rp, "id"));
        snprintf(path, sizeof path, "rp/%s.api-key", id ? id : "");
        json_object_set_new(keys, id ? id : "", json_string(path));
    }
    return json_pack("{s:s?, s:o, s:s}", "one_time_passwords",
                     file_exists(o, UP_PASSWORDS_FILE) ? UP_PASSWORDS_FILE : NULL, "api_keys",
                     keys, "wallet_link", UP_WALLET_LINK_FILE);
}

static void print_json(const up_opts *o, const up_service *svc, const json_t *state, bool first)
{
    /* the wallet app's address without its secret (that is in wallet-app.url) */
    json_t *j = json_pack("{s:s, s:s, s:b, s:{s:s, s:s, s:s, s:s}, s:s, s:o}", "event", "ready",
                          "dir", o->dir, "first_start", first, "urls", "issuer", svc[0].public_url,
                          "verifier", svc[1].public_url, "portal", svc[2].public_url, "wallet",
                          svc[3].url, "state_file", "up.json", "secret_files",
                          secrets_json(o, state));
    if (j) {
        json_object_set(j, "admin", json_object_get(state, "admin"));
        json_object_set(j, "officers", json_object_get(state, "officers"));
    }
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    if (text)
        printf("%s\n", text);
    fflush(stdout);
    free(text);
    json_decref(j);
}

void up_print_welcome(const up_opts *o, const up_service *svc, const json_t *state, bool first)
{
    if (o->json)
        print_json(o, svc, state, first);
    else
        print_prose(o, svc, state);
}
