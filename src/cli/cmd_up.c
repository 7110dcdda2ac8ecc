/*
 * `mobid up`: the whole system in one supervised process group.
 *
 *   mobid up [--dir DIR] [--db postgres://...] [--port-base N] [--json]
 *
 * The issuer (with the office console), the verifier, the portal and the citizen's
 * wallet app run as children of this process (`mobid issuer serve`, `mobid verifier
 * serve`, `mobid portal serve`, `mobid wallet serve`), each on 127.0.0.1: issuer N,
 * verifier N+1, portal N+2, wallet app N+3 (N = 8441). A child
 * that exits on its own is started again; SIGINT or SIGTERM stops all of them
 * (SIGTERM, then SIGKILL after 5 seconds) and `up` exits 0. The first start in an
 * empty DIR bootstraps everything (see cmd_up_boot.c); later starts reuse it.
 */
#include "cli.h"
#include "cmd_up.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "http/client.h"

static const char USAGE[] =
    "usage: mobid up [--dir DIR] [--db postgres://...] [--port-base N] [--policy FILE] [--json]\n"
    "                [--issuer-url URL] [--verifier-url URL] [--portal-url URL] [--ca-file PEM]\n"
    "\n"
    "Runs the issuer with the office console (127.0.0.1:N), the verifier (N+1), the\n"
    "portal (N+2) and the citizen's wallet app (N+3, wallet DIR/phone.wallet, its link\n"
    "with a per-launch secret on the terminal and in DIR/wallet-app.url) as one\n"
    "supervised process group; N is 8441 unless --port-base says otherwise. Data lives\n"
    "in DIR (default ./var): SQLite databases, the PKI, the configuration and\n"
    "log/<service>.log; --db puts both services' tables in one PostgreSQL database\n"
    "instead. The first start in an empty DIR bootstraps the PKI, a ministry admin, the\n"
    "offices of etc/offices.example.json (7 open now, 14 in a month, the rest by year\n"
    "end), an officer and a supervisor per open office, and the relying parties\n"
    "(Government 24, the Overseas Korean portal, a bank), and prints their names with\n"
    "the URLs and the wallet commands to type. No password or key is printed: the\n"
    "accounts' one-time passwords are in DIR/one-time-passwords.json (0600; each must be\n"
    "changed at its first sign-in and is then dropped from the file), the parties' API\n"
    "keys in DIR/rp/<id>.api-key (0600); DIR/up.json keeps no secret.\n"
    "What is provisioned (parties and their grants, profiles, waves, staff) is the\n"
    "policy of etc/provisioning.example.json, or of --policy FILE on the first start.\n"
    "A restart keeps all data. A service that exits is restarted; Ctrl-C stops all.\n"
    "--json prints one JSON object per event on stdout instead of the prose (the ready\n"
    "event names the files that hold the secrets).\n"
    "--issuer-url, --verifier-url and --portal-url are the public https:// URLs when a\n"
    "TLS proxy stands in front (etc/nginx/mobid.conf); the issuer's is fixed at the\n"
    "first start (it is in the PKI). --ca-file: CAs the verifier trusts when it fetches\n"
    "status lists over https (a private CA).\n";

/* After SIGTERM a child has 5 s before SIGKILL: a stuck service must not keep `mobid up`
 * (and the ports it holds) from exiting. */
#define UP_STOP_GRACE_MS 5000
#define UP_HEALTH_TIMEOUT_MS 15000
/* A service that dies within 3 s of starting, five times running, has a fault no
 * restart will mend (a bad config, a port taken): stop and say so. */
#define UP_MAX_QUICK_RESTARTS 5
#define UP_PRUNE_EVERY_MS 2000

static volatile sig_atomic_t g_stop;

static void on_stop_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

void up_path(const up_opts *o, const char *name, char out[UP_PATH_MAX])
{
    snprintf(out, UP_PATH_MAX, "%s/%s", o->dir, name);
}

void up_db_url(const up_opts *o, const char *service, char out[UP_PATH_MAX])
{
    if (o->db)
        snprintf(out, UP_PATH_MAX, "%s", o->db);
    else
        snprintf(out, UP_PATH_MAX, "sqlite:%s/%s.db", o->dir, service);
}

mobid_err up_write_secret(const char *path, const char *text)
{
    return cli_write_file(path, mobid_view_str(text), 0600);
}

mobid_err up_random_hex(char out[65])
{
    uint8_t r[32];
    mobid_err err = mobid_random(r, sizeof r);
    out[0] = 0;
    if (!err)
        mobid_hex_str(r, sizeof r, out);
    mobid_wipe(r, sizeof r);
    return err;
}

mobid_err up_password(char out[21])
{
    /* No 0/O, 1/l/I: the password is read off a terminal and typed again. */
    static const char alphabet[] = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    uint8_t r[20];
    mobid_err err = mobid_random(r, sizeof r);
    for (size_t i = 0; !err && i < sizeof r; i++)
        out[i] = alphabet[r[i] % (sizeof alphabet - 1)];
    out[20] = 0;
    mobid_wipe(r, sizeof r);
    return err;
}

/* Child side of a fork: stdout to out_fd (or the log), stderr to the log, exec self. */
static void exec_child(const up_opts *o, const char *const *args, int out_fd, const char *log)
{
    const char *argv[32];
    size_t n = 0;
    int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
    argv[n++] = o->self;
    while (args[n - 1] && n < 31) {
        argv[n] = args[n - 1];
        n++;
    }
    argv[n] = NULL;
    if (fd >= 0) {
        dup2(out_fd >= 0 ? out_fd : fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
    }
    /* If up itself dies without stopping its children (SIGKILL), they stop too. */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    execv(o->self, (char *const *)argv);
    _exit(127);
}

int up_run_self(const up_opts *o, const char *const *args, mobid_buf *out, const char *log_path)
{
    int fds[2] = { -1, -1 }, st = 0;
    pid_t pid;
    char chunk[4096];
    ssize_t r;

    if (out && pipe(fds) != 0)
        return -1;
    if ((pid = fork()) < 0) {
        if (out) {
            close(fds[0]);
            close(fds[1]);
        }
        return -1;
    }
    if (pid == 0) {
        if (out)
            close(fds[0]);
        exec_child(o, args, out ? fds[1] : -1, log_path);
    }
    if (out) {
        close(fds[1]);
        while ((r = read(fds[0], chunk, sizeof chunk)) > 0 || (r < 0 && errno == EINTR))
            if (r > 0 && mobid_buf_append(out, chunk, (size_t)r))
                break;
        close(fds[0]);
        if (mobid_buf_terminate(out))
            return -1;
    }
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

bool up_wait_healthy(const char *url, long timeout_ms)
{
    char u[128];
    long end = now_ms() + timeout_ms;
    mobid_http_client *c = NULL;
    /* short per try: a service still starting refuses at once or hangs; the loop retries */
    mobid_http_client_opts co = { .timeout_ms = 1000, .connect_timeout_ms = 500 };
    bool ok = false;

    snprintf(u, sizeof u, "%s/healthz", url);
    if (mobid_http_client_new(&co, &c))
        return false;
    while (!ok && !g_stop && now_ms() < end) {
        mobid_http_result r;
        ok = mobid_http_client_get(c, u, NULL, &r) == MOBID_OK && r.status == 200;
        mobid_http_result_free(&r);
        if (!ok)
            sleep_ms(100);
    }
    mobid_http_client_free(c);
    return ok;
}

/* ---- the supervised children ---- */

/* The API key file of the relying party a portal site speaks as. */
static void site_key_file(const up_opts *o, const json_t *site, const char *dflt,
                          char out[UP_PATH_MAX])
{
    up_api_key_path(o, json_string_value(json_object_get(site, "relying_party")) ?: dflt, out);
}

static pid_t start_child(const up_opts *o, up_service *s, const up_service *all,
                         const json_t *state)
{
    char db[UP_PATH_MAX], cfg[UP_PATH_MAX], rp[UP_PATH_MAX], listen[32], log[UP_PATH_MAX + 16];
    const char *args[20] = { s->name, "serve", "--listen", listen };
    const char *secret = NULL;
    size_t n = 4;
    pid_t pid;

    snprintf(listen, sizeof listen, "127.0.0.1:%d", s->port);
    snprintf(log, sizeof log, "%s/log/%s.log", o->dir, s->name);
    up_db_url(o, s->name, db);
    if (!strcmp(s->name, "wallet")) {
        /* the citizen's wallet app: the phone's wallet file in DIR, this installation's
         * anchors for its first start, the launch secret in the environment */
        snprintf(cfg, sizeof cfg, "%s/phone.wallet", o->dir);
        snprintf(db, sizeof db, "%s/pki/iaca.pem", o->dir);
        snprintf(rp, sizeof rp, "%s/pki/rp-ca.pem", o->dir);
        args[n++] = "--wallet";
        args[n++] = cfg;
        args[n++] = "--issuer-roots";
        args[n++] = db;
        args[n++] = "--registration-roots";
        args[n++] = db;
        args[n++] = "--rp-roots";
        args[n++] = rp;
        secret = strstr(s->public_url, "?k=") ? strstr(s->public_url, "?k=") + 3 : NULL;
    } else if (!strcmp(s->name, "portal")) {
        /* each site speaks as the relying party the policy names, with its profile */
        const json_t *gov = json_object_get(json_object_get(state, "portal"), "gov");
        const json_t *bank = json_object_get(json_object_get(state, "portal"), "bank");
        args[n++] = "--verifier";
        args[n++] = all[1].url;
        /* the API keys stay in their 0600 files: a command line is public to every
         * local user (ps, /proc/PID/cmdline) */
        site_key_file(o, gov, "gov24", cfg);
        site_key_file(o, bank, "bank", rp);
        args[n++] = "--api-key-file";
        args[n++] = cfg;
        args[n++] = "--bank-api-key-file";
        args[n++] = rp;
        args[n++] = "--profile";
        args[n++] = json_string_value(json_object_get(gov, "profile")) ?: "resident_full";
        args[n++] = "--bank-profile";
        args[n++] = json_string_value(json_object_get(bank, "profile")) ?: "bank_age_check";
        args[n++] = "--public-url"; /* the same-device flow's redirect_uri */
        args[n++] = s->public_url;
    } else {
        snprintf(cfg, sizeof cfg, "%s/%s.json", o->dir, s->name);
        args[n++] = "--db";
        args[n++] = db;
        args[n++] = "--config";
        args[n++] = cfg;
        if (!strcmp(s->name, "verifier")) {
            args[n++] = "--public-url";
            args[n++] = s->public_url;
        }
    }
    args[n] = NULL;
    if ((pid = fork()) == 0) {
        if (secret && setenv("MOBID_WALLET_APP_SECRET", secret, 1))
            _exit(127);
        exec_child(o, args, -1, log);
    }
    s->pid = pid > 0 ? pid : 0;
    s->started_ms = now_ms();
    return pid;
}

static void emit(const up_opts *o, const char *event, const up_service *s, const char *msg)
{
    if (o->json) {
        json_t *j = json_pack("{s:s, s:s?, s:s?, s:s}", "event", event, "service",
                              s ? s->name : NULL, "url", s ? s->url : NULL, "message", msg);
        char *t = j ? json_dumps(j, JSON_COMPACT) : NULL;
        if (t)
            printf("%s\n", t);
        fflush(stdout);
        free(t);
        json_decref(j);
    } else {
        fprintf(stderr, "mobid up: %s%s%s\n", s ? s->name : "", s ? ": " : "", msg);
    }
}

static void stop_all(const up_opts *o, up_service *svc)
{
    long end = now_ms() + UP_STOP_GRACE_MS;
    int st;
    for (int i = 0; i < UP_NSERVICES; i++)
        if (svc[i].pid > 0)
            kill(svc[i].pid, SIGTERM);
    for (int i = 0; i < UP_NSERVICES; i++) {
        while (svc[i].pid > 0 && waitpid(svc[i].pid, &st, WNOHANG) == 0 && now_ms() < end)
            sleep_ms(50);
        if (svc[i].pid > 0 && waitpid(svc[i].pid, &st, WNOHANG) == 0) {
            kill(svc[i].pid, SIGKILL);
            waitpid(svc[i].pid, &st, 0);
            emit(o, "killed", &svc[i], "did not stop within 5 s; killed");
        }
        svc[i].pid = 0;
    }
    emit(o, "stopped", NULL, "all services stopped");
}

/* One child ended without being asked: restart it, unless it keeps dying at once. */
static bool handle_exit(const up_opts *o, up_service *s, const up_service *all,
                        const json_t *state, int status)
{
    char msg[160];
    bool quick = now_ms() - s->started_ms < 3000;
    s->pid = 0;
    s->restarts = quick ? s->restarts + 1 : 1;
    snprintf(msg, sizeof msg, "exited (%s %d); restarting (see %s/log/%s.log)",
             WIFSIGNALED(status) ? "signal" : "status",
             WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status), o->dir, s->name);
    if (s->restarts > UP_MAX_QUICK_RESTARTS) {
        snprintf(msg, sizeof msg, "keeps exiting at once; giving up (see %s/log/%s.log)", o->dir,
                 s->name);
        emit(o, "failed", s, msg);
        return false;
    }
    emit(o, "restart", s, msg);
    /* a quick death waits longer: a port still held or a database not yet up may pass */
    sleep_ms(quick ? 1000 : 200);
    return start_child(o, s, all, state) > 0;
}

static int supervise(const up_opts *o, up_service *svc, const json_t *state)
{
    long prune_at = now_ms();
    int st;
    while (!g_stop) {
        pid_t pid = waitpid(-1, &st, WNOHANG);
        if (pid <= 0 && now_ms() >= prune_at) {
            /* a one-time password is off the disk soon after its first use */
            if (up_passwords_prune(o))
                emit(o, "warning", NULL, "could not update " UP_PASSWORDS_FILE);
            prune_at = now_ms() + UP_PRUNE_EVERY_MS;
        }
        if (pid <= 0) {
            sleep_ms(200);
            continue;
        }
        for (int i = 0; i < UP_NSERVICES; i++) {
            if (svc[i].pid != pid)
                continue;
            if (g_stop) { /* it got the terminal's Ctrl-C too: nothing left to stop */
                svc[i].pid = 0;
            } else if (!handle_exit(o, &svc[i], svc, state, st)) {
                stop_all(o, svc);
                return CLI_EXIT_FAIL;
            }
        }
    }
    stop_all(o, svc);
    return CLI_EXIT_OK;
}

/* Wait for a child's /healthz in short rounds, giving up early when it exits. */
static bool wait_child_healthy(up_service *s)
{
    long end = now_ms() + UP_HEALTH_TIMEOUT_MS;
    int st;
    while (!g_stop && now_ms() < end) {
        if (waitpid(s->pid, &st, WNOHANG) == s->pid) {
            s->pid = 0;
            return false;
        }
        if (up_wait_healthy(s->url, 250))
            return true;
    }
    return false;
}

/* Start every service and wait for its /healthz. */
static bool start_all(const up_opts *o, up_service *svc, const json_t *state)
{
    char msg[160];
    for (int i = 0; i < UP_NSERVICES; i++)
        if (start_child(o, &svc[i], svc, state) <= 0)
            return false;
    for (int i = 0; i < UP_NSERVICES; i++) {
        if (!wait_child_healthy(&svc[i])) {
            snprintf(msg, sizeof msg, "%s (see %s/log/%s.log)",
                     svc[i].pid ? "no answer on /healthz" : "exited while starting", o->dir,
                     svc[i].name);
            emit(o, "failed", &svc[i], msg);
            return false;
        }
        snprintf(msg, sizeof msg, "healthy on %s after %ld ms", svc[i].url,
                 now_ms() - svc[i].started_ms);
        emit(o, "healthy", &svc[i], msg);
    }
    return true;
}

/* One `mobid up` per data folder: an exclusive lock on DIR/up.lock, held (and the
 * descriptor kept open) until this process exits. The file says who holds it. */
static int lock_dir(const up_opts *o)
{
    char path[UP_PATH_MAX], who[32] = "";
    int fd;
    ssize_t n;

    up_path(o, "up.lock", path);
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        fprintf(stderr, "mobid up: cannot open %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        n = read(fd, who, sizeof who - 1);
        who[n > 0 ? n : 0] = 0;
        who[strcspn(who, "\n")] = 0;
        fprintf(stderr, "mobid up: another mobid up (pid %s) already runs on %s; stop it "
                        "first, or use another --dir\n", who[0] ? who : "?", o->dir);
        close(fd);
        return -1;
    }
    snprintf(who, sizeof who, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, who, strlen(who), 0) < 0)
        fprintf(stderr, "mobid up: cannot write %s\n", path);
    return fd;
}

/* Before anything starts or is written: every port must be free, so that a /healthz
 * answer can only come from our own child, and a fresh data folder is never pinned to
 * ports another program holds. */
static bool ports_free(const up_opts *o, const up_service *svc)
{
    bool ok = true;

    for (int i = 0; i < UP_NSERVICES; i++) {
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)svc[i].port) };
        int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (fd >= 0)
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0) {
            char msg[200];
            snprintf(msg, sizeof msg, "port %d is in use by another program (%s); choose "
                     "other ports with --port-base N (make run PORT_BASE=N)", svc[i].port,
                     strerror(errno));
            if (o->json)
                emit(o, "failed", &svc[i], msg);
            fprintf(stderr, "mobid up: %s: %s\n", svc[i].name, msg);
            ok = false;
        }
        if (fd >= 0)
            close(fd);
    }
    return ok;
}

/* The wallet app's address with a secret drawn for this launch (given to the child
 * through its environment, never its command line). */
static int wallet_app_url(up_service *s)
{
    char secret[65];

    if (up_random_hex(secret))
        return -1;
    snprintf(s->public_url, sizeof s->public_url, "%s/open?k=%s", s->url, secret);
    return 0;
}

static int run_up(up_opts *o)
{
    static const char *names[UP_NSERVICES] = { "issuer", "verifier", "portal", "wallet" };
    const char *publics[UP_NSERVICES] = { o->issuer_url, o->verifier_url, o->portal_url, NULL };
    up_service svc[UP_NSERVICES] = { { 0 } };
    struct sigaction sa = { 0 };
    json_t *state = NULL;
    char logdir[UP_PATH_MAX];
    bool first = false;
    int rc = CLI_EXIT_FAIL, lock = -1;
    mobid_err err;

    for (int i = 0; i < UP_NSERVICES; i++) {
        svc[i].name = names[i];
        svc[i].port = o->port_base + i;
        snprintf(svc[i].url, sizeof svc[i].url, "http://127.0.0.1:%d", svc[i].port);
        snprintf(svc[i].public_url, sizeof svc[i].public_url, "%s",
                 publics[i] ? publics[i] : svc[i].url);
    }
    if (wallet_app_url(&svc[3]))
        return CLI_EXIT_FAIL;
    sa.sa_handler = on_stop_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    up_path(o, "log", logdir);
    if ((mkdir(o->dir, 0700) && errno != EEXIST) || (mkdir(logdir, 0700) && errno != EEXIST)) {
        fprintf(stderr, "mobid up: cannot create %s: %s\n", logdir, strerror(errno));
        return CLI_EXIT_FAIL;
    }
    if ((lock = lock_dir(o)) < 0 || !ports_free(o, svc))
        goto done;
    if ((err = up_prepare(o, svc, &state, &first))) {
        fprintf(stderr, "mobid up: setting up %s failed: %s\n", o->dir, mobid_svc_err_name(err));
        goto done;
    }
    if ((err = up_wallet_link_write(o, &svc[3]))) {
        fprintf(stderr, "mobid up: cannot write %s/%s: %s\n", o->dir, UP_WALLET_LINK_FILE,
                mobid_svc_err_name(err));
        goto done;
    }
    if (!start_all(o, svc, state)) {
        stop_all(o, svc);
        goto done;
    }
    up_print_welcome(o, svc, state, first);
    rc = supervise(o, svc, state);
done:
    if (lock >= 0)
        close(lock);
    json_decref(state);
    return rc;
}

/* Public URLs are http(s)://host[:port] without a path or a trailing '/' (paths are
 * appended to them), and short enough for every URL built from them. */
static int check_public_urls(const up_opts *o)
{
    const char *urls[] = { o->issuer_url, o->verifier_url, o->portal_url };
    for (size_t i = 0; i < 3; i++) {
        const char *u = urls[i], *host;
        if (!u)
            continue;
        host = !strncmp(u, "https://", 8) ? u + 8 : !strncmp(u, "http://", 7) ? u + 7 : NULL;
        if (!host || !*host || strchr(host, '/') || strlen(u) > 120)
            return cli_usage_error(USAGE, "%s: a public URL is http(s)://HOST[:PORT], no path", u);
    }
    return CLI_EXIT_OK;
}

static int cmd_up(int argc, char **argv)
{
    static const struct option opts[] = { { "dir", required_argument, 0, 'd' },
                                          { "db", required_argument, 0, 'b' },
                                          { "port-base", required_argument, 0, 'p' },
                                          { "json", no_argument, 0, 'j' },
                                          { "issuer-url", required_argument, 0, 'I' },
                                          { "verifier-url", required_argument, 0, 'V' },
                                          { "portal-url", required_argument, 0, 'U' },
                                          { "ca-file", required_argument, 0, 'C' },
                                          { "policy", required_argument, 0, 'P' },
                                          { "help", no_argument, 0, 'h' },
                                          { 0, 0, 0, 0 } };
    static char self[UP_PATH_MAX], ca_file[PATH_MAX];
    up_opts o = { .dir = "var", .port_base = UP_DEFAULT_PORT_BASE };
    char *end = NULL;
    ssize_t n;
    int c;

    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': o.dir = optarg; break;
        case 'b': o.db = optarg; break;
        case 'p':
            o.port_base = (int)strtol(optarg, &end, 10);
            if (!end || *end || o.port_base < 1 || o.port_base > 65532)
                return cli_usage_error(USAGE, "--port-base must be a port number (1-65532)");
            break;
        case 'j': o.json = true; break;
        case 'I': o.issuer_url = optarg; break;
        case 'V': o.verifier_url = optarg; break;
        case 'U': o.portal_url = optarg; break;
        case 'C': o.ca_file = optarg; break;
        case 'P': o.policy = optarg; break;
        case 'h': fputs(USAGE, stdout); return CLI_EXIT_OK;
        default: return cli_usage_error(USAGE, "unknown option");
        }
    }
    if (optind != argc)
        return cli_usage_error(USAGE, "unexpected argument %s", argv[optind]);
    if (!*o.dir || strlen(o.dir) > UP_DIR_MAX)
        return cli_usage_error(USAGE, "--dir must be a path of 1 to %d characters", UP_DIR_MAX);
    if (o.db && strlen(o.db) > UP_DIR_MAX)
        return cli_usage_error(USAGE, "--db URL longer than %d characters", UP_DIR_MAX);
    if (o.db && strncmp(o.db, "postgres://", 11) && strncmp(o.db, "postgresql://", 13))
        return cli_usage_error(USAGE, "--db takes a postgres:// URL (SQLite is the default)");
    if ((c = check_public_urls(&o)) != CLI_EXIT_OK)
        return c;
    if (o.ca_file && !(o.ca_file = realpath(o.ca_file, ca_file)))
        return cli_usage_error(USAGE, "--ca-file: cannot read that file");
    if ((n = readlink("/proc/self/exe", self, sizeof self - 1)) <= 0) {
        fprintf(stderr, "mobid up: cannot find the mobid binary\n");
        return CLI_EXIT_FAIL;
    }
    self[n] = 0;
    o.self = self;
    return run_up(&o);
}

MOBID_CLI_COMMAND(up, "up", "run the issuer, verifier and portal together (bootstraps on first start)",
                  cmd_up)
