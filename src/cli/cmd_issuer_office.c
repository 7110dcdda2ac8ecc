/*
 * mobid office: the consular admin CLI over the issuer's /api/v1 (API token), plus two
 * local commands on the database itself: bootstrap (first ministry admin and the office
 * seed) and audit verify.
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/client.h"
#include "services/issuer/office.h"

static const char USAGE[] =
    "usage: mobid office <command> [options]\n"
    "\n"
    "over the API (--url URL or $MOBID_ISSUER_URL, --token T or $MOBID_TOKEN):\n"
    "  login --user NAME [--password-file F]     print an API token\n"
    "  logout                                    revoke the token\n"
    "  offices list | show ID | put --file F.json\n"
    "  officers list | create --username U --role officer|supervisor|ministry_admin\n"
    "           [--office ID] [--display-name N] [--password-file F]\n"
    "  apps list [--state S] | show ID | search --rrn NUMBER\n"
    "  apps create --cardtype T --applicant F.json [--office ID]\n"
    "  apps verify ID --evidence JSON | approve ID | reject ID --reason R | offer ID\n"
    "  apps cancel ID --reason R                 void an outstanding offer (supervisor)\n"
    "  apps suspend|resume|revoke ID --reason R\n"
    "  apps renew ID [--passport NUMBER]         renew the card for the same wallet (supervisor)\n"
    "  cards expiring [--days N] [--office ID]   active cards that expire soon (default 90 days)\n"
    "  audit list [--after SEQ] | audit verify\n"
    "on the database:\n"
    "  bootstrap --db URL --user NAME [--password-file F] [--offices FILE]\n"
    "  audit verify --db URL\n"
    "\n"
    "Passwords come from --password-file (\"-\" = stdin) or $MOBID_PASSWORD, never argv.\n"
    "--json prints the API's JSON; exit 0 success, 1 refused or failed, 2 usage.\n";

typedef struct opts {
    const char *url, *token, *db, *user, *password_file, *file, *reason, *evidence;
    const char *cardtype, *office, *role, *display_name, *state, *rrn, *after, *username;
    const char *offices, *applicant, *passport, *days;
    const char *pos[3];   /* group, verb, id */
    int npos;
    bool json;
} opts;

static int parse(int argc, char **argv, opts *o)
{
    static const struct { const char *name; size_t off; } flags[] = {
#define F(n, f) { "--" n, offsetof(opts, f) }
        F("url", url), F("token", token), F("db", db), F("user", user),
        F("password-file", password_file), F("file", file), F("reason", reason),
        F("evidence", evidence), F("cardtype", cardtype), F("office", office), F("role", role),
        F("display-name", display_name), F("state", state), F("rrn", rrn), F("after", after),
        F("username", username), F("offices", offices), F("applicant", applicant),
        F("passport", passport), F("days", days),
#undef F
    };
    memset(o, 0, sizeof *o);
    for (int i = 1; i < argc; i++) {
        bool known = false;
        if (!strcmp(argv[i], "--json")) {
            o->json = known = true;
            continue;
        }
        for (size_t k = 0; !known && k < sizeof flags / sizeof flags[0]; k++) {
            if (strcmp(argv[i], flags[k].name) != 0)
                continue;
            if (i + 1 >= argc)
                return cli_usage_error(USAGE, "%s needs a value", argv[i]);
            *(const char **)((char *)o + flags[k].off) = argv[++i];
            known = true;
        }
        if (!known && argv[i][0] == '-')
            return cli_usage_error(USAGE, "unknown option %s", argv[i]);
        if (!known && o->npos == 3)
            return cli_usage_error(USAGE, "too many arguments");
        if (!known)
            o->pos[o->npos++] = argv[i];
    }
    if (!o->url) o->url = getenv("MOBID_ISSUER_URL");
    if (!o->token) o->token = getenv("MOBID_TOKEN");
    return -1;
}

/* The password from --password-file or $MOBID_PASSWORD (heap; NULL if none). */
static char *read_password(const opts *o)
{
    mobid_buf b = { 0 };

    if (!o->password_file) {
        const char *env = getenv("MOBID_PASSWORD");
        return env ? strdup(env) : NULL;
    }
    if (cli_read_file(o->password_file, &b) != MOBID_OK)
        return NULL;
    while (b.len && (b.ptr[b.len - 1] == '\n' || b.ptr[b.len - 1] == '\r'))
        b.ptr[--b.len] = 0;
    return mobid_buf_detach_str(&b);
}

/* Print a response and map its status to an exit code. */
static int show(const opts *o, const mobid_http_result *r)
{
    json_t *j = NULL;
    bool ok = r->status >= 200 && r->status < 300;

    if (mobid_http_result_json(r, &j) != MOBID_OK) {
        fprintf(stderr, "mobid office: HTTP %ld with a body that is not JSON\n", r->status);
        return CLI_EXIT_FAIL;
    }
    if (ok || o->json)
        cli_print_json(j);
    if (!ok)
        fprintf(stderr, "mobid office: %s: %s\n",
                json_string_value(json_object_get(j, "error")) ?: "HTTP error",
                json_string_value(json_object_get(j, "detail")) ?: "");
    /* audit verify answers 200 with valid:false when the chain is broken */
    if (ok && json_is_false(json_object_get(j, "valid"))) {
        fprintf(stderr, "mobid office: audit chain broken at entry %lld\n",
                (long long)json_integer_value(json_object_get(j, "first_bad_seq")));
        ok = false;
    }
    json_decref(j);
    return ok ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}

/* One API call: method, path below the base URL, optional JSON body. */
static int call_api(const opts *o, const char *method, const char *path, const json_t *body)
{
    mobid_http_client *c = NULL;
    mobid_http_result r = { 0 };
    char url[1024], auth[256];
    const char *headers[2] = { auth, NULL };
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    int rc = CLI_EXIT_FAIL;
    mobid_err err;

    if (!o->url)
        return cli_usage_error(USAGE, "--url (or $MOBID_ISSUER_URL) is required");
    snprintf(url, sizeof url, "%s%s", o->url, path);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", o->token ? o->token : "");
    if (!o->token)
        headers[0] = NULL;
    err = mobid_http_client_new(NULL, &c);
    if (err == MOBID_OK)
        err = mobid_http_client_request(c, method, url, headers,
                                        text ? "application/json" : NULL,
                                        mobid_view_str(text ? text : ""), &r);
    if (err == MOBID_OK)
        rc = show(o, &r);
    else
        rc = cli_fail(o->json, err, "the issuer could not be reached");
    mobid_http_result_free(&r);
    mobid_http_client_free(c);
    free(text);
    return rc;
}

/* Read a JSON file argument. */
static json_t *load_json(const char *path)
{
    json_error_t e;
    json_t *j = path ? json_load_file(path, JSON_REJECT_DUPLICATES, &e) : NULL;
    if (path && !j)
        fprintf(stderr, "mobid office: %s:%d: %s\n", path, e.line, e.text);
    return j;
}

/* ---- on the database ---- */

/* First ministry admin and, optionally, the office seed; schema migrated first. The
 * audit log records both as done by "system". */
static int cmd_bootstrap(const opts *o)
{
    mobid_store *s = NULL;
    char id[23], *pw = NULL, detail[MOBID_SVC_DETAIL_MAX] = "";
    size_t n = 0;
    int rc = CLI_EXIT_FAIL;
    mobid_err err;

    if (!o->db || !o->user)
        return cli_usage_error(USAGE, "bootstrap needs --db and --user");
    if (!(pw = read_password(o)))
        return cli_usage_error(USAGE, "no password (--password-file or $MOBID_PASSWORD)");
    err = mobid_store_open(o->db, &s);
    if (err == MOBID_OK) err = issuer_schema_migrate(s);
    if (err == MOBID_OK && o->offices) err = issuer_offices_seed(NULL, s, o->offices, &n);
    if (err == MOBID_OK)
        err = issuer_officer_create(NULL, s, NULL, o->user, o->display_name, NULL,
                                    "ministry_admin", pw, id, detail, sizeof detail);
    if (err == MOBID_OK) {
        json_t *j = json_pack("{s:s, s:s, s:I}", "officer_id", id, "username", o->user,
                              "offices", (json_int_t)n);
        cli_print_json(j);
        json_decref(j);
        rc = CLI_EXIT_OK;
    } else {
        rc = cli_fail(o->json, err, detail[0] ? detail : s ? mobid_store_errmsg(s) : NULL);
    }
    mobid_wipe(pw, strlen(pw));
    free(pw);
    mobid_store_close(s);
    return rc;
}

static int cmd_audit_verify_db(const opts *o)
{
    mobid_store *s = NULL;
    int64_t checked = 0, bad = 0;
    char detail[96];
    mobid_err err;

    err = mobid_store_open(o->db, &s);
    if (err == MOBID_OK)
        err = issuer_audit_verify(s, &checked, &bad);
    mobid_store_close(s);
    if (err == MOBID_ERR_DIGEST_MISMATCH) {
        snprintf(detail, sizeof detail, "audit entry %lld was edited or deleted", (long long)bad);
        if (o->json) {
            json_t *j = json_pack("{s:b, s:s, s:s, s:I, s:I}", "valid", 0, "error",
                                  mobid_svc_err_name(err), "detail", detail, "first_bad_seq",
                                  (json_int_t)bad, "checked", (json_int_t)checked);
            cli_print_json(j);
            json_decref(j);
        }
        fprintf(stderr, "mobid office: %s\n", detail);
        return CLI_EXIT_FAIL;
    }
    if (err != MOBID_OK)
        return cli_fail(o->json, err, "the audit log could not be read");
    json_t *j = json_pack("{s:b, s:I}", "valid", 1, "checked", (json_int_t)checked);
    cli_print_json(j);
    json_decref(j);
    return CLI_EXIT_OK;
}

/* ---- over the API ---- */

static int cmd_login(const opts *o)
{
    char *pw = read_password(o);
    json_t *body;
    int rc;

    if (!o->user || !pw) {
        free(pw);
        return cli_usage_error(USAGE, "login needs --user and a password");
    }
    body = json_pack("{s:s, s:s, s:s}", "username", o->user, "password", pw, "label", "cli");
    rc = call_api(o, "POST", "/api/v1/tokens", body);
    mobid_wipe(pw, strlen(pw));
    free(pw);
    json_decref(body);
    return rc;
}

static int cmd_offices(const opts *o, const char *verb, const char *id)
{
    char path[256];
    if (!strcmp(verb, "list"))
        return call_api(o, "GET", "/api/v1/offices", NULL);
    if (!strcmp(verb, "show") && id) {
        snprintf(path, sizeof path, "/api/v1/offices/%s", id);
        return call_api(o, "GET", path, NULL);
    }
    if (!strcmp(verb, "put") && o->file) {
        json_t *j = load_json(o->file);
        int rc = j ? call_api(o, "POST", "/api/v1/offices", j) : CLI_EXIT_USAGE;
        json_decref(j);
        return rc;
    }
    return cli_usage_error(USAGE, "offices list | show ID | put --file F");
}

static int cmd_officers(const opts *o, const char *verb)
{
    if (!strcmp(verb, "list"))
        return call_api(o, "GET", "/api/v1/officers", NULL);
    if (strcmp(verb, "create") != 0 || !o->username || !o->role)
        return cli_usage_error(USAGE, "officers list | create --username U --role R ...");
    char *pw = read_password(o);
    if (!pw)
        return cli_usage_error(USAGE, "no password (--password-file or $MOBID_PASSWORD)");
    json_t *body = json_pack("{s:s, s:s, s:s?, s:s?, s:s}", "username", o->username, "role",
                             o->role, "office_id", o->office, "display_name", o->display_name,
                             "password", pw);
    int rc = call_api(o, "POST", "/api/v1/officers", body);
    mobid_wipe(pw, strlen(pw));
    free(pw);
    json_decref(body);
    return rc;
}

/* apps verbs that POST to /api/v1/applications/ID/<verb>. */
static int app_action(const opts *o, const char *verb, const char *id)
{
    char path[256];
    json_t *body = NULL;
    int rc;

    if (!id)
        return cli_usage_error(USAGE, "apps %s needs an application id", verb);
    snprintf(path, sizeof path, "/api/v1/applications/%s/%s", id, verb);
    if (!strcmp(verb, "verify")) {
        json_error_t e;
        /* the evidence is what the officer saw; the command does not make it up */
        body = o->evidence ? json_loads(o->evidence, JSON_REJECT_DUPLICATES, &e) : NULL;
        if (!json_is_object(body)) {
            json_decref(body);
            return cli_usage_error(USAGE, "apps verify needs --evidence '{\"passport\":...,"
                                          "\"residency\":...}'");
        }
    } else if (!strcmp(verb, "renew")) {
        body = o->passport ? json_pack("{s:s}", "passport_number", o->passport) : NULL;
    } else if (strcmp(verb, "approve") && strcmp(verb, "offer")) {
        if (!o->reason)
            return cli_usage_error(USAGE, "apps %s needs --reason", verb);
        body = json_pack("{s:s}", "reason", o->reason);
    }
    if (!body)
        body = json_object(); /* approve, offer and renew send {} */
    rc = call_api(o, "POST", path, body);
    json_decref(body);
    return rc;
}

static int cmd_apps(const opts *o, const char *verb, const char *id)
{
    static const char *const actions[] = { "verify", "approve", "reject", "offer", "cancel",
                                           "suspend", "resume", "revoke", "renew", NULL };
    char path[256];

    if (!strcmp(verb, "list")) {
        snprintf(path, sizeof path, "/api/v1/applications%s%s", o->state ? "?state=" : "",
                 o->state ? o->state : "");
        return call_api(o, "GET", path, NULL);
    }
    if (!strcmp(verb, "show") && id) {
        snprintf(path, sizeof path, "/api/v1/applications/%s", id);
        return call_api(o, "GET", path, NULL);
    }
    if (!strcmp(verb, "search") && o->rrn) {
        json_t *b = json_pack("{s:s}", "resident_registration_number", o->rrn);
        int rc = call_api(o, "POST", "/api/v1/applications/search", b);
        json_decref(b);
        return rc;
    }
    if (!strcmp(verb, "create") && o->cardtype && o->applicant) {
        json_t *a = load_json(o->applicant);
        json_t *b = a ? json_pack("{s:s, s:s?, s:o}", "cardtype", o->cardtype, "office_id",
                                  o->office, "applicant", a)
                      : NULL;
        int rc = b ? call_api(o, "POST", "/api/v1/applications", b) : CLI_EXIT_USAGE;
        json_decref(b);
        return rc;
    }
    for (int i = 0; actions[i]; i++)
        if (!strcmp(verb, actions[i]))
            return app_action(o, verb, id);
    return cli_usage_error(USAGE, "unknown or incomplete apps command '%s'", verb);
}

static int cmd_cards(const opts *o, const char *verb)
{
    char path[256];
    if (strcmp(verb, "expiring") != 0)
        return cli_usage_error(USAGE, "cards expiring [--days N] [--office ID]");
    /* without --days the issuer's configured window (renewal.expiring_within_days) */
    snprintf(path, sizeof path, "/api/v1/cards/expiring?days=%s%s%s", o->days ? o->days : "",
             o->office ? "&office=" : "", o->office ? o->office : "");
    return call_api(o, "GET", path, NULL);
}

static int cmd_audit(const opts *o, const char *verb)
{
    char path[128];
    if (!strcmp(verb, "verify"))
        return o->db ? cmd_audit_verify_db(o) : call_api(o, "GET", "/api/v1/audit/verify", NULL);
    if (!strcmp(verb, "list")) {
        snprintf(path, sizeof path, "/api/v1/audit?after=%s", o->after ? o->after : "0");
        return call_api(o, "GET", path, NULL);
    }
    return cli_usage_error(USAGE, "audit list | verify");
}

static int cmd_office(int argc, char **argv)
{
    opts o;
    int rc;

    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(USAGE, stdout);
            return CLI_EXIT_OK;
        }
    if ((rc = parse(argc, argv, &o)) >= 0)
        return rc;
    if (o.npos == 0)
        return cli_usage_error(USAGE, "a command is required");
    const char *group = o.pos[0], *verb = o.npos > 1 ? o.pos[1] : "list";
    const char *id = o.npos > 2 ? o.pos[2] : NULL;
    if (!strcmp(group, "bootstrap"))
        return cmd_bootstrap(&o);
    if (!strcmp(group, "login"))
        return cmd_login(&o);
    if (!strcmp(group, "logout"))
        return call_api(&o, "DELETE", "/api/v1/tokens", NULL);
    if (!strcmp(group, "offices"))
        return cmd_offices(&o, verb, id);
    if (!strcmp(group, "officers"))
        return cmd_officers(&o, verb);
    if (!strcmp(group, "apps"))
        return cmd_apps(&o, verb, id);
    if (!strcmp(group, "cards"))
        return cmd_cards(&o, verb);
    if (!strcmp(group, "audit"))
        return cmd_audit(&o, verb);
    return cli_usage_error(USAGE, "unknown command '%s'", group);
}

MOBID_CLI_COMMAND(office, "office",
                  "consular admin: offices, officers, applications, audit (issuer API)",
                  cmd_office)
