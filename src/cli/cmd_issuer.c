/*
 * `mobid issuer`: the issuer service and its operator tools.
 *
 *   mobid issuer serve --db URL --listen HOST:PORT --config FILE
 *   mobid issuer offer --db URL --config FILE --cardtype ID --claims FILE --person REF
 *   mobid issuer card suspend|resume|revoke|show --db URL --config FILE REF [--reason TEXT]
 *   mobid issuer audit verify|checkpoint, backup, restore   (cmd_issuer_ops.c)
 *   mobid issuer fetch --offer URI --tx-code CODE --out DIR [--batch N]   (a test wallet)
 */
#include "cli.h"
#include "cmd_issuer.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/server.h"
#include "qr/qr.h"
#include "services/issuer/issuer.h"

static const char USAGE[] =
    "usage: mobid issuer serve --db sqlite:PATH|postgres://... --listen HOST:PORT --config FILE\n"
    "       mobid issuer offer --db URL --config FILE --cardtype ID --claims FILE\n"
    "                          --person REF [--json]\n"
    "       mobid issuer card suspend|resume|revoke|show --db URL --config FILE REF\n"
    "                          [--reason TEXT] [--actor ID]\n"
    "       mobid issuer expire --db URL --config FILE\n"
    "       mobid issuer audit verify --db URL [--checkpoint FILE --trust IACA.pem] [--json]\n"
    "       mobid issuer audit checkpoint --db URL --config FILE [--out FILE]\n"
    "       mobid issuer backup --db URL --out FILE\n"
    "       mobid issuer restore --db URL --from FILE\n"
    "       mobid issuer fetch --offer URI --tx-code CODE --out DIR [--batch N]\n"
    "                          [--config-id ID]... [--trust ROOTS.pem]\n"
    "       mobid issuer proof --key HOLDER --aud ISSUER --nonce N [--sign-key K] [--iat T]\n"
    "       mobid issuer qr [--format png|svg|text] [-o FILE] OFFER_URI\n"
    "\n"
    "serve: OpenID4VCI issuer (/.well-known/openid-credential-issuer, /token, /nonce,\n"
    "/credential, /offers/{id}, /status/{list}) plus the admin API, until SIGINT/SIGTERM;\n"
    "prints {\"listen\":URL,\"issuer\":URL} once listening.\n"
    "offer: creates a credential offer straight from a claims JSON file (operator tool;\n"
    "the consular flow creates offers through the admin API); prints the offer URIs and\n"
    "the tx_code. card: lifecycle of a card (REF = card id or application id).\n"
    "audit verify: checks the hash chain of the audit log (exit 1 when broken); with\n"
    "--checkpoint, against a signed checkpoint too. backup, restore: the database\n"
    "(`mobid issuer backup --help`; docs/operations.md).\n"
    "fetch: redeems an offer with the wallet library's client (token, nonce, batch\n"
    "credential requests with fresh P-256 holder keys) and writes credentials and keys\n"
    "into DIR; with --trust every credential is checked against those roots first.\n"
    "See docs/issuer.md.\n";

typedef struct issuer_args {
    const char *db, *listen, *config, *cardtype, *claims, *person, *reason, *actor;
    bool json;
} issuer_args;

static int parse_args(int argc, char **argv, issuer_args *a)
{
    const cli_opt opts[] = { CLI_VALUE("db", &a->db),         CLI_VALUE("listen", &a->listen),
                             CLI_VALUE("config", &a->config), CLI_VALUE("cardtype", &a->cardtype),
                             CLI_VALUE("claims", &a->claims), CLI_VALUE("person", &a->person),
                             CLI_VALUE("reason", &a->reason), CLI_VALUE("actor", &a->actor),
                             CLI_FLAG("json", &a->json), CLI_END };
    return cli_parse(argc, argv, opts, -1, USAGE);
}

static mobid_err open_ctx(const issuer_args *a, issuer_ctx **ctx)
{
    issuer_config cfg;
    mobid_err err = issuer_config_load(a->config, &cfg);
    if (err == MOBID_OK)
        err = issuer_ctx_new(&cfg, a->db, ctx);
    issuer_config_free(&cfg);
    return err;
}

static int issuer_serve_cmd(const issuer_args *a)
{
    issuer_ctx *ctx = NULL;
    mobid_err err = mobid_http_signals_block();
    if (err == MOBID_OK) err = open_ctx(a, &ctx);
    if (err == MOBID_OK) err = issuer_serve(ctx, a->listen);
    if (err != MOBID_OK)
        fprintf(stderr, "issuer: %s\n", mobid_svc_strerror(err));
    issuer_ctx_free(ctx);
    return err == MOBID_OK ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}

typedef struct offer_run {
    issuer_ctx *ctx;
    issuer_offer_req req;
    issuer_offer *out;
    char detail[MOBID_SVC_DETAIL_MAX];
} offer_run;

static mobid_err offer_body(mobid_store *s, void *arg)
{
    offer_run *r = arg;
    issuer_offer_clear(r->out);
    return issuer_offer_create(r->ctx, s, &r->req, r->out, r->detail, sizeof r->detail);
}

static int issuer_offer_cmd(const issuer_args *a)
{
    issuer_ctx *ctx = NULL;
    mobid_store *s = NULL;
    mobid_buf text = { 0 };
    json_t *claims = NULL;
    issuer_offer o = { 0 };
    char person[65];
    int rc = CLI_EXIT_FAIL;
    mobid_err err = cli_read_file(a->claims, &text);
    if (err == MOBID_OK && !(claims = json_loadb((const char *)text.ptr, text.len, 0, NULL)))
        err = MOBID_ERR_MALFORMED;
    if (err == MOBID_OK) err = open_ctx(a, &ctx);
    if (err == MOBID_OK) err = issuer_lookup_hash(ctx, mobid_view_str(a->person), person);
    if (err == MOBID_OK) err = issuer_db(ctx, &s);
    offer_run r = { ctx, { NULL, a->cardtype, person, claims, a->actor }, &o, "" };
    if (err == MOBID_OK) err = mobid_store_tx(s, 0, offer_body, &r);
    if (err != MOBID_OK) {
        rc = cli_fail(a->json, err, r.detail[0] ? r.detail : "offer not created");
        goto done;
    }
    json_t *j = json_pack("{s:s,s:s,s:s,s:s,s:I,s:o}", "offer_id", o.offer_id, "tx_code",
                          o.tx_code, "offer_uri", o.offer_uri, "offer_ref_uri", o.offer_ref_uri,
                          "expires_at", (json_int_t)o.expires_at, "credential_offer",
                          json_loads(o.offer_json, 0, NULL));
    cli_print_json(j);
    json_decref(j);
    rc = CLI_EXIT_OK;
done:
    issuer_offer_clear(&o);
    if (ctx)
        issuer_db_release(ctx, s);
    issuer_ctx_free(ctx);
    json_decref(claims);
    mobid_buf_free(&text);
    return rc;
}

static int issuer_card_cmd(const issuer_args *a, const char *action, const char *ref)
{
    issuer_ctx *ctx = NULL;
    mobid_store *s = NULL;
    json_t *j = NULL;
    const char *actor = a->actor ? a->actor : "operator";
    mobid_err err = open_ctx(a, &ctx);
    if (err == MOBID_OK && !strcmp(action, "suspend"))
        err = issuer_card_suspend(ctx, ref, actor, a->reason);
    else if (err == MOBID_OK && !strcmp(action, "resume"))
        err = issuer_card_resume(ctx, ref, actor, a->reason);
    else if (err == MOBID_OK && !strcmp(action, "revoke"))
        err = issuer_card_revoke(ctx, ref, actor, a->reason);
    else if (err == MOBID_OK && strcmp(action, "show"))
        err = MOBID_ERR_INVALID_ARG;
    if (err == MOBID_OK) err = issuer_db(ctx, &s);
    if (err == MOBID_OK) err = issuer_card_json(ctx, s, ref, &j);
    if (ctx)
        issuer_db_release(ctx, s);
    issuer_ctx_free(ctx);
    if (err != MOBID_OK)
        return cli_fail(true, err, "card action failed");
    cli_print_json(j);
    json_decref(j);
    return CLI_EXIT_OK;
}

static int issuer_expire_cmd(const issuer_args *a)
{
    issuer_ctx *ctx = NULL;
    int64_t n = 0;
    mobid_err err = open_ctx(a, &ctx);
    if (err == MOBID_OK) err = issuer_cards_expire(ctx, 0, &n);
    issuer_ctx_free(ctx);
    if (err != MOBID_OK)
        return cli_fail(a->json, err, "expiry run failed");
    printf("{\"expired\":%lld}\n", (long long)n);
    return CLI_EXIT_OK;
}

/* mobid issuer qr --format png|svg|text [-o FILE] TEXT */
static int issuer_qr_cmd(int argc, char **argv)
{
    const char *fmt = "text", *out = "-", *text = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--format") && i + 1 < argc)
            fmt = argv[++i];
        else if (!strcmp(argv[i], "-o") && i + 1 < argc)
            out = argv[++i];
        else if (!strcmp(argv[i], "--help")) {
            fputs(USAGE, stdout);
            return CLI_EXIT_OK;
        } else if (!text)
            text = argv[i];
        else
            text = NULL, i = argc;
    }
    mobid_qr_format f = !strcmp(fmt, "png") ? MOBID_QR_PNG
                        : !strcmp(fmt, "svg") ? MOBID_QR_SVG
                                              : MOBID_QR_TEXT;
    if (!text || (f == MOBID_QR_TEXT && strcmp(fmt, "text"))) {
        fputs(USAGE, stderr);
        return CLI_EXIT_USAGE;
    }
    mobid_buf b = { 0 };
    mobid_err err = mobid_qr_render(text, f, 4, &b);
    if (err == MOBID_OK)
        err = cli_write_file(out, mobid_buf_view(&b), 0644);
    mobid_buf_free(&b);
    return err == MOBID_OK ? CLI_EXIT_OK : cli_fail(false, err, "cannot write the QR code");
}

static int cmd_issuer(int argc, char **argv)
{
    issuer_args a = { .listen = "127.0.0.1:0" };
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(USAGE, argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
    }
    const char *sub = argv[1];
    if (!strcmp(sub, "fetch"))
        return cmd_issuer_fetch(argc - 1, argv + 1);
    if (!strcmp(sub, "proof"))
        return cmd_issuer_proof(argc - 1, argv + 1);
    if (!strcmp(sub, "qr"))
        return issuer_qr_cmd(argc - 1, argv + 1);
    if (!strcmp(sub, "backup") || !strcmp(sub, "restore") || !strcmp(sub, "audit"))
        return cmd_issuer_ops(argc - 1, argv + 1);
    int shift = (!strcmp(sub, "card") || !strcmp(sub, "audit")) ? 2 : 1;
    if (argc <= shift) {
        fputs(USAGE, stderr);
        return CLI_EXIT_USAGE;
    }
    int rc = parse_args(argc - shift, argv + shift, &a);
    if (rc != CLI_RUN)
        return rc;
    int rest = argc - shift - optind;
    if (!strcmp(sub, "serve") && a.db && a.config && !rest)
        return issuer_serve_cmd(&a);
    if (!strcmp(sub, "offer") && a.db && a.config && a.cardtype && a.claims && a.person && !rest)
        return issuer_offer_cmd(&a);
    if (!strcmp(sub, "card") && a.db && a.config && rest == 1)
        return issuer_card_cmd(&a, argv[2], argv[shift + optind]);
    if (!strcmp(sub, "expire") && a.db && a.config && !rest)
        return issuer_expire_cmd(&a);
    fputs(USAGE, stderr);
    return CLI_EXIT_USAGE;
}

MOBID_CLI_COMMAND(issuer, "issuer", "run the issuer service; offers, cards, audit, test wallet",
                  cmd_issuer)
