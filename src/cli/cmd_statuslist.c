/*
 * `mobid status`: create, update, sign, check and decode Token Status Lists.
 *
 *   mobid status new --bits B --size N -o LIST.json
 *   mobid status set LIST.json IDX=VALUE...
 *   mobid status sign --format jwt|cwt --key KEY --chain CHAIN.pem --uri U [--ttl S] LIST.json -o TOKEN
 *   mobid status check (--token FILE | --uri U) --trust CA.pem --idx N [--at T] [--json]
 *   mobid status decode [--json] LIST_JSON_OR_TOKEN
 */
#include "cli.h"
#include "cli_trust.h"

#include <mobid/statuslist.h>

#include "http/resource.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char USAGE[] =
    "usage: mobid status <action> [options]\n\n"
    "  new --bits 1|2|4|8 --size N [-o LIST.json] [--json]\n"
    "      a list of N entries, all VALID, in the JSON form {\"bits\",\"lst\"}\n"
    "  set LIST.json IDX=VALUE... [-o OUT.json] [--json]\n"
    "      set entries (0 VALID, 1 INVALID, 2 SUSPENDED, others application-specific)\n"
    "  sign --format jwt|cwt --key KEY --chain CHAIN.pem --uri U [--ttl S] [--exp T]\n"
    "       [--at T] [--kid K] [--zlib auto|best|rle] LIST.json -o TOKEN\n"
    "      a status list token; KEY is PEM or JWK, CHAIN the signer certificate first\n"
    "  check (--token FILE | --uri U [--from LOCATION]) --trust CA.pem --idx N [--at T] [--json]\n"
    "      verify the token (signature, chain, typ, sub = --uri, exp) and look up N;\n"
    "      --uri fetches (http, https, file: or a path; --from reads U from LOCATION)\n"
    "  decode [--json] LIST_JSON_OR_TOKEN\n"
    "      print bits, size and every value (tokens are NOT verified)\n\n"
    "Times are RFC 3339. Exit status: 0 success (check: whatever the status value),\n"
    "1 verification failure or index out of range, 2 usage error.\n";

static int usage_error(const char *fmt, const char *arg)
{
    return cli_usage_error(USAGE, fmt, arg ? arg : "");
}

/* Parse a decimal unsigned integer that must fill the whole string. */
static bool parse_u64(const char *s, uint64_t *out)
{
    if (!s || !*s || *s == '-' || *s == '+')
        return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end)
        return false;
    *out = v;
    return true;
}

/* Is this argv entry --help or -h? */
static bool wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
            return true;
    return false;
}

static mobid_err load_list(const char *path, mobid_statuslist **out)
{
    mobid_buf text;
    mobid_err err = cli_read_file(path, &text);
    if (err != MOBID_OK)
        return err;
    err = mobid_statuslist_from_json(mobid_buf_view(&text), NULL, out);
    if (err != MOBID_OK)
        fprintf(stderr, "mobid: %s: not a status list (%s)\n", path, mobid_svc_strerror(err));
    mobid_buf_free(&text);
    return err;
}

static mobid_err save_list(const mobid_statuslist *l, const char *path)
{
    mobid_buf j;
    mobid_buf_init(&j, 0);
    mobid_err err = mobid_statuslist_to_json(l, MOBID_STATUSLIST_ZLIB_AUTO, &j);
    if (err == MOBID_OK)
        err = mobid_buf_append_byte(&j, '\n');
    if (err == MOBID_OK)
        err = cli_write_file(path, mobid_buf_view(&j), 0644);
    mobid_buf_free(&j);
    return err;
}

static void print_list_summary(const mobid_statuslist *l, const char *file, bool json)
{
    if (json) {
        json_t *o = json_pack("{s:I,s:I,s:s}", "bits", (json_int_t)mobid_statuslist_bits(l), "size",
                              (json_int_t)mobid_statuslist_size(l), "file", file);
        cli_print_json(o);
        json_decref(o);
    } else {
        fprintf(stderr, "mobid: %s: %u-bit list of %" PRIu64 " entries\n", file,
                mobid_statuslist_bits(l), mobid_statuslist_size(l));
    }
}

/* ------------------------------------------------------------------- new */

static int cmd_new(int argc, char **argv)
{
    static const struct option opts[] = { { "bits", required_argument, 0, 'b' },
                                          { "size", required_argument, 0, 'n' },
                                          { "json", no_argument, 0, 'j' },
                                          { "help", no_argument, 0, 'h' },
                                          { 0, 0, 0, 0 } };
    uint64_t bits = 0, size = 0;
    const char *outp = "-";
    bool json = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        if (c == 'b' && !parse_u64(optarg, &bits))
            return usage_error("--bits: '%s' is not a number", optarg);
        if (c == 'n' && !parse_u64(optarg, &size))
            return usage_error("--size: '%s' is not a number", optarg);
        if (c == 'o')
            outp = optarg;
        if (c == 'j')
            json = true;
        if (c == 'h') {
            fputs(USAGE, stdout);
            return CLI_EXIT_OK;
        }
        if (c == '?')
            return usage_error("bad option%s", NULL);
    }
    if (optind != argc)
        return usage_error("new: unexpected argument '%s'", argv[optind]);
    if (bits != 1 && bits != 2 && bits != 4 && bits != 8)
        return usage_error("new: --bits must be 1, 2, 4 or 8%s", NULL);
    if (size == 0)
        return usage_error("new: --size must be a positive number%s", NULL);
    mobid_statuslist *l = NULL;
    mobid_err err = mobid_statuslist_new((unsigned)bits, size, &l);
    if (err != MOBID_OK) {
        fprintf(stderr, "mobid: cannot create the list: %s\n", mobid_svc_strerror(err));
        return CLI_EXIT_USAGE;
    }
    err = save_list(l, outp);
    if (err == MOBID_OK && strcmp(outp, "-"))
        print_list_summary(l, outp, json);
    mobid_statuslist_free(l);
    return err == MOBID_OK ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}

/* ------------------------------------------------------------------- set */

/* Apply "IDX=VALUE" to l. Returns an exit status. */
static int apply_assignment(mobid_statuslist *l, const char *arg, bool json)
{
    const char *eq = strchr(arg, '=');
    uint64_t idx, value;
    char idxs[32];
    if (!eq || (size_t)(eq - arg) >= sizeof idxs)
        return usage_error("set: '%s' is not IDX=VALUE", arg);
    memcpy(idxs, arg, (size_t)(eq - arg));
    idxs[eq - arg] = 0;
    if (!parse_u64(idxs, &idx) || !parse_u64(eq + 1, &value))
        return usage_error("set: '%s' is not IDX=VALUE", arg);
    if (value > (1u << mobid_statuslist_bits(l)) - 1)
        return usage_error("set: value in '%s' does not fit the list's bits", arg);
    mobid_err err = mobid_statuslist_set(l, idx, (unsigned)value);
    if (err != MOBID_OK) {
        char detail[96];
        snprintf(detail, sizeof detail, "index %" PRIu64 " is past the end of the list (%" PRIu64
                 " entries)", idx, mobid_statuslist_size(l));
        return cli_fail(json, err, detail);
    }
    return CLI_EXIT_OK;
}

static int cmd_set(int argc, char **argv)
{
    static const struct option opts[] = { { "json", no_argument, 0, 'j' },
                                          { "help", no_argument, 0, 'h' },
                                          { 0, 0, 0, 0 } };
    const char *outp = NULL;
    bool json = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        if (c == 'o')
            outp = optarg;
        if (c == 'j')
            json = true;
        if (c == 'h') {
            fputs(USAGE, stdout);
            return CLI_EXIT_OK;
        }
        if (c == '?')
            return usage_error("bad option%s", NULL);
    }
    if (argc - optind < 2)
        return usage_error("set: need LIST.json and at least one IDX=VALUE%s", NULL);
    const char *path = argv[optind];
    mobid_statuslist *l = NULL;
    if (load_list(path, &l) != MOBID_OK)
        return CLI_EXIT_FAIL;
    int rc = CLI_EXIT_OK;
    for (int i = optind + 1; i < argc && rc == CLI_EXIT_OK; i++)
        rc = apply_assignment(l, argv[i], json);
    if (rc == CLI_EXIT_OK && save_list(l, outp ? outp : path) != MOBID_OK)
        rc = CLI_EXIT_FAIL;
    if (rc == CLI_EXIT_OK && (!outp || strcmp(outp, "-")))
        print_list_summary(l, outp ? outp : path, json);
    mobid_statuslist_free(l);
    return rc;
}

/* ------------------------------------------------------------ sign, check */

static const char *format_name(mobid_statuslist_format f)
{
    return f == MOBID_STATUSLIST_CWT ? "cwt" : "jwt";
}

/* Token claims added to a JSON result: format, uri, iat, exp, ttl. */
static void token_fields(json_t *o, const mobid_statuslist_token *t)
{
    json_object_set_new(o, "format", json_string(format_name(t->format)));
    json_object_set_new(o, "uri", json_string(t->sub));
    json_object_set_new(o, "iat", json_integer(t->iat));
    if (t->has_exp)
        json_object_set_new(o, "exp", json_integer(t->exp));
    if (t->has_ttl)
        json_object_set_new(o, "ttl", json_integer((json_int_t)t->ttl));
}

static mobid_err load_chain(const char *path, mobid_cert ***certs, size_t *n)
{
    mobid_buf pem;
    mobid_err err = cli_read_file(path, &pem);
    if (err != MOBID_OK)
        return err;
    err = mobid_cert_parse_all(mobid_buf_view(&pem), certs, n);
    if (err == MOBID_OK && *n == 0)
        err = MOBID_ERR_CERT_INVALID;
    if (err != MOBID_OK)
        fprintf(stderr, "mobid: %s: no usable certificate (%s)\n", path, mobid_svc_strerror(err));
    mobid_buf_free(&pem);
    return err;
}

typedef struct sign_args {
    const char *format, *key, *chain, *uri, *kid, *zlib, *out, *list;
    uint64_t ttl;
    mobid_time exp, at;
    bool json;
} sign_args;

/* Parse sign's options; returns -1 to go on, else an exit status. */
static int sign_parse(int argc, char **argv, sign_args *a)
{
    static const struct option opts[] = {
        { "format", required_argument, 0, 'f' }, { "key", required_argument, 0, 'k' },
        { "chain", required_argument, 0, 'c' },  { "uri", required_argument, 0, 'u' },
        { "ttl", required_argument, 0, 't' },    { "exp", required_argument, 0, 'e' },
        { "at", required_argument, 0, 'a' },     { "kid", required_argument, 0, 'i' },
        { "zlib", required_argument, 0, 'z' },   { "json", no_argument, 0, 'j' },
        { "help", no_argument, 0, 'h' },         { 0, 0, 0, 0 }
    };
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'f': a->format = optarg; break;
        case 'k': a->key = optarg; break;
        case 'c': a->chain = optarg; break;
        case 'u': a->uri = optarg; break;
        case 'i': a->kid = optarg; break;
        case 'z': a->zlib = optarg; break;
        case 'o': a->out = optarg; break;
        case 'j': a->json = true; break;
        case 't':
            if (!parse_u64(optarg, &a->ttl) || a->ttl == 0)
                return usage_error("--ttl: '%s' is not a positive number of seconds", optarg);
            break;
        case 'e':
            if (cli_parse_time(optarg, &a->exp) != MOBID_OK)
                return CLI_EXIT_USAGE;
            break;
        case 'a':
            if (cli_parse_time(optarg, &a->at) != MOBID_OK)
                return CLI_EXIT_USAGE;
            break;
        case 'h': fputs(USAGE, stdout); return CLI_EXIT_OK;
        default: return usage_error("bad option%s", NULL);
        }
    }
    if (argc - optind != 1)
        return usage_error("sign: need exactly one LIST.json%s", NULL);
    a->list = argv[optind];
    if (!a->format || (strcmp(a->format, "jwt") && strcmp(a->format, "cwt")))
        return usage_error("sign: --format must be jwt or cwt%s", NULL);
    if (!a->key || !a->chain || !a->uri || !a->out)
        return usage_error("sign: --key, --chain, --uri and -o are required%s", NULL);
    if (a->zlib && strcmp(a->zlib, "auto") && strcmp(a->zlib, "best") && strcmp(a->zlib, "rle"))
        return usage_error("sign: --zlib must be auto, best or rle%s", NULL);
    return -1;
}

static mobid_statuslist_zlib zlib_mode(const char *s)
{
    if (s && !strcmp(s, "best"))
        return MOBID_STATUSLIST_ZLIB_BEST;
    if (s && !strcmp(s, "rle"))
        return MOBID_STATUSLIST_ZLIB_RLE;
    return MOBID_STATUSLIST_ZLIB_AUTO;
}

static int cmd_sign(int argc, char **argv)
{
    sign_args a;
    memset(&a, 0, sizeof a);
    int rc = sign_parse(argc, argv, &a);
    if (rc >= 0)
        return rc;
    rc = CLI_EXIT_FAIL;
    mobid_statuslist *l = NULL;
    mobid_key *key = NULL;
    mobid_cert **chain = NULL;
    size_t n = 0;
    mobid_buf tok;
    mobid_buf_init(&tok, 0);
    if (load_list(a.list, &l) != MOBID_OK || cli_load_key(a.key, &key) != MOBID_OK ||
        load_chain(a.chain, &chain, &n) != MOBID_OK)
        goto done;
    mobid_statuslist_sign_params p;
    memset(&p, 0, sizeof p);
    p.format = strcmp(a.format, "cwt") ? MOBID_STATUSLIST_JWT : MOBID_STATUSLIST_CWT;
    p.key = key;
    p.chain = chain;
    p.chain_len = n;
    p.uri = a.uri;
    p.iat = a.at;
    p.exp = a.exp;
    p.ttl = a.ttl;
    p.kid = mobid_view_str(a.kid);
    p.zlib = zlib_mode(a.zlib);
    mobid_err err = mobid_statuslist_token_sign(l, &p, &tok);
    if (err != MOBID_OK) {
        fprintf(stderr, "mobid: cannot sign: %s\n", mobid_svc_strerror(err));
        goto done;
    }
    if (cli_write_file(a.out, mobid_buf_view(&tok), 0644) != MOBID_OK)
        goto done;
    if (a.json) {
        json_t *o = json_pack("{s:s,s:s,s:s,s:I,s:I,s:I}", "format", a.format, "file", a.out, "uri",
                              a.uri, "bytes", (json_int_t)tok.len, "bits",
                              (json_int_t)mobid_statuslist_bits(l), "size",
                              (json_int_t)mobid_statuslist_size(l));
        cli_print_json(o);
        json_decref(o);
    }
    rc = CLI_EXIT_OK;
done:
    mobid_buf_free(&tok);
    mobid_cert_list_free(chain, n);
    mobid_key_free(key);
    mobid_statuslist_free(l);
    return rc;
}

typedef struct check_args {
    const char *token, *uri, *from, *trust;
    uint64_t idx;
    bool has_idx, json;
    mobid_time at;
} check_args;

static int check_parse(int argc, char **argv, check_args *a)
{
    static const struct option opts[] = {
        { "token", required_argument, 0, 'T' }, { "uri", required_argument, 0, 'u' },
        { "from", required_argument, 0, 'F' },  { "trust", required_argument, 0, 'r' },
        { "idx", required_argument, 0, 'i' },   { "at", required_argument, 0, 'a' },
        { "json", no_argument, 0, 'j' },        { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 }
    };
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'T': a->token = optarg; break;
        case 'u': a->uri = optarg; break;
        case 'F': a->from = optarg; break;
        case 'r': a->trust = optarg; break;
        case 'j': a->json = true; break;
        case 'i':
            if (!parse_u64(optarg, &a->idx))
                return usage_error("--idx: '%s' is not an index", optarg);
            a->has_idx = true;
            break;
        case 'a':
            if (cli_parse_time(optarg, &a->at) != MOBID_OK)
                return CLI_EXIT_USAGE;
            break;
        case 'h': fputs(USAGE, stdout); return CLI_EXIT_OK;
        default: return usage_error("bad option%s", NULL);
        }
    }
    if (optind != argc)
        return usage_error("check: unexpected argument '%s'", argv[optind]);
    if (!a->token && !a->uri)
        return usage_error("check: --token FILE or --uri U is required%s", NULL);
    if (a->from && (a->token || !a->uri))
        return usage_error("check: --from goes with --uri, not --token%s", NULL);
    if (!a->trust || !a->has_idx)
        return usage_error("check: --trust and --idx are required%s", NULL);
    return -1;
}

/* Verify a token file; sub must equal --uri when that is given too. */
static mobid_err check_token_file(const check_args *a, mobid_trust *trust,
                                  mobid_statuslist_token **out)
{
    mobid_buf in;
    mobid_err err = cli_read_binary_or_hex(a->token, &in);
    if (err != MOBID_OK)
        return err;
    mobid_statuslist_verify_params vp = { trust, a->at, a->uri, NULL };
    err = mobid_statuslist_token_verify(mobid_buf_view(&in), &vp, out);
    mobid_buf_free(&in);
    return err;
}

static int print_status(const check_args *a, const mobid_statuslist_token *t, unsigned v)
{
    char name[12];
    mobid_statuslist_value_name(v, name);
    if (!a->json) {
        printf("%s\n", name);
        return CLI_EXIT_OK;
    }
    json_t *o = json_pack("{s:s,s:I,s:I,s:I}", "status", name, "idx", (json_int_t)a->idx, "value",
                          (json_int_t)v, "bits", (json_int_t)mobid_statuslist_bits(t->list));
    if (o)
        token_fields(o, t);
    cli_print_json(o);
    json_decref(o);
    return CLI_EXIT_OK;
}

static int cmd_check(int argc, char **argv)
{
    check_args a;
    memset(&a, 0, sizeof a);
    int rc = check_parse(argc, argv, &a);
    if (rc >= 0)
        return rc;
    if (!a.at)
        a.at = mobid_now();
    mobid_trust *trust = NULL;
    mobid_statuslist_fetcher *f = NULL;
    mobid_statuslist_token *owned = NULL;
    const mobid_statuslist_token *t = NULL;
    mobid_err err = cli_trust_anchors(&a.trust, 1, "status", &trust);
    if (err != MOBID_OK) {
        rc = CLI_EXIT_USAGE;
        goto done;
    }
    if (a.token) {
        err = check_token_file(&a, trust, &owned);
        t = owned;
    } else {
        mobid_statuslist_fetch_opts fo = { .get = mobid_http_statuslist_get };
        err = mobid_statuslist_fetcher_new(trust, &fo, &f);
        if (err == MOBID_OK && a.from)
            err = mobid_statuslist_fetcher_map(f, a.uri, a.from);
        if (err == MOBID_OK)
            err = mobid_statuslist_fetch(f, a.uri, a.at, &t);
    }
    unsigned v = 0;
    if (err == MOBID_OK)
        err = mobid_statuslist_get(t->list, a.idx, &v);
    if (err != MOBID_OK) {
        char detail[128];
        snprintf(detail, sizeof detail, "%s", mobid_svc_strerror(err));
        if (err == MOBID_ERR_STATUS_INDEX_OUT_OF_RANGE)
            snprintf(detail, sizeof detail, "index %" PRIu64 " is past the end of the list (%" PRIu64
                     " entries)", a.idx, mobid_statuslist_size(t->list));
        rc = cli_fail(a.json, err, detail);
        goto done;
    }
    rc = print_status(&a, t, v);
done:
    mobid_statuslist_token_free(owned);
    mobid_statuslist_fetcher_free(f);
    mobid_trust_free(trust);
    return rc;
}

/* ---------------------------------------------------------------- decode */

/* A list or token in any form: JSON list, JWT, CWT (binary or hex), CBOR list. */
static mobid_err decode_any(mobid_view in, mobid_statuslist **list, mobid_statuslist_token **tok)
{
    size_t i = 0;
    while (i < in.len && (in.ptr[i] == ' ' || in.ptr[i] == '\n' || in.ptr[i] == '\r' ||
                          in.ptr[i] == '\t'))
        i++;
    if (i < in.len && in.ptr[i] == '{')
        return mobid_statuslist_from_json(in, NULL, list);
    if (mobid_statuslist_detect_format(in) != 0)
        return mobid_statuslist_token_decode(in, NULL, tok);
    mobid_cbor_item map;
    mobid_err err = mobid_cbor_decode_exact(in, NULL, &map);
    if (err != MOBID_OK)
        return MOBID_ERR_MALFORMED;
    return mobid_statuslist_from_cbor(&map, NULL, list);
}

static json_t *values_json(const mobid_statuslist *l)
{
    json_t *arr = json_array();
    uint64_t n = mobid_statuslist_size(l);
    for (uint64_t i = 0; arr && i < n; i++) {
        unsigned v = 0;
        if (mobid_statuslist_get(l, i, &v) != MOBID_OK ||
            json_array_append_new(arr, json_integer(v)) != 0) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

static int print_decoded(const mobid_statuslist *l, const mobid_statuslist_token *t, bool json)
{
    if (!json) {
        printf("bits %u, size %" PRIu64 "\n", mobid_statuslist_bits(l), mobid_statuslist_size(l));
        if (t)
            printf("%s token, sub %s, iat %" PRId64 "\n", t->format == MOBID_STATUSLIST_JWT ? "JWT" : "CWT",
                   t->sub, (int64_t)t->iat);
        for (uint64_t i = 0; i < mobid_statuslist_size(l); i++) {
            unsigned v = 0;
            char name[12];
            if (mobid_statuslist_get(l, i, &v) == MOBID_OK && v) {
                mobid_statuslist_value_name(v, name);
                printf("%" PRIu64 " %s\n", i, name);
            }
        }
        return CLI_EXIT_OK;
    }
    json_t *values = values_json(l);
    json_t *o = json_pack("{s:I,s:I,s:o*}", "bits", (json_int_t)mobid_statuslist_bits(l), "size",
                          (json_int_t)mobid_statuslist_size(l), "values", values);
    if (o && t)
        token_fields(o, t);
    if (!o || !values) {
        json_decref(o);
        fprintf(stderr, "mobid: out of memory\n");
        return CLI_EXIT_FAIL;
    }
    /* Compact: a list can have millions of values. */
    char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (s)
        puts(s);
    free(s);
    json_decref(o);
    return CLI_EXIT_OK;
}

static int cmd_decode(int argc, char **argv)
{
    static const struct option opts[] = { { "json", no_argument, 0, 'j' },
                                          { "help", no_argument, 0, 'h' },
                                          { 0, 0, 0, 0 } };
    bool json = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'j')
            json = true;
        if (c == 'h') {
            fputs(USAGE, stdout);
            return CLI_EXIT_OK;
        }
        if (c == '?')
            return usage_error("bad option%s", NULL);
    }
    if (argc - optind != 1)
        return usage_error("decode: need one LIST_JSON_OR_TOKEN file%s", NULL);
    mobid_buf in;
    if (cli_read_binary_or_hex(argv[optind], &in) != MOBID_OK)
        return CLI_EXIT_FAIL;
    mobid_statuslist *l = NULL;
    mobid_statuslist_token *t = NULL;
    mobid_err err = decode_any(mobid_buf_view(&in), &l, &t);
    int rc = err == MOBID_OK ? print_decoded(t ? t->list : l, t, json)
                             : cli_fail(json, err, "not a status list or status list token");
    mobid_statuslist_free(l);
    mobid_statuslist_token_free(t);
    mobid_buf_free(&in);
    return rc;
}

/* ------------------------------------------------------------- dispatch */

static int cmd_status(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage_error(USAGE, "status: missing action");
    const char *action = argv[1];
    if (!strcmp(action, "--help") || !strcmp(action, "-h") || !strcmp(action, "help")) {
        fputs(USAGE, stdout);
        return CLI_EXIT_OK;
    }
    if (wants_help(argc - 1, argv + 1)) {
        fputs(USAGE, stdout);
        return CLI_EXIT_OK;
    }
    if (!strcmp(action, "new"))
        return cmd_new(argc - 1, argv + 1);
    if (!strcmp(action, "set"))
        return cmd_set(argc - 1, argv + 1);
    if (!strcmp(action, "sign"))
        return cmd_sign(argc - 1, argv + 1);
    if (!strcmp(action, "check"))
        return cmd_check(argc - 1, argv + 1);
    if (!strcmp(action, "decode"))
        return cmd_decode(argc - 1, argv + 1);
    return cli_usage_error(USAGE, "status: unknown action '%s'", action);
}

MOBID_CLI_COMMAND(status, "status", "Token Status Lists: new, set, sign, check, decode", cmd_status)
