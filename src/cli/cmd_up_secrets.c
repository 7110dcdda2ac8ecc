/*
 * `mobid up`: where the secrets of a first start live, apart from up.json (which keeps
 * none, so that it can be read, copied and shown freely):
 *
 *   one-time-passwords.json   the sign-in names of the first start with their one-time
 *                             passwords (0600). Each account must choose a new password
 *                             at its first sign-in; up drops an entry once its account
 *                             has done so (checked at every start and every few seconds
 *                             while it runs) and deletes the file when none is left.
 *   rp/<id>.api-key           a relying party's API key (0600); the verifier keeps only
 *                             its SHA-256, the portal reads its two from these files.
 *   wallet-app.url            the citizen's wallet app's link with this launch's secret
 *                             (0600), written at every start.
 */
#include "cli.h"
#include "cmd_up.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "services/issuer/issuer.h"
#include "services/issuer/office.h"
#include "store/store.h"

static mobid_err write_json(const char *path, const json_t *j)
{
    char *text = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
    mobid_err err = text ? up_write_secret(path, text) : MOBID_ERR_NOMEM;
    if (text)
        mobid_wipe(text, strlen(text));
    free(text);
    return err;
}

void up_api_key_path(const up_opts *o, const char *rp_id, char out[UP_PATH_MAX])
{
    snprintf(out, UP_PATH_MAX, "%s/rp/%s.api-key", o->dir, rp_id);
}

mobid_err up_passwords_write(const up_opts *o, const json_t *accounts)
{
    char path[UP_PATH_MAX];
    json_t *j = json_pack("{s:s, s:O}", "note",
                          "one-time passwords: each must be changed at the first sign-in; "
                          "mobid up removes an entry once it has been", "accounts", accounts);
    mobid_err err = j ? MOBID_OK : MOBID_ERR_NOMEM;
    up_path(o, UP_PASSWORDS_FILE, path);
    if (!err)
        err = write_json(path, j);
    json_decref(j);
    return err;
}

mobid_err up_passwords_load(const up_opts *o, json_t **accounts)
{
    char path[UP_PATH_MAX];
    json_t *j;
    up_path(o, UP_PASSWORDS_FILE, path);
    *accounts = NULL;
    if (access(path, F_OK) != 0 && errno == ENOENT)
        return MOBID_ERR_NOT_FOUND;
    if (!(j = json_load_file(path, 0, NULL)))
        return MOBID_ERR_MALFORMED;
    *accounts = json_incref(json_object_get(j, "accounts"));
    json_decref(j);
    return json_is_array(*accounts) ? MOBID_OK : MOBID_ERR_MALFORMED;
}

/* Does the store still require a new password of this account? Unknown accounts do not. */
static bool still_one_time(const json_t *officers, const char *username)
{
    size_t i;
    json_t *w;
    json_array_foreach (officers, i, w)
        if (!strcmp(json_string_value(json_object_get(w, "username")) ?: "", username))
            return json_is_true(json_object_get(w, "must_change_password"));
    return false;
}

/* The entries of accounts whose one-time password is still the one to use. */
static mobid_err unused_entries(const up_opts *o, const json_t *accounts, json_t **left)
{
    char db[UP_PATH_MAX];
    issuer_officer every = { .role = ISSUER_ROLE_ADMIN }; /* sees every office */
    mobid_store *s = NULL;
    json_t *officers = NULL, *a;
    size_t i;
    mobid_err err;

    *left = json_array();
    up_db_url(o, "issuer", db);
    if ((err = mobid_store_open(db, &s)) || (err = issuer_officers_json(s, &every, &officers)))
        goto done;
    json_array_foreach (accounts, i, a)
        if (still_one_time(officers, json_string_value(json_object_get(a, "username")) ?: ""))
            json_array_append(*left, a);
done:
    mobid_store_close(s);
    json_decref(officers);
    return err;
}

mobid_err up_passwords_prune(const up_opts *o)
{
    char path[UP_PATH_MAX];
    json_t *accounts = NULL, *left = NULL;
    mobid_err err = up_passwords_load(o, &accounts);

    up_path(o, UP_PASSWORDS_FILE, path);
    if (err == MOBID_ERR_NOT_FOUND)
        return MOBID_OK;
    if (!err && !(err = unused_entries(o, accounts, &left))) {
        if (!json_array_size(left) && unlink(path) != 0)
            err = MOBID_ERR_IO;
        else if (json_array_size(left) && json_array_size(left) != json_array_size(accounts))
            err = up_passwords_write(o, left);
    }
    json_decref(accounts);
    json_decref(left);
    return err;
}

mobid_err up_create_people(const up_opts *o, const json_t *accounts)
{
    char db[UP_PATH_MAX], offices[UP_PATH_MAX], id[23], detail[MOBID_SVC_DETAIL_MAX] = "";
    mobid_store *s = NULL;
    size_t i, n = 0;
    json_t *a;
    mobid_err err;

    up_db_url(o, "issuer", db);
    up_path(o, "offices.json", offices);
    if ((err = mobid_store_open(db, &s)) || (err = issuer_schema_migrate(s)) ||
        (err = issuer_offices_seed(NULL, s, offices, &n)))
        goto done;
    json_array_foreach (accounts, i, a) {
        const char *office = json_string_value(json_object_get(a, "office_id"));
        char display[128];
        snprintf(display, sizeof display, "%s (%s)", office ? office : "",
                 json_string_value(json_object_get(a, "role")) ?: "");
        err = issuer_officer_create_one_time(NULL, s, json_string_value(json_object_get(a, "username")),
                                             office ? display : NULL, office,
                                             json_string_value(json_object_get(a, "role")),
                                             json_string_value(json_object_get(a, "password")), id,
                                             detail, sizeof detail);
        if (err == MOBID_SVC_ERR_STORE_CONFLICT) /* made by a start that was interrupted */
            err = MOBID_OK;
        if (err)
            break;
    }
done:
    if (err)
        fprintf(stderr, "mobid up: creating the accounts failed: %s%s%s\n", mobid_svc_err_name(err),
                detail[0] ? ": " : "", detail);
    mobid_store_close(s);
    return err;
}

/* ---- data folders of an older mobid up, which kept the secrets in up.json ---- */

/* Each party's api_key out of up.json into rp/<id>.api-key (kept if it exists). */
static mobid_err legacy_keys(const up_opts *o, json_t *state, bool *changed)
{
    char path[UP_PATH_MAX], text[160];
    size_t i;
    json_t *rp;
    mobid_err err = MOBID_OK;
    json_array_foreach (json_object_get(state, "relying_parties"), i, rp) {
        const char *id = json_string_value(json_object_get(rp, "id"));
        const char *key = json_string_value(json_object_get(rp, "api_key"));
        if (!id || !key)
            continue;
        up_api_key_path(o, id, path);
        snprintf(text, sizeof text, "%s\n", key);
        if (access(path, F_OK) != 0 && (err = up_write_secret(path, text)))
            break;
        json_object_del(rp, "api_key");
        *changed = true;
    }
    mobid_wipe(text, sizeof text);
    return err;
}

/* One account's password out of up.json: into *accounts if it is (made) one-time. */
static mobid_err legacy_account(mobid_store *s, json_t *a, const char *role, bool bootstrapped,
                                json_t *accounts)
{
    const char *user = json_string_value(json_object_get(a, "username"));
    const char *pw = json_string_value(json_object_get(a, "password"));
    bool marked = !bootstrapped; /* not made yet: up_create_people makes it one-time */
    mobid_err err = MOBID_OK;
    json_t *e;

    if (!user || !pw)
        return MOBID_OK;
    if (bootstrapped && (err = issuer_officer_make_one_time(s, user, pw, &marked)))
        return err;
    if (marked) {
        e = json_deep_copy(a);
        json_object_set_new(e, "role", json_string(role ? role : "ministry_admin"));
        json_array_append_new(accounts, e);
    }
    json_object_del(a, "password");
    return MOBID_OK;
}

/* The passwords out of up.json: those that still sign in become one-time passwords in
 * one-time-passwords.json (they have been on disk), the others are dropped. */
static mobid_err legacy_passwords(const up_opts *o, json_t *state, bool *changed)
{
    char db[UP_PATH_MAX];
    bool boot = json_is_true(json_object_get(state, "bootstrapped"));
    json_t *admin = json_object_get(state, "admin"), *accounts = NULL, *a;
    mobid_store *s = NULL;
    size_t i;
    mobid_err err;

    if (!json_object_get(admin, "password"))
        return MOBID_OK;
    if ((err = up_passwords_load(o, &accounts)) == MOBID_ERR_NOT_FOUND)
        accounts = json_array();
    up_db_url(o, "issuer", db);
    if ((err = err == MOBID_ERR_NOT_FOUND ? MOBID_OK : err) ||
        (boot && ((err = mobid_store_open(db, &s)) || (err = issuer_schema_migrate(s)))) ||
        (err = legacy_account(s, admin, NULL, boot, accounts)))
        goto done;
    json_array_foreach (json_object_get(state, "officers"), i, a)
        if ((err = legacy_account(s, a, json_string_value(json_object_get(a, "role")), boot,
                                  accounts)))
            goto done;
    *changed = true;
    err = json_array_size(accounts) ? up_passwords_write(o, accounts) : MOBID_OK;
done:
    mobid_store_close(s);
    json_decref(accounts);
    return err;
}

mobid_err up_legacy_secrets(const up_opts *o, json_t *state, bool *changed)
{
    mobid_err err = legacy_keys(o, state, changed);
    if (!err)
        err = legacy_passwords(o, state, changed);
    if (err)
        fprintf(stderr, "mobid up: moving the secrets out of up.json failed: %s\n",
                mobid_svc_err_name(err));
    return err;
}

mobid_err up_wallet_link_write(const up_opts *o, const up_service *wallet)
{
    char path[UP_PATH_MAX], text[sizeof wallet->public_url + 1];
    snprintf(text, sizeof text, "%s\n", wallet->public_url);
    up_path(o, UP_WALLET_LINK_FILE, path);
    mobid_err err = up_write_secret(path, text);
    mobid_wipe(text, sizeof text);
    return err;
}
