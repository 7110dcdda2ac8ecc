/*
 * `mobid demo [--json] [--keep] [--port-base N]`: the whole journey, narrated, against a
 * fresh `mobid up` that it starts itself in a temporary directory on free ports and
 * stops at the end. Exit 0 only when every step behaved as expected.
 */
#include "cli.h"
#include "cmd_demo.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "http/client.h"

static const char USAGE[] =
    "usage: mobid demo [--json] [--keep] [--port-base N]\n"
    "                  [--issuer-url URL --verifier-url URL --ca-file PEM]\n"
    "\n"
    "Starts a fresh `mobid up` in a temporary directory on free loopback ports and walks\n"
    "the whole journey, saying what happens at each step: an application at the Los\n"
    "Angeles consulate, the identity check, approval by a second officer, the offer, the\n"
    "wallet receiving the card, Government 24 verifying it (resident registration number\n"
    "shown), a bank verifying it (name, birth date and age_over_19 only), the phone\n"
    "reported lost, verification refused as suspended, the card resumed, verification\n"
    "succeeding again, the card issued to a new phone and the old phone's card refused.\n"
    "--json prints one object per step ({\"step\",\"name\",\"ok\",\"says\",\"detail\"}) on\n"
    "stdout. --keep leaves the temporary directory (its path is printed). --port-base\n"
    "picks the ports instead of searching free ones. Exit 0 when every step behaved as\n"
    "expected, 1 otherwise, 2 on a usage error. Behind a TLS proxy (etc/nginx/mobid.conf)\n"
    "in front of the ports, --issuer-url and --verifier-url give the public https://\n"
    "URLs that every step and the wallet use, and --ca-file the CA they trust.\n";

#define DEMO_UP_TIMEOUT_S 90

void demo_say(demo *d, const char *name, const char *what, bool ok, const char *detail)
{
    d->step++;
    if (!ok)
        d->failed++;
    if (d->json) {
        json_t *j = json_pack("{s:i, s:s, s:b, s:s, s:s}", "step", d->step, "name", name, "ok",
                              ok, "says", what, "detail", detail ? detail : "");
        char *t = j ? json_dumps(j, JSON_COMPACT) : NULL;
        if (t)
            printf("%s\n", t);
        fflush(stdout);
        free(t);
        json_decref(j);
    } else {
        fprintf(stderr, "%2d. %s\n    %s%s%s\n", d->step, what, ok ? "ok" : "NOT AS EXPECTED",
                detail && *detail ? ": " : "", detail ? detail : "");
    }
}

/* --ca-file: the steps' own requests trust it too (one demo per process). */
static const char *demo_ca_file;

static mobid_err request(const char *method, const char *base, const char *path,
                         const char *token, const json_t *body, long *status, json_t **reply)
{
    char url[256], auth[160];
    const char *headers[] = { auth, NULL };
    mobid_http_client *c = NULL;
    mobid_http_client_opts co = { .timeout_ms = 70000, .ca_file = demo_ca_file };
    mobid_http_result r = { 0 };
    json_t *empty = json_object();
    char *text = NULL;
    mobid_err err;

    *status = 0;
    *reply = NULL;
    snprintf(url, sizeof url, "%s%s", base, path);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", token ? token : "");
    if ((err = mobid_http_client_new(&co, &c)))
        goto done;
    if (body || !strcmp(method, "POST")) {
        text = json_dumps(body ? body : empty, JSON_COMPACT);
        err = text ? mobid_http_client_request(c, method, url, token ? headers : NULL,
                                               "application/json", mobid_view_str(text), &r)
                   : MOBID_ERR_NOMEM;
    } else {
        err = mobid_http_client_get(c, url, token ? headers : NULL, &r);
    }
    *status = r.status;
    if (!err && r.body.len)
        *reply = json_loads((const char *)r.body.ptr, 0, NULL);
done:
    mobid_wipe(auth, sizeof auth);
    mobid_http_result_free(&r);
    mobid_http_client_free(c);
    json_decref(empty);
    free(text);
    return err;
}

mobid_err demo_post(const char *base, const char *path, const char *token, const json_t *body,
                    long *status, json_t **reply)
{
    return request("POST", base, path, token, body, status, reply);
}

mobid_err demo_get(const char *base, const char *path, const char *token, long *status,
                   json_t **reply)
{
    return request("GET", base, path, token, NULL, status, reply);
}

/* Fork and exec self with args; stdout into *out (NUL-terminated), stderr to log. */
static int run_self(const demo *d, const char *const *args, mobid_buf *out, const char *log)
{
    int fds[2], st = 0;
    char chunk[4096];
    ssize_t r;
    pid_t pid;

    if (pipe(fds) != 0)
        return -1;
    if ((pid = fork()) < 0) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        const char *argv[24] = { d->self };
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
        for (size_t i = 0; args[i] && i < 22; i++)
            argv[i + 1] = args[i];
        dup2(fds[1], STDOUT_FILENO);
        if (fd >= 0)
            dup2(fd, STDERR_FILENO);
        close(fds[0]);
        execv(d->self, (char *const *)argv);
        _exit(127);
    }
    close(fds[1]);
    while ((r = read(fds[0], chunk, sizeof chunk)) > 0 || (r < 0 && errno == EINTR))
        if (r > 0 && mobid_buf_append(out, chunk, (size_t)r))
            break;
    close(fds[0]);
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    return mobid_buf_terminate(out) ? -1 : WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int demo_wallet(demo *d, const char *wallet, const char *const *args, json_t **out)
{
    char path[128], pin[128], roots[128], rp[128], log[128];
    const char *argv[24] = { "wallet", "--wallet", path, "--pin-file", pin, "--yes", "--json",
                             "--issuer-roots", roots, "--rp-roots", rp,
                             "--registration-roots", roots };
    size_t n = !strcmp(args[0], "init") ? 13 : 7; /* the trust roots go in at init */

    if (d->ca_file && n == 7) {
        argv[n++] = "--ca-file";
        argv[n++] = d->ca_file;
    }
    mobid_buf b;
    int rc;

    snprintf(path, sizeof path, "%s/%s", d->dir, wallet);
    snprintf(pin, sizeof pin, "%s/pin", d->dir);
    snprintf(roots, sizeof roots, "%s/pki/iaca.pem", d->dir);
    snprintf(rp, sizeof rp, "%s/pki/rp-ca.pem", d->dir);
    snprintf(log, sizeof log, "%s/log/wallet.log", d->dir);
    for (size_t i = 0; args[i] && n < 23; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    mobid_buf_init(&b, 0);
    rc = run_self(d, argv, &b, log);
    *out = b.len ? json_loads((const char *)b.ptr, JSON_DISABLE_EOF_CHECK, NULL) : NULL;
    mobid_buf_free(&b);
    return rc;
}

static const char *lookup(const json_t *list, const char *key, const char *value,
                          const char *field)
{
    size_t i;
    json_t *e;
    json_array_foreach (list, i, e)
        if (!strcmp(json_string_value(json_object_get(e, key)) ?: "", value))
            return json_string_value(json_object_get(e, field));
    return NULL;
}

const char *demo_password(const demo *d, const char *username)
{
    return lookup(json_object_get(d->state, "accounts"), "username", username, "password");
}

const char *demo_api_key(const demo *d, const char *rp_id)
{
    return json_string_value(json_object_get(json_object_get(d->state, "api_keys"), rp_id));
}

/* ---- the system under demonstration ---- */

static bool port_free(int port)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    bool ok = fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

static int free_port_base(void)
{
    uint8_t r[2];
    for (int tries = 0; tries < 200; tries++) {
        if (mobid_random(r, 2))
            break;
        int base = 20000 + ((r[0] << 8 | r[1]) % 12700); /* below the ephemeral range */
        /* issuer, verifier, portal and the wallet app */
        if (port_free(base) && port_free(base + 1) && port_free(base + 2) && port_free(base + 3))
            return base;
    }
    return 0;
}

/* Start `mobid up --json` and wait for its "ready" line. */
static bool start_up(demo *d, int base)
{
    char pb[16], line[8192];
    const char *argv[16] = { d->self, "up", "--dir", d->dir, "--port-base", pb, "--json" };
    size_t n = 7;
    int fds[2];
    FILE *f;
    bool ready = false;

    snprintf(pb, sizeof pb, "%d", base);
    snprintf(d->issuer, sizeof d->issuer, "http://127.0.0.1:%d", base);
    snprintf(d->verifier, sizeof d->verifier, "http://127.0.0.1:%d", base + 1);
    snprintf(d->portal, sizeof d->portal, "http://127.0.0.1:%d", base + 2);
    /* Behind a TLS proxy every step goes through it, as a wallet's requests would. */
    const char *more[][2] = { { "--issuer-url", d->issuer_url },
                              { "--verifier-url", d->verifier_url },
                              { "--ca-file", d->ca_file } };
    for (size_t i = 0; i < 3; i++)
        if (more[i][1]) {
            argv[n++] = more[i][0];
            argv[n++] = more[i][1];
        }
    argv[n] = NULL;
    if (d->issuer_url)
        snprintf(d->issuer, sizeof d->issuer, "%s", d->issuer_url);
    if (d->verifier_url)
        snprintf(d->verifier, sizeof d->verifier, "%s", d->verifier_url);
    if (pipe(fds) != 0)
        return false;
    if ((d->up_pid = fork()) < 0) {
        close(fds[0]);
        close(fds[1]);
        return false;
    }
    if (d->up_pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        prctl(PR_SET_PDEATHSIG, SIGTERM); /* the system goes when the demo does */
        execv(d->self, (char *const *)argv);
        _exit(127);
    }
    close(fds[1]);
    if (!(f = fdopen(fds[0], "r")))
        return false;
    alarm(DEMO_UP_TIMEOUT_S);
    while (!ready && fgets(line, sizeof line, f)) {
        json_t *j = json_loads(line, 0, NULL);
        const char *ev = json_string_value(json_object_get(j, "event"));
        ready = ev && !strcmp(ev, "ready");
        if (ev && !strcmp(ev, "failed") && !d->json)
            fprintf(stderr, "mobid demo: %s\n", json_string_value(json_object_get(j, "message")));
        json_decref(j);
    }
    alarm(0);
    fclose(f);
    return ready;
}

static void stop_up(demo *d)
{
    int st;
    if (d->up_pid <= 0)
        return;
    kill(d->up_pid, SIGTERM);
    waitpid(d->up_pid, &st, 0);
    d->up_pid = 0;
}

/* The parties' API keys from DIR/rp/<id>.api-key into an object id -> key. */
static json_t *load_api_keys(const demo *d)
{
    json_t *keys = json_object(), *rp;
    size_t i;
    json_array_foreach (json_object_get(d->state, "relying_parties"), i, rp) {
        char path[160];
        const char *id = json_string_value(json_object_get(rp, "id"));
        mobid_buf b;
        mobid_buf_init(&b, 0);
        snprintf(path, sizeof path, "%s/rp/%s.api-key", d->dir, id ? id : "");
        if (id && !cli_read_file(path, &b) && !mobid_buf_terminate(&b)) {
            b.ptr[strcspn((const char *)b.ptr, "\n")] = 0;
            json_object_set_new(keys, id, json_string((const char *)b.ptr));
        }
        mobid_buf_free(&b);
    }
    return keys;
}

/* up.json (names), the one-time passwords (read before their first use, which
 * changes them) and the API keys, as the operator of a fresh system has them. */
static bool load_state(demo *d)
{
    char path[128];
    json_t *once;
    snprintf(path, sizeof path, "%s/up.json", d->dir);
    d->state = json_load_file(path, 0, NULL);
    snprintf(path, sizeof path, "%s/one-time-passwords.json", d->dir);
    once = json_load_file(path, 0, NULL);
    if (d->state) {
        json_object_set(d->state, "accounts", json_object_get(once, "accounts"));
        json_object_set_new(d->state, "api_keys", load_api_keys(d));
    }
    json_decref(once);
    snprintf(path, sizeof path, "%s/pin", d->dir);
    return d->state && cli_write_file(path, mobid_view_str("246810\n"), 0600) == MOBID_OK;
}

static void remove_dir(const demo *d)
{
    const char *argv[] = { "rm", "-rf", d->dir, NULL };
    pid_t pid = fork();
    int st;
    if (pid == 0) {
        execvp("rm", (char *const *)argv);
        _exit(127);
    }
    if (pid > 0)
        waitpid(pid, &st, 0);
}

/* A handler that does nothing, installed without SA_RESTART: SIGALRM then ends the
 * wait for `mobid up`'s ready line (fgets fails with EINTR) instead of the process. */
static void on_alarm(int sig)
{
    (void)sig;
}

static int run_demo(demo *d, int base)
{
    struct sigaction sa = { .sa_handler = on_alarm };
    char detail[DEMO_DETAIL];
    bool up;

    sigaction(SIGALRM, &sa, NULL);
    snprintf(d->dir, sizeof d->dir, "/tmp/mobid-demo-XXXXXX");
    if (!mkdtemp(d->dir)) {
        fprintf(stderr, "mobid demo: cannot make a temporary directory\n");
        return CLI_EXIT_FAIL;
    }
    if (!base && !(base = free_port_base())) {
        fprintf(stderr, "mobid demo: no four free consecutive loopback ports\n");
        return CLI_EXIT_FAIL;
    }
    up = start_up(d, base) && load_state(d);
    snprintf(detail, sizeof detail, "issuer %s, verifier %s, portal %s, data in %s%s", d->issuer,
             d->verifier, d->portal, d->dir, up ? "" : " (see log/ there)");
    demo_say(d, "system_up", "A fresh mobid starts: issuer with the office console, verifier "
             "and portal, bootstrapped with offices, officers and relying parties.", up, detail);
    if (up)
        demo_journey(d);
    stop_up(d);
    if (!d->keep && up && !d->failed)
        remove_dir(d);
    else if (!d->json)
        fprintf(stderr, "mobid demo: the data and logs are in %s\n", d->dir);
    if (!d->json)
        fprintf(stderr, "\n%s: %d of %d steps behaved as expected\n",
                d->failed ? "mobid demo FAILED" : "mobid demo passed", d->step - d->failed,
                d->step);
    return d->failed ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}

static int cmd_demo(int argc, char **argv)
{
    static const struct option opts[] = { { "json", no_argument, 0, 'j' },
                                          { "keep", no_argument, 0, 'k' },
                                          { "port-base", required_argument, 0, 'p' },
                                          { "issuer-url", required_argument, 0, 'I' },
                                          { "verifier-url", required_argument, 0, 'V' },
                                          { "ca-file", required_argument, 0, 'C' },
                                          { "help", no_argument, 0, 'h' },
                                          { 0, 0, 0, 0 } };
    demo d = { 0 };
    int c, base = 0, rc;
    ssize_t n;
    char *end = NULL;

    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'j': d.json = true; break;
        case 'k': d.keep = true; break;
        case 'p':
            base = (int)strtol(optarg, &end, 10);
            if (!end || *end || base < 1 || base > 65533)
                return cli_usage_error(USAGE, "--port-base must be a port number");
            break;
        case 'I': d.issuer_url = optarg; break;
        case 'V': d.verifier_url = optarg; break;
        case 'C': d.ca_file = demo_ca_file = optarg; break;
        case 'h': fputs(USAGE, stdout); return CLI_EXIT_OK;
        default: return cli_usage_error(USAGE, "unknown option");
        }
    }
    if (optind != argc)
        return cli_usage_error(USAGE, "unexpected argument %s", argv[optind]);
    if ((n = readlink("/proc/self/exe", d.self, sizeof d.self - 1)) <= 0)
        return cli_fail(d.json, MOBID_ERR_IO, "cannot find the mobid binary");
    d.self[n] = 0;
    rc = run_demo(&d, base);
    json_decref(d.state);
    free(d.officer_token);
    free(d.supervisor_token);
    free(d.offer_uri);
    free(d.tx_code);
    return rc;
}

MOBID_CLI_COMMAND(demo, "demo", "walk the whole journey on a fresh system, narrated", cmd_demo)
