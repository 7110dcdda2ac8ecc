/*
 * `mobid up`, first start: the PKI, keys and configuration files before the services
 * start (up_prepare), then the people through the issuer once it answers
 * (up_bootstrap_people): the ministry admin, the offices with rollout dates relative
 * to today, and the staff of every open office, all as the provisioning policy
 * (etc/provisioning.example.json) and the card types (etc/card-types.json) say.
 *
 * up.json is written before the people are created, with "bootstrapped": false and
 * the passwords it will use, so a start that was interrupted half-way repeats the
 * same steps with the same secrets; an officer that already exists counts as done.
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

#include "http/client.h"
#include "services/provision/provision.h"

#define DAY_S 86400

static mobid_err create_admin(const up_opts *o, const json_t *admin);

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

/* Passwords for the admin and for the staff the policy gives every open office. */
static mobid_err plan_people(json_t *state, const json_t *policy, const json_t *open_ids)
{
    char pw[21];
    size_t i, k;
    json_t *id, *role, *people = json_array();
    const json_t *staffing = json_object_get(policy, "staffing");
    const char *admin = json_string_value(json_object_get(staffing, "admin"));
    mobid_err err = up_password(pw);
    if (!err)
        json_object_set_new(state, "admin", json_pack("{s:s, s:s}", "username",
                                                      admin ? admin : "ministry.admin",
                                                      "password", pw));
    json_array_foreach (open_ids, i, id) {
        json_array_foreach (json_object_get(staffing, "per_open_office"), k, role) {
            char user[96];
            snprintf(user, sizeof user, "%s.%s", json_string_value(id), json_string_value(role));
            if (err || (err = up_password(pw)))
                break;
            json_array_append_new(people, json_pack("{s:s, s:s, s:O, s:O}", "username", user,
                                                    "password", pw, "office_id", id, "role", role));
        }
    }
    json_object_set_new(state, "officers", people);
    mobid_wipe(pw, sizeof pw);
    return err;
}

static mobid_err first_prepare(const up_opts *o, const up_service *svc, json_t *state)
{
    char abs[PATH_MAX];
    json_t *open_ids = NULL, *rps = NULL, *cts = NULL, *policy = NULL;
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
        (err = plan_people(state, policy, open_ids)))
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
    if (*first && !json_object_get(*state, "admin") && !(err = first_prepare(o, svc, *state)))
        err = write_json(path, *state);
    /* Before the issuer starts: the store is opened by one process at a time here. */
    if (!err && *first && !json_is_true(json_object_get(*state, "admin_created")) &&
        !(err = create_admin(o, json_object_get(*state, "admin")))) {
        json_object_set_new(*state, "admin_created", json_true());
        err = write_json(path, *state);
    }
    return err;
}

/* ---- the people, through the running issuer ---- */

static mobid_err api_post(const up_service *issuer, const char *path, const char *token,
                          const json_t *body, long *status, json_t **reply)
{
    char url[160], auth[128];
    const char *headers[] = { auth, NULL };
    mobid_http_result r;
    mobid_err err;

    snprintf(url, sizeof url, "%s%s", issuer->url, path);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", token ? token : "");
    err = mobid_http_post_json(url, token ? headers : NULL, body, &r);
    *status = r.status;
    if (!err && reply)
        err = mobid_http_result_json(&r, reply);
    if (!err && *status >= 400)
        fprintf(stderr, "mobid up: POST %s answered %ld: %s\n", path, *status, r.body.ptr);
    mobid_http_result_free(&r);
    mobid_wipe(auth, sizeof auth);
    return err;
}

/* The first ministry admin cannot be made over the API (nobody can sign in yet):
 * `mobid office bootstrap` creates it directly in the store, with the offices. */
static mobid_err create_admin(const up_opts *o, const json_t *admin)
{
    char db[UP_PATH_MAX], pwfile[UP_PATH_MAX], log[UP_PATH_MAX], offices[UP_PATH_MAX];
    const char *user = json_string_value(json_object_get(admin, "username"));
    const char *pw = json_string_value(json_object_get(admin, "password"));
    mobid_err err;
    int rc;

    up_db_url(o, "issuer", db);
    up_path(o, "offices.json", offices);
    up_path(o, "admin.password", pwfile);
    up_path(o, "log/bootstrap.log", log);
    if ((err = up_write_secret(pwfile, pw)))
        return err;
    const char *args[] = { "office", "bootstrap", "--db", db, "--user", user,
                           "--password-file", pwfile, "--offices", offices, NULL };
    rc = up_run_self(o, args, NULL, log);
    unlink(pwfile);
    if (rc != 0)
        fprintf(stderr, "mobid up: `mobid office bootstrap` failed (see %s)\n", log);
    return rc == 0 ? MOBID_OK : MOBID_ERR_IO;
}

static mobid_err sign_in(const up_service *issuer, const json_t *admin, char **token)
{
    long status = 0;
    json_t *reply = NULL, *body = json_pack("{s:O, s:O, s:s}", "username",
                                            json_object_get(admin, "username"), "password",
                                            json_object_get(admin, "password"), "label",
                                            "mobid up bootstrap");
    mobid_err err = body ? api_post(issuer, "/api/v1/tokens", NULL, body, &status, &reply)
                         : MOBID_ERR_NOMEM;
    const char *t = json_string_value(json_object_get(reply, "token"));
    if (!err && (status != 201 || !t))
        err = MOBID_ERR_UNAUTHENTICATED;
    if (!err && !(*token = strdup(t)))
        err = MOBID_ERR_NOMEM;
    json_decref(body);
    json_decref(reply);
    return err;
}

static mobid_err create_officers(const up_service *issuer, const json_t *people,
                                 const char *token)
{
    size_t i;
    json_t *p;
    mobid_err err = MOBID_OK;
    json_array_foreach (people, i, p) {
        long status = 0;
        json_t *body = json_deep_copy(p);
        char display[128];
        snprintf(display, sizeof display, "%s (%s)",
                 json_string_value(json_object_get(p, "office_id")),
                 json_string_value(json_object_get(p, "role")));
        json_object_set_new(body, "display_name", json_string(display));
        err = api_post(issuer, "/api/v1/officers", token, body, &status, NULL);
        json_decref(body);
        if (!err && status != 201 && status != 409)
            err = MOBID_ERR_INVALID_ARG;
        if (err)
            break;
    }
    return err;
}

mobid_err up_bootstrap_people(const up_opts *o, const up_service *svc, json_t *state)
{
    char path[UP_PATH_MAX];
    char *token = NULL;
    const json_t *admin = json_object_get(state, "admin");
    mobid_err err;

    if ((err = sign_in(&svc[0], admin, &token)) ||
        (err = create_officers(&svc[0], json_object_get(state, "officers"), token)))
        goto done;
    json_object_set_new(state, "bootstrapped", json_true());
    up_path(o, "up.json", path);
    err = write_json(path, state);
done:
    if (token)
        mobid_wipe(token, strlen(token));
    free(token);
    return err;
}
