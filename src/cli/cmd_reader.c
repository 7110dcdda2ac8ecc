/*
 * mobid reader scan --qr IN.png --profile P --reader-key K --reader-chain C
 *                   --trust ROOTS [--registration JWT] [--at T] [--json]
 * The in-person reader (ISO 18013-5): reads the holder's engagement QR, connects
 * over the transport it names, authenticates with the reader certificate, asks for
 * the profile's items and prints the verified answer as `mobid mdoc verify` does.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mobid/mdoc.h>
#include <mobid/proximity.h>

#include "cli/cli.h"
#include "cli/cli_trust.h"
#include "cli/cmd_mdoc.h"
#include "cli/cmd_wallet.h"
#include "transport/tcp.h"

static const char reader_usage[] =
    "usage: mobid reader scan --qr IN.png --profile P.json --reader-key K --reader-chain C\n"
    "                         --trust ROOTS [--registration JWT] [--at T] [--json]\n"
    "                         [--vical F --vical-anchor R] [--lenient | --strict]\n"
    "\n"
    "Reads the holder's engagement QR (\"mdoc:\" URI), connects over the retrieval\n"
    "method it names (mobid's TCP loopback stand-in for BLE), sends a DeviceRequest\n"
    "signed with the reader key (readerAuth; the chain's leaf must carry the 18013-5\n"
    "reader EKU) carrying the ministry-signed registration in requestInfo, and\n"
    "verifies the DeviceResponse (device MAC or signature) against the issuer trust\n"
    "(--trust ROOTS and the other trust options of `mobid mdoc verify`). The profile\n"
    "is a DCQL query with one mso_mdoc credential:\n"
    "{\"credentials\":[{\"id\":..,\"format\":\"mso_mdoc\",\"meta\":{\"doctype_value\":D},\n"
    "\"claims\":[{\"path\":[NS,ELEM],\"intent_to_retain\":false},...]}]}.\n"
    "Output (--json) as `mobid mdoc verify --json`: {\"valid\":true,\"documents\":[...]};\n"
    "on failure exit 1 and {\"valid\":false,\"error\":CODE,\"detail\":...}. Exit 2: usage.\n"
    "trust options:\n" CLI_TRUST_USAGE;

typedef struct reader_args {
    const char *qr, *profile, *key, *chain, *registration, *at;
    cli_trust trust;
    bool json;
} reader_args;

typedef struct reader_state {
    mobid_key *key;
    mobid_cert **chain;
    size_t n_chain;
    mobid_trust *trust;
    json_t *profile;
    mobid_px_item items[MOBID_PX_MAX_ITEMS];
    mobid_px_doc_spec spec;
    mobid_buf info, engagement;
    mobid_time at;
} reader_state;

static int parse_args(int argc, char **argv, reader_args *a)
{
    static const struct option opts[] = {
        { "qr", required_argument, NULL, 'q' },          { "profile", required_argument, NULL, 'p' },
        { "reader-key", required_argument, NULL, 'k' },  { "reader-chain", required_argument, NULL, 'c' },
        { "registration", required_argument, NULL, 'r' }, { "at", required_argument, NULL, 'a' },
        { "json", no_argument, NULL, 'j' },              { "help", no_argument, NULL, 'h' },
        CLI_TRUST_OPTIONS,                               { NULL, 0, NULL, 0 }
    };
    int c, took;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if ((took = cli_trust_option(&a->trust, c, optarg)) != 0) {
            if (took < 0)
                return CLI_EXIT_USAGE;
            continue;
        }
        switch (c) {
        case 'q': a->qr = optarg; break;
        case 'p': a->profile = optarg; break;
        case 'k': a->key = optarg; break;
        case 'c': a->chain = optarg; break;
        case 'r': a->registration = optarg; break;
        case 'a': a->at = optarg; break;
        case 'j': a->json = true; break;
        case 'h': fputs(reader_usage, stdout); return -1;
        default: return cli_usage_error(reader_usage, "unknown option");
        }
    }
    if (optind >= argc || strcmp(argv[optind], "scan") != 0)
        return cli_usage_error(reader_usage, "the command is 'scan'");
    if (optind + 1 != argc)
        return cli_usage_error(reader_usage, "unexpected argument '%s'", argv[optind + 1]);
    if (!a->qr || !a->profile || !a->key || !a->chain || !cli_trust_given(&a->trust))
        return cli_usage_error(reader_usage, "scan needs --qr, --profile, --reader-key, "
                                             "--reader-chain and --trust");
    return 0;
}

/* The profile's one mso_mdoc credential query as a doc spec (views into the JSON). */
static mobid_err profile_spec(reader_state *s)
{
    json_t *cred = json_array_get(json_object_get(s->profile, "credentials"), 0), *cl;
    const char *fmt = json_string_value(json_object_get(cred, "format"));
    size_t i;
    s->spec.doctype = json_string_value(
        json_object_get(json_object_get(cred, "meta"), "doctype_value"));
    if (!fmt || strcmp(fmt, "mso_mdoc") != 0 || !s->spec.doctype)
        return MOBID_ERR_MALFORMED;
    json_array_foreach(json_object_get(cred, "claims"), i, cl)
    {
        json_t *path = json_object_get(cl, "path");
        const char *ns = json_string_value(json_array_get(path, 0));
        const char *id = json_string_value(json_array_get(path, 1));
        if (!ns || !id || json_array_size(path) != 2 || i >= MOBID_PX_MAX_ITEMS)
            return MOBID_ERR_MALFORMED;
        s->items[i].ns = mobid_view_str(ns);
        s->items[i].id = mobid_view_str(id);
        s->items[i].intent_to_retain = json_is_true(json_object_get(cl, "intent_to_retain"));
    }
    s->spec.items = s->items;
    s->spec.n_items = i;
    return i ? MOBID_OK : MOBID_ERR_MALFORMED;
}

/* requestInfo {"registration": JWT} when a registration is given. */
static mobid_err request_info(const reader_args *a, reader_state *s)
{
    mobid_buf jwt;
    mobid_cbor_enc e;
    mobid_err err;
    if (!a->registration)
        return MOBID_OK;
    mobid_buf_init(&jwt, 0);
    err = cli_read_file(a->registration, &jwt);
    while (!err && jwt.len && (jwt.ptr[jwt.len - 1] == '\n' || jwt.ptr[jwt.len - 1] == '\r'))
        jwt.len--;
    if (!err) {
        mobid_cbor_enc_init(&e, &s->info);
        mobid_cbor_put_map_head(&e, 1);
        mobid_cbor_put_cstr(&e, "registration");
        mobid_cbor_put_text(&e, mobid_buf_view(&jwt));
        err = mobid_cbor_enc_finish(&e);
    }
    s->spec.request_info = mobid_buf_view(&s->info);
    mobid_buf_free(&jwt);
    return err;
}

static mobid_err load_inputs(const reader_args *a, reader_state *s)
{
    mobid_buf b;
    json_error_t jerr;
    mobid_err err = cli_load_key(a->key, &s->key);
    mobid_buf_init(&b, 0);
    if (!err)
        err = cli_read_file(a->chain, &b);
    if (!err && (err = mobid_cert_parse_all(mobid_view_make(b.ptr, b.len), &s->chain,
                                            &s->n_chain)))
        fprintf(stderr, "mobid reader: %s: no certificates\n", a->chain);
    if (!err)
        err = cli_trust_load(&a->trust, "reader", s->at, &s->trust, NULL, 0);
    if (!err && !(s->profile = json_load_file(a->profile, 0, &jerr)))
        err = MOBID_ERR_MALFORMED;
    if (!err && (err = profile_spec(s)))
        fprintf(stderr, "mobid reader: %s: not a profile with one mso_mdoc query\n",
                a->profile);
    if (!err)
        err = request_info(a, s);
    s->spec.reader_key = s->key;
    s->spec.reader_chain = s->chain;
    s->spec.n_chain = s->n_chain;
    mobid_buf_free(&b);
    return err;
}

static void state_free(reader_state *s)
{
    mobid_key_free(s->key);
    mobid_cert_list_free(s->chain, s->n_chain);
    mobid_trust_free(s->trust);
    json_decref(s->profile);
    mobid_buf_free(&s->info);
    mobid_buf_free(&s->engagement);
}

/* The engagement of the QR code and a connection to the TCP method it names. */
static mobid_err connect_holder(const reader_args *a, reader_state *s, mobid_tcp **conn,
                                char *detail, size_t dlen)
{
    mobid_px_engagement e;
    char *uri = NULL;
    mobid_err err = cli_wallet_qr_decode(a->qr, &uri);
    if (err) {
        snprintf(detail, dlen, "no readable QR code in %s", a->qr);
        return err;
    }
    err = mobid_px_engagement_from_uri(mobid_view_str(uri), &s->engagement);
    free(uri);
    if (!err)
        err = mobid_px_engagement_parse(mobid_buf_view(&s->engagement), &e);
    if (err) {
        snprintf(detail, dlen, "the QR code is no 18013-5 device engagement");
        mobid_px_engagement_clear(&e);
        return err;
    }
    err = MOBID_ERR_UNSUPPORTED;
    snprintf(detail, dlen, "the engagement offers no transport this reader speaks");
    for (size_t i = 0; i < e.n_methods; i++) {
        if (e.methods[i].type != MOBID_PX_RETRIEVAL_TCP)
            continue;
        err = mobid_tcp_connect(e.methods[i].host, e.methods[i].port, conn);
        snprintf(detail, dlen, "cannot connect to %s:%u", e.methods[i].host, e.methods[i].port);
        break;
    }
    mobid_px_engagement_clear(&e);
    return err;
}

static int verify_and_print(const reader_args *a, reader_state *s, mobid_px_reader_result *r)
{
    mobid_mdoc_verifier *v = NULL;
    mobid_mdoc_result res;
    mobid_mdoc_verify_opts o = { mobid_buf_view(&r->transcript), r->e_reader_key, s->at,
                                 s->spec.doctype };
    json_t *out;
    int rc;
    memset(&res, 0, sizeof res);
    mobid_err err = mobid_mdoc_verifier_new(s->trust, &v);
    if (!err)
        err = mobid_mdoc_verify(v, mobid_buf_view(&r->response), &o, &res);
    if (err) {
        rc = cli_fail(a->json, err, res.detail[0] ? res.detail : NULL);
    } else if (!(out = mdoc_result_json(&res))) {
        rc = cli_fail(a->json, MOBID_ERR_NOMEM, NULL);
    } else {
        if (!a->json)
            fprintf(stderr, "valid: %.*s, %zu element(s)%s\n", (int)res.docs[0].doctype.len,
                    (const char *)res.docs[0].doctype.ptr, res.docs[0].n_items,
                    res.docs[0].device_mac ? " (device MAC)" : " (device signature)");
        cli_print_json(out);
        json_decref(out);
        rc = CLI_EXIT_OK;
    }
    mobid_mdoc_result_free(&res);
    mobid_mdoc_verifier_free(v);
    return rc;
}

static int scan(const reader_args *a, reader_state *s)
{
    mobid_px_reader_result r;
    mobid_tcp *conn = NULL;
    mobid_px_transport t;
    char detail[160] = "";
    int rc;
    mobid_err err = connect_holder(a, s, &conn, detail, sizeof detail);
    memset(&r, 0, sizeof r);
    if (err)
        return cli_fail(a->json, err, detail);
    /* the answer waits for the holder's consent and PIN: give people time */
    mobid_tcp_set_timeout(conn, 5 * 60 * 1000);
    t = mobid_tcp_transport(conn);
    mobid_px_reader_opts o = { mobid_buf_view(&s->engagement), &s->spec, 1 };
    err = mobid_px_reader_exchange(&t, &o, &r);
    if (err == MOBID_ERR_SESSION_TERMINATED)
        rc = cli_fail(a->json, err, "the holder ended the session without answering");
    else if (err)
        rc = cli_fail(a->json, err, "in-person session failed");
    else
        rc = verify_and_print(a, s, &r);
    mobid_px_reader_result_clear(&r);
    mobid_tcp_free(conn);
    return rc;
}

static int reader_main(int argc, char **argv)
{
    reader_args a;
    reader_state s;
    int rc;
    memset(&a, 0, sizeof a);
    memset(&s, 0, sizeof s);
    mobid_buf_init(&s.info, 0);
    mobid_buf_init(&s.engagement, 0);
    rc = parse_args(argc, argv, &a);
    if (rc)
        rc = rc < 0 ? CLI_EXIT_OK : rc;
    else if (a.at && cli_parse_time(a.at, &s.at) != MOBID_OK)
        rc = cli_usage_error(reader_usage, "bad --at time");
    else if (load_inputs(&a, &s) != MOBID_OK)
        rc = CLI_EXIT_USAGE;
    else
        rc = scan(&a, &s);
    state_free(&s);
    cli_trust_clear(&a.trust);
    return rc;
}

MOBID_CLI_COMMAND(reader, "reader", "in-person reader: scan a holder's QR and verify (18013-5)",
                  reader_main)
