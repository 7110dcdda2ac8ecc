/*
 * mobid portal serve --listen HOST:PORT --verifier URL --api-key-file FILE
 *                    [--bank-api-key-file FILE] [--profile NAME] [--bank-profile NAME]
 *                    [--config FILE]
 *                    [--dcql FILE] [--bank-dcql FILE] [--web DIR]
 *
 * A relying party's web site (a Government 24-style page at "/", a bank's page at
 * "/bank") that verifies visitors with the mobile ID through the verifier's API.
 */
#include <getopt.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <mobid/jose.h>
#include "cli/cli.h"
#include "http/log.h"
#include "http/notify.h"
#include "http/server.h"
#include "services/portal/portal.h"

static const char usage[] =
    "usage: mobid portal serve --verifier URL --api-key-file FILE [--listen HOST:PORT]\n"
    "                          [--bank-api-key-file FILE] [--profile NAME] [--bank-profile NAME]\n"
    "                          [--dcql FILE] [--bank-dcql FILE] [--web DIR] [--wait SECONDS]\n"
    "                          [--config FILE] [--public-url URL]\n"
    "\n"
    "serve: runs the portal: a Government 24-style page at / (\"Verify with Mobile ID\",\n"
    "a QR code with a countdown, a same-device link, the verified name and a sample\n"
    "resident registration certificate) and a bank page at /bank registered for fewer\n"
    "claims. It uses the verifier's /api/v1/verifications API over HTTP with the given\n"
    "API keys (--api-key-file for the portal, --bank-api-key-file for the bank: a file\n"
    "that only its owner may read, 0600, holding the key). Each site asks\n"
    "the verifier for one of its named profiles (--profile, default resident_full;\n"
    "--bank-profile, default bank_age_check), which the provisioning policy derives from\n"
    "the card types; --dcql FILE sends that DCQL query instead. --web DIR serves\n"
    "the pages from DIR (default: the copies of web/portal compiled into mobid).\n"
    "The page's same-device link sends the wallet back to the page with a one-time\n"
    "response code (HAIP), at --public-url (the address browsers use, e.g. behind a\n"
    "proxy; default: the listening URL).\n"
    "The keys may come from $MOBID_PORTAL_API_KEY and $MOBID_PORTAL_BANK_API_KEY\n"
    "instead (--api-key KEY and --bank-api-key KEY still work, but a command line is\n"
    "public to every local user). --config FILE (JSON, see etc/portal.example.json)\n"
    "sets the HTTP limits (\"http\": workers, max_queue, per_client_connections,\n"
    "request_timeout_s, ...), the rate of starts per address (\"start_per_second\",\n"
    "\"start_burst\"), \"max_waiting\" and \"wait_s\"; --wait overrides wait_s. Prints "
    "{\"url\":...} on stdout once listening; stops on SIGINT or SIGTERM.\n";

static int run(const portal_config *pc, mobid_http_config *hc)
{
    portal_ctx *ctx = NULL;
    mobid_http_server *srv = NULL;
    mobid_err err;
    int rc = CLI_EXIT_FAIL;

    if ((err = mobid_http_signals_block()) || (err = portal_ctx_new(pc, &ctx)) ||
        (err = mobid_http_server_new(hc, &srv)) || (err = portal_routes(ctx, srv)) ||
        (err = mobid_http_server_start(srv))) {
        fprintf(stderr, "portal: %s\n", mobid_svc_strerror(err));
        goto done;
    }
    printf("{\"url\":\"%s\"}\n", mobid_http_server_url(srv));
    fflush(stdout);
    mobid_log(MOBID_LOG_INFO, "portal", "listening on %s (verifier %s)", mobid_http_server_url(srv),
              pc->verifier_url);
    (void)mobid_serve_until_signal();
    rc = CLI_EXIT_OK;
done:
    mobid_http_server_free(srv);
    portal_ctx_free(ctx);
    return rc;
}

static int load_dcql(const char *path, char **out)
{
    mobid_buf b = { 0 };
    if (cli_read_file(path, &b))
        return CLI_EXIT_USAGE;
    *out = mobid_buf_detach_str(&b);
    mobid_buf_free(&b);
    return *out ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}

/* A key from a file only its owner can read (a first line; the newline dropped). */
static int load_key(const char *path, char **out)
{
    struct stat st;
    mobid_buf b = { 0 };
    int rc = CLI_EXIT_USAGE;

    if (stat(path, &st) != 0) {
        fprintf(stderr, "portal: %s: %s\n", path, strerror(errno));
    } else if (st.st_mode & 077) {
        fprintf(stderr, "portal: %s may be read by others: chmod 600 it\n", path);
    } else if (!cli_read_file(path, &b) && !mobid_buf_terminate(&b)) {
        b.len = strcspn((const char *)b.ptr, "\r\n");
        b.ptr[b.len] = 0;
        rc = b.len ? CLI_EXIT_OK : CLI_EXIT_USAGE;
        if (b.len)
            *out = mobid_buf_detach_str(&b);
        else
            fprintf(stderr, "portal: %s holds no key\n", path);
    }
    if (b.ptr)
        mobid_wipe(b.ptr, b.len);
    mobid_buf_free(&b);
    return rc;
}

static int load_config(const char *path, portal_config *pc, mobid_http_config *hc)
{
    mobid_buf b = { 0 };
    json_t *j = NULL;
    int rc = CLI_EXIT_USAGE;
    if (cli_read_file(path, &b))
        goto done;
    if (mobid_json_parse(mobid_buf_view(&b), 0, &j)) {
        fprintf(stderr, "portal: %s is not JSON\n", path);
        goto done;
    }
    if (portal_config_read(j, pc, hc) == MOBID_OK)
        rc = CLI_EXIT_OK;
done:
    json_decref(j);
    mobid_buf_free(&b);
    return rc;
}

static int cmd_serve(int argc, char **argv)
{
    static const struct option opts[] = {
        { "listen", required_argument, 0, 'l' }, { "verifier", required_argument, 0, 'v' },
        { "api-key", required_argument, 0, 'k' }, { "bank-api-key", required_argument, 0, 'b' },
        { "dcql", required_argument, 0, 'd' }, { "bank-dcql", required_argument, 0, 'D' },
        { "web", required_argument, 0, 'w' }, { "wait", required_argument, 0, 'W' },
        { "profile", required_argument, 0, 'p' }, { "bank-profile", required_argument, 0, 'P' },
        { "config", required_argument, 0, 'c' }, { "help", no_argument, 0, 'h' },
        { "api-key-file", required_argument, 0, 'K' },
        { "bank-api-key-file", required_argument, 0, 'B' },
        { "public-url", required_argument, 0, 'u' },
        { 0, 0, 0, 0 }
    };
    portal_config pc = { 0 };
    mobid_http_config hc = { .name = "portal", .listen = "127.0.0.1:0", .max_body = 16 * 1024,
                             .access_log = true };
    const char *config = NULL, *wait = NULL;
    char *dcql[2] = { NULL, NULL }, *keys[2] = { NULL, NULL };
    int c, rc = CLI_EXIT_USAGE;

    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'l': hc.listen = optarg; break;
        case 'c': config = optarg; break;
        case 'v': pc.verifier_url = optarg; break;
        case 'k': pc.sites[PORTAL_GOV].api_key = optarg; break;
        case 'b': pc.sites[PORTAL_BANK].api_key = optarg; break;
        case 'K':
            free(keys[0]);
            if (load_key(optarg, &keys[0])) goto done;
            pc.sites[PORTAL_GOV].api_key = keys[0];
            break;
        case 'B':
            free(keys[1]);
            if (load_key(optarg, &keys[1])) goto done;
            pc.sites[PORTAL_BANK].api_key = keys[1];
            break;
        case 'd': if (load_dcql(optarg, &dcql[0])) goto done; break;
        case 'D': if (load_dcql(optarg, &dcql[1])) goto done; break;
        case 'w': pc.web_dir = optarg; break;
        case 'p': pc.sites[PORTAL_GOV].profile = optarg; break;
        case 'P': pc.sites[PORTAL_BANK].profile = optarg; break;
        case 'W': wait = optarg; break;
        case 'u': pc.public_url = optarg; break;
        case 'h': fputs(usage, stdout); rc = CLI_EXIT_OK; goto done;
        default: fputs(usage, stderr); goto done;
        }
    }
    /* From the environment (a systemd EnvironmentFile), a key stays out of argv. */
    if (!pc.sites[PORTAL_GOV].api_key)
        pc.sites[PORTAL_GOV].api_key = getenv("MOBID_PORTAL_API_KEY");
    if (!pc.sites[PORTAL_BANK].api_key)
        pc.sites[PORTAL_BANK].api_key = getenv("MOBID_PORTAL_BANK_API_KEY");
    if (optind != argc || !pc.verifier_url || !pc.sites[PORTAL_GOV].api_key) {
        rc = cli_usage_error(usage, "--verifier and --api-key-file are required");
        goto done;
    }
    if (strncmp(pc.verifier_url, "http://", 7) && strncmp(pc.verifier_url, "https://", 8)) {
        rc = cli_usage_error(usage, "--verifier must be an http(s) URL");
        goto done;
    }
    if (pc.public_url && strncmp(pc.public_url, "http://", 7) && strncmp(pc.public_url, "https://", 8)) {
        rc = cli_usage_error(usage, "--public-url must be an http(s) URL");
        goto done;
    }
    if (config && (rc = load_config(config, &pc, &hc)))
        goto done;
    if (wait)
        pc.wait_s = atol(wait);
    pc.sites[PORTAL_GOV].dcql_json = dcql[0];
    pc.sites[PORTAL_BANK].dcql_json = dcql[1];
    rc = run(&pc, &hc);
done:
    free(dcql[0]);
    free(dcql[1]);
    for (int i = 0; i < 2; i++)
        if (keys[i])
            mobid_wipe(keys[i], strlen(keys[i]));
    free(keys[0]);
    free(keys[1]);
    return rc;
}

static int cmd_portal(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
    }
    if (!strcmp(argv[1], "serve"))
        return cmd_serve(argc - 1, argv + 1);
    return cli_usage_error(usage, "unknown portal command '%s'", argv[1]);
}

MOBID_CLI_COMMAND(portal, "portal", "run a relying party's web portal that verifies with the mobile ID",
                  cmd_portal)
