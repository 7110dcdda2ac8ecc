/*
 * mobid wallet [--wallet FILE] init | receive URI | list | show ID | present URI |
 * engage --qr OUT.png | refresh | history | lock-status — the holder's wallet on the command line. Interactive by
 * default (PIN, tx_code and consent asked on the terminal); scriptable with
 * --pin-file, --tx-code, --yes and --json.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mobid/crypto.h>

#include "cli/cli.h"
#include "cli/cmd_wallet.h"

static const char wallet_usage[] =
    "usage: mobid wallet [options] <command> [argument]\n"
    "commands:\n"
    "  init            create a wallet (needs --issuer-roots, --rp-roots, --registration-roots)\n"
    "  receive URI     receive the credentials of an openid-credential-offer:// URI\n"
    "  list            the credentials held (type, issuer, unused copies)\n"
    "  show ID         one credential with its claims\n"
    "  present URI     answer an openid4vp:// request (after consent and PIN)\n"
    "  engage --qr OUT.png  in person (ISO 18013-5): write the engagement QR, answer\n"
    "                  the reader that scans it (after consent and PIN)\n"
    "  refresh         new single-use copies online for cards running low (PIN)\n"
    "  history         every presentation made: when, to whom, which claims\n"
    "  lock-status     wrong PINs so far and whether the wallet is locked (no PIN)\n"
    "  serve           the wallet as a web app for a phone-sized browser; prints the URL\n"
    "                  with this launch's secret (--listen, --web-dir, --session-timeout)\n"
    "options:\n"
    "  --wallet FILE          wallet file (default $MOBID_WALLET or ./wallet.mobid)\n"
    "  --device-key F         the device secret kept outside the wallet file (default\n"
    "                         $MOBID_WALLET_DEVICE_KEY or the wallet's name + .key; init\n"
    "                         makes it when missing); the wallet does not open without it\n"
    "  --pin-file F           read the PIN from the first line of F instead of the terminal\n"
    "  --tx-code C            the offer's transaction code instead of a prompt\n"
    "  --wallet-provider-key K  receive: attest this app to the issuer (OAuth attestation-\n"
    "                         based client authentication) as if K's wallet provider had\n"
    "                         (tests, development); then the authorization-code flow\n"
    "  --wallet-provider-cert C  its certificate chain, sent as x5c\n"
    "  --client-id ID         the attested client_id (default mobid-wallet)\n"
    "  --yes                  consent without asking (the claims are still printed)\n"
    "  --qr FILE.png          receive/present: take the URI from a QR code image;\n"
    "                         engage: where to write the engagement QR code\n"
    "  --advertise HOST:PORT  engage: the address the QR code names instead of the one\n"
    "                         listened on (a port forward in front of the wallet)\n"
    "  --listen HOST:PORT     serve: address (default 127.0.0.1:8444, loopback)\n"
    "  --web-dir DIR          serve: pages from DIR instead of the built-in ones\n"
    "  --session-timeout S    serve: idle session timeout in seconds (default 600)\n"
    "  --json                 JSON on stdout\n"
    "  --at RFC3339           pin the clock (tests)\n"
    "  --ca-file PEM          CAs trusted for https:// instead of the system's (a private CA)\n"
    "  --issuer-roots PEM     init: ministry root certificate(s)\n"
    "  --rp-roots PEM         init: relying-party CA certificate(s)\n"
    "  --registration-roots PEM  init: signer(s) of relying-party registrations\n"
    "  --scrypt-n N           init: scrypt cost (power of two, at least 16384; default 32768)\n"
    "  --below N              refresh: cards with fewer than N unused copies (default 3)\n"
    "  --force                refresh: every card that can be refreshed\n"
    "plain http:// is refused (INSECURE_TRANSPORT) except to loopback (127.0.0.0/8, [::1])\n"
    "exit: 0 success, 1 failure ({\"valid\":false,\"error\":CODE,...} with --json), 2 usage\n";

typedef struct wallet_args {
    cli_wallet_host host;
    const char *qr;
    const char *advertise;
    const char *device_key;
    const char *issuer_roots, *rp_roots, *reg_roots;
    uint64_t scrypt_n;
    cli_wallet_serve_opts serve;
    mobid_wallet_refresh_opts refresh;
    const char *cmd;
    const char *arg;
} wallet_args;

static int parse_args(int argc, char **argv, wallet_args *a)
{
    static const struct option opts[] = {
        { "wallet", required_argument, NULL, 'w' },   { "pin-file", required_argument, NULL, 'p' },
        { "tx-code", required_argument, NULL, 't' },  { "yes", no_argument, NULL, 'y' },
        { "json", no_argument, NULL, 'j' },           { "qr", required_argument, NULL, 'q' },
        { "at", required_argument, NULL, 'a' },       { "issuer-roots", required_argument, NULL, 'I' },
        { "rp-roots", required_argument, NULL, 'R' }, { "registration-roots", required_argument, NULL, 'G' },
        { "scrypt-n", required_argument, NULL, 'N' }, { "help", no_argument, NULL, 'h' },
        { "advertise", required_argument, NULL, 'A' },
        { "ca-file", required_argument, NULL, 'C' },
        { "device-key", required_argument, NULL, 'D' },
        { "listen", required_argument, NULL, 'L' },   { "web-dir", required_argument, NULL, 'W' },
        { "session-timeout", required_argument, NULL, 'S' },
        { "below", required_argument, NULL, 'B' },    { "force", no_argument, NULL, 'F' },
        { "wallet-provider-key", required_argument, NULL, 'K' },
        { "wallet-provider-cert", required_argument, NULL, 'P' },
        { "client-id", required_argument, NULL, 'c' },
        { NULL, 0, NULL, 0 }
    };
    int c;

    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'w': a->host.path = optarg; break;
        case 'p': a->host.pin_file = optarg; break;
        case 't': a->host.tx_code = optarg; break;
        case 'y': a->host.yes = true; break;
        case 'j': a->host.json = true; break;
        case 'q': a->qr = optarg; break;
        case 'A': a->advertise = optarg; break;
        case 'a':
            if (cli_parse_time(optarg, &a->host.at))
                return cli_usage_error(wallet_usage, "bad --at time");
            a->host.have_at = true;
            break;
        case 'I': a->issuer_roots = optarg; break;
        case 'R': a->rp_roots = optarg; break;
        case 'G': a->reg_roots = optarg; break;
        case 'C': a->host.ca_file = optarg; break;
        case 'D': a->device_key = optarg; break;
        case 'N': a->scrypt_n = strtoull(optarg, NULL, 10); break;
        case 'L': a->serve.listen = optarg; break;
        case 'W': a->serve.web_dir = optarg; break;
        case 'S': a->serve.session_s = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'B':
            a->refresh.below = (unsigned)strtoul(optarg, NULL, 10);
            if (a->refresh.below < 1 || a->refresh.below > 100)
                return cli_usage_error(wallet_usage, "--below must be 1..100");
            break;
        case 'F': a->refresh.force = true; break;
        case 'K': a->host.provider_key = optarg; break;
        case 'P': a->host.provider_cert = optarg; break;
        case 'c': a->host.client_id = optarg; break;
        case 'h': fputs(wallet_usage, stdout); return -1;
        default: return cli_usage_error(wallet_usage, "unknown option");
        }
    }
    if (optind >= argc)
        return cli_usage_error(wallet_usage, "missing command");
    a->cmd = argv[optind++];
    a->arg = optind < argc ? argv[optind++] : NULL;
    if (optind < argc)
        return cli_usage_error(wallet_usage, "unexpected argument '%s'", argv[optind]);
    if (!a->host.path)
        a->host.path = getenv("MOBID_WALLET") ? getenv("MOBID_WALLET") : "wallet.mobid";
    if (!a->device_key)
        a->device_key = getenv("MOBID_WALLET_DEVICE_KEY");
    if (a->device_key) {
        a->host.device_key = strdup(a->device_key);
    } else if ((a->host.device_key = malloc(strlen(a->host.path) + 5))) {
        strcpy(a->host.device_key, a->host.path);
        strcat(a->host.device_key, ".key");
    }
    return a->host.device_key ? 0 : cli_usage_error(wallet_usage, "out of memory");
}

/* A failure: a prompt without a terminal is a usage error (exit 2) naming the option
 * to use; a wrong PIN says how many tries are left. */
static int wallet_fail(wallet_args *a, mobid_err err, const char *detail)
{
    mobid_wallet_io io = cli_wallet_io(&a->host);
    char msg[160];
    unsigned failed = 0;
    bool locked = false;

    if (a->host.no_tty)
        return cli_usage_error(NULL, "%s", a->host.no_tty);
    if (err == MOBID_ERR_PIN_WRONG && mobid_wallet_lock_status(&io, &failed, &locked) == MOBID_OK) {
        unsigned left = failed < MOBID_WALLET_MAX_TRIES ? MOBID_WALLET_MAX_TRIES - failed : 0;
        snprintf(msg, sizeof msg, "wrong PIN; %u %s left before the wallet locks for good", left,
                 left == 1 ? "try" : "tries");
        detail = msg;
    }
    return cli_fail(a->host.json, err, detail);
}

/* A claim that holds a picture is shown as its size and SHA-256, not as base64. */
static void shorten_pictures(json_t *j)
{
    const char *k;
    json_t *v;
    size_t i;

    if (json_is_array(j)) {
        json_array_foreach(j, i, v) shorten_pictures(v);
        return;
    }
    json_object_foreach(j, k, v)
    {
        const char *b = json_string_value(v);
        mobid_buf raw = { 0 }, hex = { 0 };
        uint8_t h[MOBID_HASH_MAX];

        if (!b || (strcmp(k, "portrait") && strcmp(k, "signature_usual_mark"))) {
            shorten_pictures(v);
            continue;
        }
        if ((mobid_b64url_decode(mobid_view_str(b), &raw) == MOBID_OK ||
             mobid_b64_decode(mobid_view_str(b), &raw) == MOBID_OK) &&
            mobid_hash(MOBID_HASH_SHA256, mobid_buf_view(&raw), h) == MOBID_OK &&
            mobid_hex_encode(mobid_view_make(h, 32), &hex) == MOBID_OK &&
            mobid_buf_terminate(&hex) == MOBID_OK)
            json_object_set_new(j, k, json_pack("{s:I,s:s}", "bytes", (json_int_t)raw.len,
                                                "sha256", (const char *)hex.ptr));
        mobid_buf_free(&raw);
        mobid_buf_free(&hex);
    }
}

static void print_result(const wallet_args *a, json_t *j, const char *human)
{
    if (a->host.json)
        cli_print_json(j);
    else if (human)
        fprintf(stderr, "%s\n", human);
    else
        cli_print_json(j);
}

/* One cause per message: which of init's refusals this was. */
static const char *init_refusal(const wallet_args *a)
{
    if (access(a->host.path, F_OK) == 0)
        return "a wallet exists there already";
    if (a->scrypt_n && a->scrypt_n < MOBID_WALLET_SCRYPT_N_MIN)
        return "--scrypt-n is below 16384";
    return "the PIN must be 6 digits";
}

static int cmd_init(wallet_args *a)
{
    mobid_wallet_io io = cli_wallet_io(&a->host);
    mobid_wallet_init_opts o = { 0 };
    mobid_buf pem[3];
    const char *paths[3] = { a->issuer_roots, a->rp_roots, a->reg_roots };
    json_t *j;
    mobid_err err = MOBID_OK;
    int rc;

    if (!a->issuer_roots || !a->rp_roots || !a->reg_roots)
        return cli_usage_error(wallet_usage, "init needs --issuer-roots, --rp-roots and "
                                             "--registration-roots");
    for (int i = 0; i < 3; i++)
        mobid_buf_init(&pem[i], 0);
    for (int i = 0; i < 3 && !err; i++)
        err = cli_read_file(paths[i], &pem[i]);
    o.issuer_roots_pem = (const char *)pem[0].ptr;
    o.rp_roots_pem = (const char *)pem[1].ptr;
    o.reg_roots_pem = (const char *)pem[2].ptr;
    o.scrypt_n = a->scrypt_n;
    a->host.confirm_pin = true;
    a->host.make_device_key = true;
    if (!err)
        err = mobid_wallet_init(&io, &o);
    if (err) {
        rc = wallet_fail(a, err, err != MOBID_ERR_INVALID_ARG ? NULL : init_refusal(a));
    } else {
        j = json_pack("{s:s,s:b}", "wallet", a->host.path, "created", 1);
        print_result(a, j, "wallet created");
        json_decref(j);
        rc = CLI_EXIT_OK;
    }
    for (int i = 0; i < 3; i++)
        mobid_buf_free(&pem[i]);
    return rc;
}

static int cmd_lock_status(wallet_args *a)
{
    mobid_wallet_io io = cli_wallet_io(&a->host);
    unsigned failed = 0;
    bool locked = false;
    mobid_err err = mobid_wallet_lock_status(&io, &failed, &locked);
    json_t *j;

    if (err)
        return wallet_fail(a, err, NULL);
    j = json_pack("{s:b,s:i,s:i}", "locked", locked, "failed", (int)failed, "tries_left",
                  locked ? 0 : MOBID_WALLET_MAX_TRIES - (int)failed);
    if (a->host.json)
        cli_print_json(j);
    else if (locked)
        fprintf(stderr, "the wallet is locked for good\n");
    else
        fprintf(stderr, "%d wrong PIN(s) so far, %d tries left\n", (int)failed,
                MOBID_WALLET_MAX_TRIES - (int)failed);
    json_decref(j);
    return CLI_EXIT_OK;
}

/* The URI argument, or the text of the QR code in --qr. */
static int take_uri(wallet_args *a, char **uri)
{
    mobid_err err;

    *uri = NULL;
    if (a->qr && a->arg)
        return cli_usage_error(wallet_usage, "give the URI or --qr, not both");
    if (!a->qr) {
        if (!a->arg)
            return cli_usage_error(wallet_usage, "%s needs a URI or --qr FILE.png", a->cmd);
        *uri = strdup(a->arg);
        return *uri ? 0 : cli_fail(a->host.json, MOBID_ERR_NOMEM, NULL);
    }
    err = cli_wallet_qr_decode(a->qr, uri);
    return err ? wallet_fail(a, err, "no readable QR code in the image") : 0;
}

static void print_flow(const wallet_args *a, bool receive, json_t *summary)
{
    const json_t *e;
    size_t i;

    if (a->host.json) {
        cli_print_json(summary);
        return;
    }
    if (!receive) {
        fprintf(stderr, "shared with %s\n",
                json_string_value(json_object_get(summary, "rp")) ?: "the relying party");
        return;
    }
    json_array_foreach(json_object_get(summary, "received"), i, e)
        fprintf(stderr, "received %s (%s): %lld copies, id %s\n",
                json_string_value(json_object_get(e, "type")) ?: "?",
                json_string_value(json_object_get(e, "format")) ?: "?",
                (long long)json_integer_value(json_object_get(e, "count")),
                json_string_value(json_object_get(e, "id")) ?: "?");
}

/* Human text for list (0), show (1) and history (2), on stderr. */
static void print_table(int which, json_t *out)
{
    const json_t *e;
    const char *k;
    json_t *v;
    size_t i;

    if (which == 1) {
        fprintf(stderr, "%s (%s) from %s, %lld of %lld copies unused\n",
                json_string_value(json_object_get(out, "type")) ?: "?",
                json_string_value(json_object_get(out, "format")) ?: "?",
                json_string_value(json_object_get(out, "issuer")) ?: "?",
                (long long)json_integer_value(json_object_get(out, "unused")),
                (long long)json_integer_value(json_object_get(out, "total")));
        json_object_foreach(json_object_get(out, "claims"), k, v)
        {
            char *t = json_is_string(v) ? strdup(json_string_value(v))
                                        : json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
            fprintf(stderr, "  %s: %s\n", k, t ? t : "?");
            free(t);
        }
        return;
    }
    json_array_foreach(out, i, e)
    {
        if (which == 0)
            fprintf(stderr, "%s  %s (%s)  %lld/%lld unused\n",
                    json_string_value(json_object_get(e, "id")) ?: "?",
                    json_string_value(json_object_get(e, "type")) ?: "?",
                    json_string_value(json_object_get(e, "format")) ?: "?",
                    (long long)json_integer_value(json_object_get(e, "unused")),
                    (long long)json_integer_value(json_object_get(e, "total")));
        else
            fprintf(stderr, "%s  %s\n", json_string_value(json_object_get(e, "at")) ?: "?",
                    json_string_value(json_object_get(e, "rp")) ?: "?");
    }
    if (json_array_size(out) == 0)
        fprintf(stderr, which == 0 ? "no credentials\n" : "no presentations\n");
}

static int cmd_flow(wallet_args *a, bool receive)
{
    mobid_wallet_io io = cli_wallet_io(&a->host);
    char detail[256] = "";
    json_t *summary = NULL;
    char *uri = NULL;
    mobid_err err;
    int rc = take_uri(a, &uri);

    if (rc)
        return rc;
    err = receive ? mobid_wallet_receive(&io, uri, &summary, detail, sizeof detail)
                  : mobid_wallet_present(&io, uri, &summary, detail, sizeof detail);
    if (err) {
        rc = wallet_fail(a, err, detail[0] ? detail : NULL);
    } else {
        print_flow(a, receive, summary);
        rc = CLI_EXIT_OK;
    }
    json_decref(summary);
    free(uri);
    return rc;
}

static int cmd_refresh(wallet_args *a)
{
    mobid_wallet_io io = cli_wallet_io(&a->host);
    char detail[256] = "";
    json_t *summary = NULL, *e;
    size_t i;
    mobid_err err = mobid_wallet_refresh(&io, &a->refresh, &summary, detail, sizeof detail);

    if (err)
        return wallet_fail(a, err, detail[0] ? detail : NULL);
    if (a->host.json)
        cli_print_json(summary);
    json_array_foreach(json_object_get(summary, "refreshed"), i, e)
        fprintf(stderr, "refreshed %s (%s): %lld of %lld copies unused\n",
                json_string_value(json_object_get(e, "type")) ?: "?",
                json_string_value(json_object_get(e, "format")) ?: "?",
                (long long)json_integer_value(json_object_get(e, "unused")),
                (long long)json_integer_value(json_object_get(e, "total")));
    if (json_array_size(json_object_get(summary, "refreshed")) == 0)
        fprintf(stderr, "nothing to refresh\n");
    json_decref(summary);
    return CLI_EXIT_OK;
}

static int cmd_read(wallet_args *a, int which)
{
    mobid_wallet_io io = cli_wallet_io(&a->host);
    json_t *out = NULL;
    mobid_err err;

    if (which == 1 && !a->arg)
        return cli_usage_error(wallet_usage, "show needs a credential id");
    if (which == 2)
        err = mobid_wallet_history(&io, &out);
    else
        err = mobid_wallet_list(&io, which == 1 ? a->arg : NULL, &out);
    if (err)
        return wallet_fail(a, err, NULL);
    shorten_pictures(out);
    if (a->host.json)
        cli_print_json(out);
    else
        print_table(which, out);
    json_decref(out);
    return CLI_EXIT_OK;
}

static int cmd_serve(wallet_args *a)
{
    a->serve.issuer_roots = a->issuer_roots;
    a->serve.rp_roots = a->rp_roots;
    a->serve.reg_roots = a->reg_roots;
    a->serve.scrypt_n = a->scrypt_n;
    return cli_wallet_serve(&a->host, &a->serve);
}

static int wallet_main(int argc, char **argv)
{
    wallet_args a;
    int rc;

    memset(&a, 0, sizeof a);
    rc = parse_args(argc, argv, &a);
    if (rc)
        return rc < 0 ? CLI_EXIT_OK : rc;
    if (!strcmp(a.cmd, "init"))
        rc = cmd_init(&a);
    else if (!strcmp(a.cmd, "receive"))
        rc = cmd_flow(&a, true);
    else if (!strcmp(a.cmd, "present"))
        rc = cmd_flow(&a, false);
    else if (!strcmp(a.cmd, "engage"))
        rc = a.qr ? cli_wallet_engage(&a.host, a.qr, a.advertise)
                  : cli_usage_error(wallet_usage, "engage needs --qr OUT.png");
    else if (!strcmp(a.cmd, "list"))
        rc = cmd_read(&a, 0);
    else if (!strcmp(a.cmd, "show"))
        rc = cmd_read(&a, 1);
    else if (!strcmp(a.cmd, "history"))
        rc = cmd_read(&a, 2);
    else if (!strcmp(a.cmd, "refresh"))
        rc = cmd_refresh(&a);
    else if (!strcmp(a.cmd, "lock-status"))
        rc = cmd_lock_status(&a);
    else if (!strcmp(a.cmd, "serve"))
        rc = cmd_serve(&a);
    else
        rc = cli_usage_error(wallet_usage, "unknown command '%s'", a.cmd);
    cli_wallet_host_free(&a.host);
    return rc;
}

MOBID_CLI_COMMAND(wallet, "wallet", "holder wallet: receive, hold and present credentials",
                  wallet_main)
