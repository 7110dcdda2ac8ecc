/*
 * `mobid verifier`: the OpenID4VP verifier service.
 *
 *   mobid verifier serve --db sqlite:PATH|postgres://... --listen HOST:PORT --config FILE
 *                        [--public-url URL]
 *   mobid verifier hash-key KEY    SHA-256 hex of an API key, for the configuration
 */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "http/log.h"
#include "http/notify.h"
#include "http/server.h"
#include "services/verifier/verifier.h"

static const char USAGE[] =
    "usage: mobid verifier serve --db sqlite:PATH|postgres://... --listen HOST:PORT\n"
    "                            --config FILE [--public-url URL]\n"
    "       mobid verifier hash-key KEY\n"
    "\n"
    "serve: runs the verifier (relying-party API under /api/v1/verifications, OpenID4VP\n"
    "request_uri and response_uri, /healthz, /metrics) until SIGINT or SIGTERM. Prints\n"
    "{\"url\":...} on stdout once listening. --public-url is the base of request_uri and\n"
    "response_uri (default: the configuration's public_url, else the listening URL).\n"
    "hash-key: prints the api_key_sha256 value for a relying party's API key.\n"
    "See docs/verifier.md for the configuration file.\n";

static mobid_err health(void *vctx)
{
    verifier_ctx *ctx = vctx;
    mobid_store *s = NULL;
    mobid_err err = mobid_store_pool_acquire(ctx->pool, &s);
    if (!err) {
        int64_t one = 0;
        err = mobid_store_query_int64(s, "SELECT 1", &one, NULL);
        mobid_store_pool_release(ctx->pool, s);
    }
    return err;
}

static int run_server(const char *db, const char *listen, const char *config, const char *url)
{
    verifier_ctx *ctx = NULL;
    mobid_http_server *srv = NULL;
    mobid_http_config hc = { .name = "verifier", .listen = listen, .max_body = 2 * 1024 * 1024,
                             .access_log = true };
    int rc = CLI_EXIT_FAIL;
    mobid_err err;

    if ((err = mobid_http_signals_block()) || (err = verifier_ctx_new(config, db, &ctx)) ||
        (url && (err = verifier_set_public_url(ctx, url))) ||
        (verifier_http_config(ctx, &hc), (err = mobid_http_server_new(&hc, &srv))) || (err = verifier_routes(ctx, srv)))
        goto done;
    mobid_http_server_set_health(srv, health, ctx);
    if ((err = mobid_http_server_start(srv)) ||
        (err = verifier_set_public_url(ctx, mobid_http_server_url(srv))))
        goto done;
    printf("{\"url\":\"%s\"}\n", mobid_http_server_url(srv));
    fflush(stdout);
    mobid_log(MOBID_LOG_INFO, "verifier", "listening on %s (public %s)", mobid_http_server_url(srv),
              ctx->public_url);
    (void)mobid_serve_until_signal();
    rc = CLI_EXIT_OK;
done:
    if (err)
        fprintf(stderr, "verifier: %s\n", mobid_svc_strerror(err));
    mobid_http_server_free(srv);
    verifier_ctx_free(ctx);
    return rc;
}

static int cmd_serve(int argc, char **argv)
{
    static const struct option opts[] = { { "db", required_argument, 0, 'd' },
                                          { "listen", required_argument, 0, 'l' },
                                          { "config", required_argument, 0, 'c' },
                                          { "public-url", required_argument, 0, 'u' },
                                          { "help", no_argument, 0, 'h' },
                                          { 0, 0, 0, 0 } };
    const char *db = NULL, *listen = "127.0.0.1:0", *config = NULL, *url = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'l': listen = optarg; break;
        case 'c': config = optarg; break;
        case 'u': url = optarg; break;
        case 'h': fputs(USAGE, stdout); return CLI_EXIT_OK;
        default: return cli_usage_error(USAGE, "unknown option");
        }
    }
    if (!db || !config || optind != argc)
        return cli_usage_error(USAGE, "--db and --config are required");
    return run_server(db, listen, config, url);
}

static int cmd_hash_key(int argc, char **argv)
{
    uint8_t h[MOBID_HASH_MAX];
    mobid_buf hex;
    if (argc != 2 || !strcmp(argv[1], "--help")) {
        fputs(USAGE, argc == 2 ? stdout : stderr);
        return argc == 2 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
    }
    mobid_buf_init(&hex, 0);
    if (mobid_hash(MOBID_HASH_SHA256, mobid_view_str(argv[1]), h) ||
        mobid_hex_encode(mobid_view_make(h, 32), &hex) || mobid_buf_terminate(&hex)) {
        mobid_buf_free(&hex);
        return cli_fail(false, MOBID_ERR_NOMEM, "hashing failed");
    }
    printf("%s\n", (char *)hex.ptr);
    mobid_buf_free(&hex);
    return CLI_EXIT_OK;
}

static int cmd_verifier(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(USAGE, argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
    }
    if (!strcmp(argv[1], "serve"))
        return cmd_serve(argc - 1, argv + 1);
    if (!strcmp(argv[1], "hash-key"))
        return cmd_hash_key(argc - 1, argv + 1);
    return cli_usage_error(USAGE, "unknown subcommand %s", argv[1]);
}

MOBID_CLI_COMMAND(verifier, "verifier", "OpenID4VP verifier service for relying parties",
                  cmd_verifier)
