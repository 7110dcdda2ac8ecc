/*
 * `mobid up`, first start, before the services start (up_prepare): the PKI, keys and
 * configuration files, then in the issuer's store the offices with rollout dates
 * relative to today, the ministry admin and the staff of every open office, all as
 * the provisioning policy (etc/provisioning.example.json) and the card types
 * (etc/card-types.json) say.
 *
 * The accounts get one-time passwords (changed at the first sign-in), written to
 * one-time-passwords.json (cmd_up_secrets.c) before up.json says "bootstrapped":
 * false, so a start that was interrupted half-way repeats the same steps with the
 * same passwords; an account that already exists counts as done.
 */
#include "cli.h"
#include "cmd_up.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "services/provision/provision.h"

#define DAY_S 86400


static bool file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* The offices of the rollout: $MOBID_ETC_DIR/offices.example.json when set, else
 * the copy compiled in from etc/. */
static mobid_err offices_seed(json_t **out)
{
    char path[UP_PATH_MAX];
    const char *env = getenv("MOBID_ETC_DIR");
    if (env && *env)
        snprintf(path, sizeof path, "%s/offices.example.json", env);
    return prov_json_load(env && *env ? path : NULL, "etc/offices.example.json", out);
}

static mobid_err write_json(const char *path, const json_t *j)
{
    char *text = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
    mobid_err err = text ? up_write_secret(path, text) : MOBID_ERR_NOMEM;
    free(text);
    return err;
}

/* offices.json: the seed file with accepts_from moved to today's rollout, each wave
 * on the day the policy gives it. */
static mobid_err write_offices(const up_opts *o, const json_t *policy, int64_t today,
                               json_t **open_ids)
{
    char path[UP_PATH_MAX], date[11];
    json_t *root = NULL, *office;
    size_t i;
    mobid_err err;

    up_path(o, "offices.json", path);
    *open_ids = json_array();
    if ((err = offices_seed(&root)))
        goto done;
    err = MOBID_ERR_MALFORMED;
    json_array_foreach (json_object_get(root, "offices"), i, office) {
        int64_t day = prov_wave_day(policy, json_integer_value(json_object_get(office, "wave")), today);
        if (mobid_date_format(day, date) ||
            json_object_set_new(office, "accepts_from", json_string(date)))
            goto done;
        if (day <= today)
            json_array_append(*open_ids, json_object_get(office, "id"));
    }
    err = json_array_size(*open_ids) ? write_json(path, root) : MOBID_ERR_MALFORMED;
done:
    json_decref(root);
    return err;
}

static mobid_err write_issuer_config(const up_opts *o, const char *abs, const up_service *svc)
{
    char path[UP_PATH_MAX], pki[PATH_MAX + 8], key[PATH_MAX + 16];
    snprintf(pki, sizeof pki, "%s/pki", abs);
    snprintf(key, sizeof key, "%s/data.key", abs);
    up_path(o, "issuer.json", path);
    /* Status lists with a one-second ttl: on this one machine a lost phone is refused
     * at once (a ministry would serve them with minutes of ttl through a CDN). */
    json_t *j = json_pack("{s:s, s:s, s:s, s:{s:i}}", "issuer_url", svc[0].public_url, "pki_dir", pki,
                          "data_key_file", key, "status_list", "ttl_s", 1);
    mobid_err err = j ? write_json(path, j) : MOBID_ERR_NOMEM;
    json_decref(j);
    return err;
}

static mobid_err write_key_once(const up_opts *o, const char *name)
{
    char path[UP_PATH_MAX], hex[65];
    mobid_err err = MOBID_OK;
    up_path(o, name, path);
    if (!file_exists(path) && !(err = up_random_hex(hex))) {
        hex[64] = '\n';
        err = cli_write_file(path, mobid_view_make((const uint8_t *)hex, 65), 0600);
    }
    mobid_wipe(hex, sizeof hex);
    return err;
}

static mobid_err pki_init(const up_opts *o, const up_service *svc)
{
    char dir[UP_PATH_MAX], probe[UP_PATH_MAX + 16], log[UP_PATH_MAX];
    up_path(o, "pki", dir);
    up_path(o, "log/bootstrap.log", log);
    snprintf(probe, sizeof probe, "%s/iaca.pem", dir);
    if (file_exists(probe))
        return MOBID_OK;
    const char *args[] = { "pki", "init", dir, "--issuer-url", svc[0].public_url, NULL };
    if (up_run_self(o, args, NULL, log) != 0) {
        fprintf(stderr, "mobid up: `mobid pki init %s` failed (see %s)\n", dir, log);
        return MOBID_ERR_IO;
    }
    return MOBID_OK;
}

/* The admin and the staff the policy gives every open office: their names into
 * state (up.json), the same with a one-time password each into *accounts. */
static mobid_err plan_people(json_t *state, const json_t *policy, const json_t *open_ids,
                             json_t **accounts)
{
    char pw[21];
    size_t i, k;
    json_t *id, *role, *people = json_array();
    const json_t *staffing = json_object_get(policy, "staffing");
    const char *admin = json_string_value(json_object_get(staffing, "admin"));
    mobid_err err = up_password(pw);

    *accounts = json_array();
    if (!admin)
        admin = "ministry.admin";
    if (!err) {
        json_object_set_new(state, "admin", json_pack("{s:s}", "username", admin));
        json_array_append_new(*accounts, json_pack("{s:s, s:s, s:s}", "username", admin, "role",
                                                   "ministry_admin", "password", pw));
    }
    json_array_foreach (open_ids, i, id) {
        json_array_foreach (json_object_get(staffing, "per_open_office"), k, role) {
            char user[96];
            snprintf(user, sizeof user, "%s.%s", json_string_value(id), json_string_value(role));
            if (err || (err = up_password(pw)))
                break;
            json_array_append_new(people, json_pack("{s:s, s:O, s:O}", "username", user,
                                                    "office_id", id, "role", role));
            json_array_append_new(*accounts, json_pack("{s:s, s:O, s:O, s:s}", "username", user,
                                                       "office_id", id, "role", role,
                                                       "password", pw));
        }
    }
    json_object_set_new(state, "officers", people);
    mobid_wipe(pw, sizeof pw);
    return err;
}

/* The accounts of the first start, with the one-time passwords written before up.json
 * said "bootstrapped": false; then up.json says true. */
static mobid_err create_people(const up_opts *o, const char *path, json_t *state)
{
    json_t *accounts = NULL;
    mobid_err err = up_passwords_load(o, &accounts);

    if (err == MOBID_ERR_NOT_FOUND)
        fprintf(stderr, "mobid up: %s/%s is gone before its accounts were made; start again "
                        "with a fresh --dir\n", o->dir, UP_PASSWORDS_FILE);
    if (!err && !(err = up_create_people(o, accounts))) {
        json_object_set_new(state, "bootstrapped", json_true());
        err = write_json(path, state);
    }
    json_decref(accounts);
    return err;
}

static mobid_err first_prepare(const up_opts *o, const up_service *svc, json_t *state)
{
    char abs[PATH_MAX];
    json_t *open_ids = NULL, *rps = NULL, *cts = NULL, *policy = NULL, *accounts = NULL;
    int64_t today = mobid_now() / DAY_S;
    mobid_err err;

    if (!realpath(o->dir, abs))
        return MOBID_ERR_IO;
    if ((err = prov_cardtypes_load(NULL, &cts)) ||
        (err = prov_cardtypes_bind(cts, svc[0].public_url)) ||
        (err = prov_policy_load(o->policy, &policy)) ||
        (err = pki_init(o, svc)) || (err = write_key_once(o, "data.key")) ||
        (err = write_key_once(o, "verifier-seal.key")) ||
        (err = write_issuer_config(o, abs, svc)) ||
        (err = write_offices(o, policy, today, &open_ids)) ||
        (err = up_rp_setup(o, svc, cts, policy, &rps)) ||
        (err = plan_people(state, policy, open_ids, &accounts)) ||
        (err = up_passwords_write(o, accounts)))
        goto done;
    /* what the portal asks for, per site, so a restart starts it the same way */
    json_object_set(state, "portal", json_object_get(policy, "portal"));
    json_object_set_new(state, "port_base", json_integer(o->port_base));
    json_object_set_new(state, "issuer_url", json_string(svc[0].public_url));
    json_object_set_new(state, "store", json_string(o->db ? "postgresql" : "sqlite"));
    json_object_set(state, "relying_parties", rps);
    json_object_set_new(state, "bootstrapped", json_false());
done:
    json_decref(open_ids);
    json_decref(accounts);
    json_decref(rps);
    json_decref(cts);
    json_decref(policy);
    return err;
}

mobid_err up_prepare(const up_opts *o, const up_service *svc, json_t **state, bool *first)
{
    char path[UP_PATH_MAX];
    json_error_t je;
    mobid_err err = MOBID_OK;

    up_path(o, "up.json", path);
    *state = file_exists(path) ? json_load_file(path, 0, &je) : json_object();
    if (!*state) {
        fprintf(stderr, "mobid up: %s: %s\n", path, je.text);
        return MOBID_ERR_MALFORMED;
    }
    *first = !json_is_true(json_object_get(*state, "bootstrapped"));
    if (json_object_get(*state, "port_base") &&
        json_integer_value(json_object_get(*state, "port_base")) != o->port_base) {
        fprintf(stderr, "mobid up: %s was set up for --port-base %lld; use that, or a fresh --dir\n",
                o->dir, (long long)json_integer_value(json_object_get(*state, "port_base")));
        return MOBID_ERR_INVALID_ARG;
    }
    /* The issuer's URL is in its certificates and in every card it issued. */
    const char *url = json_string_value(json_object_get(*state, "issuer_url"));
    if (url && strcmp(url, svc[0].public_url)) {
        fprintf(stderr, "mobid up: %s was set up for the issuer URL %s (it is in the PKI); "
                        "give --issuer-url %s, or use a fresh --dir\n", o->dir, url, url);
        return MOBID_ERR_INVALID_ARG;
    }
    const char *store = json_string_value(json_object_get(*state, "store"));
    if (store && strcmp(store, o->db ? "postgresql" : "sqlite")) {
        fprintf(stderr, "mobid up: %s keeps its data in %s; %s\n", o->dir, store,
                o->db ? "leave out --db, or use a fresh --dir" : "give the same --db again");
        return MOBID_ERR_INVALID_ARG;
    }
    bool moved = false;
    if (!(err = up_legacy_secrets(o, *state, &moved)) && moved)
        err = write_json(path, *state);
    if (!err && *first && !json_object_get(*state, "admin") && !(err = first_prepare(o, svc, *state)))
        err = write_json(path, *state);
    /* Before the issuer starts: the store is opened by one process at a time here. */
    if (!err && *first)
        err = create_people(o, path, *state);
    if (!err)
        err = up_passwords_prune(o);
    return err;
}
