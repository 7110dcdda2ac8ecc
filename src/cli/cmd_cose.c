/*
 * mobid cose: verify and create COSE_Sign1 messages.
 *
 *   mobid cose verify [--cert CERT | --key PUB.pem] [--anchor CA ...] [--at T] FILE
 *   mobid cose sign --key KEY.pem [--x5chain CERT ...] [--out FILE] PAYLOAD
 */
#include "cli.h"
#include "cli_trust.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <mobid/cose.h>

static const char verify_usage[] =
    "usage: mobid cose verify [options] FILE\n"
    "Verify a COSE_Sign1 (FILE binary or hex, '-' = stdin).\n"
    "  --cert CERT        signer certificate (PEM, DER or hex DER); default: the\n"
    "                     leaf of the message's x5chain (then --anchor is required)\n"
    "  --key PUB.pem      verify with a bare public key (no chain)\n"
    "  --anchor CA        trust anchor (PEM bundle, DER or hex DER); repeatable;\n"
    "                     the signer certificate must chain to one of them\n"
    "  --at RFC3339       time for certificate validity (default: now)\n"
    "  --purpose P        any (default), ds, reader or signing\n"
    "  --alg LIST         allowed algorithms, e.g. ES256,EdDSA (default: all)\n"
    "  --payload FILE     detached payload\n"
    "  --aad HEX          external_aad (hex)\n"
    "  --payload-out FILE write the (attached) payload to FILE\n"
    "  --json             print the result as JSON\n"
    "Exit: 0 valid, 1 invalid ({\"valid\":false,\"error\":CODE}), 2 usage error.\n";

static const char sign_usage[] =
    "usage: mobid cose sign --key KEY.pem [options] PAYLOAD\n"
    "Sign the file PAYLOAD ('-' = stdin) into a COSE_Sign1.\n"
    "  --key KEY.pem      private key (PEM or JWK)\n"
    "  --alg ALG          ES256, ES384, ES512 or EdDSA (default: from the key)\n"
    "  --x5chain CERT     certificate for x5chain, leaf first; repeatable\n"
    "  --kid TEXT         key id (unprotected)\n"
    "  --aad HEX          external_aad (hex)\n"
    "  --detached         leave the payload out of the message\n"
    "  --untagged         do not wrap in tag 18\n"
    "  --hex              write hex instead of binary\n"
    "  --out FILE         output file (default: stdout)\n";

static mobid_alg alg_by_name(const char *s)
{
    static const mobid_alg all[] = { MOBID_ALG_ES256, MOBID_ALG_ES384, MOBID_ALG_ES512,
                                     MOBID_ALG_EDDSA };
    for (size_t i = 0; i < 4; i++)
        if (!strcmp(s, mobid_cose_alg_name(all[i])))
            return all[i];
    return MOBID_ALG_NONE;
}

/* "ES256,EdDSA" -> a MOBID_ALG_NONE-terminated list (at most 4 + 1 entries). */
static bool parse_alg_list(const char *s, mobid_alg out[5])
{
    char **names = cli_split_commas(s);
    size_t n = 0;
    bool ok = names && names[0];
    for (char **p = names; ok && *p; p++) {
        out[n] = alg_by_name(*p);
        ok = out[n] != MOBID_ALG_NONE && n < 4;
        n++;
    }
    out[ok ? n : 0] = MOBID_ALG_NONE;
    cli_strv_free(names);
    return ok;
}

static bool parse_purpose(const char *s, mobid_cert_purpose *out)
{
    static const struct {
        const char *name;
        mobid_cert_purpose p;
    } t[] = { { "any", MOBID_PURPOSE_ANY },
              { "ds", MOBID_PURPOSE_MDOC_DS },
              { "reader", MOBID_PURPOSE_MDOC_READER },
              { "signing", MOBID_PURPOSE_SIGNING } };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (!strcmp(s, t[i].name)) {
            *out = t[i].p;
            return true;
        }
    return false;
}

/* A certificate or anchor file: PEM text, DER, or hex of DER. The bytes stay in out. */
static mobid_err read_cert_bytes(const char *path, mobid_buf *out)
{
    mobid_err err = cli_read_file(path, out);
    if (err != MOBID_OK || strstr((const char *)out->ptr, "-----BEGIN"))
        return err;
    mobid_buf_free(out);
    return cli_read_binary_or_hex(path, out);
}

static mobid_err load_cert(const char *path, mobid_cert **out)
{
    mobid_buf b;
    mobid_err err = read_cert_bytes(path, &b);
    if (err != MOBID_OK)
        return err;
    err = mobid_cert_parse(mobid_buf_view(&b), out);
    mobid_buf_free(&b);
    return err;
}

static mobid_err read_hex_arg(const char *hex, mobid_buf *out)
{
    mobid_buf_init(out, 0);
    return hex ? mobid_hex_decode(mobid_view_str(hex), out) : MOBID_OK;
}

/* ------------------------------------------------------------------ verify */

#define MAX_ANCHORS 16

typedef struct verify_opts {
    const char *cert, *key, *at, *purpose, *algs, *payload, *aad, *payload_out, *file;
    const char *anchors[MAX_ANCHORS];
    size_t n_anchors;
    bool json;
} verify_opts;

/* Everything a verification holds, released in one place. */
typedef struct verify_state {
    mobid_buf msg, detached, aad;
    mobid_cose_sign1 s;
    mobid_cert *chain[MOBID_COSE_MAX_X5CHAIN + 1];
    size_t n_chain;
    mobid_key *key;
    mobid_trust *trust;
    mobid_alg allowed[5];
    mobid_time at;
    mobid_cert_purpose purpose;
    const char *detail; /* what failed, for the JSON "detail" */
    bool usage;         /* the failure is a usage error (exit 2) */
} verify_state;

static void verify_state_free(verify_state *v)
{
    mobid_buf_free(&v->msg);
    mobid_buf_free(&v->detached);
    mobid_buf_free(&v->aad);
    for (size_t i = 0; i < v->n_chain; i++)
        mobid_cert_free(v->chain[i]);
    mobid_key_free(v->key);
    mobid_trust_free(v->trust);
}

/* Returns -1 when the arguments are fine, else the exit code. */
static int parse_verify_args(int argc, char **argv, verify_opts *o)
{
    static const struct option opts[] = {
        { "cert", required_argument, NULL, 'c' },    { "key", required_argument, NULL, 'k' },
        { "anchor", required_argument, NULL, 'A' },  { "at", required_argument, NULL, 't' },
        { "purpose", required_argument, NULL, 'p' }, { "alg", required_argument, NULL, 'a' },
        { "payload", required_argument, NULL, 'P' }, { "aad", required_argument, NULL, 'd' },
        { "payload-out", required_argument, NULL, 'o' },
        { "json", no_argument, NULL, 'j' },          { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    int c;
    memset(o, 0, sizeof *o);
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': o->cert = optarg; break;
        case 'k': o->key = optarg; break;
        case 't': o->at = optarg; break;
        case 'p': o->purpose = optarg; break;
        case 'a': o->algs = optarg; break;
        case 'P': o->payload = optarg; break;
        case 'd': o->aad = optarg; break;
        case 'o': o->payload_out = optarg; break;
        case 'j': o->json = true; break;
        case 'A':
            if (o->n_anchors == MAX_ANCHORS)
                return cli_usage_error(verify_usage, "at most %d --anchor", MAX_ANCHORS);
            o->anchors[o->n_anchors++] = optarg;
            break;
        case 'h': fputs(verify_usage, stdout); return CLI_EXIT_OK;
        default: return cli_usage_error(verify_usage, "bad option");
        }
    }
    if (optind + 1 != argc)
        return cli_usage_error(verify_usage, "exactly one FILE is needed");
    o->file = argv[optind];
    if (o->cert && o->key)
        return cli_usage_error(verify_usage, "--cert and --key exclude each other");
    if (o->key && o->n_anchors)
        return cli_usage_error(verify_usage, "--anchor needs a certificate, not --key");
    if (!o->cert && !o->key && !o->n_anchors)
        return cli_usage_error(verify_usage, "without --cert or --key, the x5chain leaf is "
                                             "used and --anchor is required");
    return -1;
}

/* Options that need no input files: time, purpose, algorithms, aad. */
static int setup_verify(const verify_opts *o, verify_state *v)
{
    v->at = mobid_now();
    v->purpose = MOBID_PURPOSE_ANY;
    memcpy(v->allowed, mobid_cose_algs_all, sizeof v->allowed);
    if (o->at && cli_parse_time(o->at, &v->at) != MOBID_OK)
        return CLI_EXIT_USAGE;
    if (o->purpose && !parse_purpose(o->purpose, &v->purpose))
        return cli_usage_error(verify_usage, "unknown --purpose '%s'", o->purpose);
    if (o->algs && !parse_alg_list(o->algs, v->allowed))
        return cli_usage_error(verify_usage, "bad --alg list '%s'", o->algs);
    if (read_hex_arg(o->aad, &v->aad) != MOBID_OK)
        return cli_usage_error(verify_usage, "--aad is not hex");
    return -1;
}

/* The signer certificate first, then the x5chain certificates other than it. */
static mobid_err build_chain(const verify_opts *o, verify_state *v)
{
    mobid_err err = MOBID_OK;
    if (o->cert) {
        err = load_cert(o->cert, &v->chain[0]);
        if (err != MOBID_OK) {
            v->detail = "cannot read the --cert certificate";
            return err == MOBID_ERR_IO ? err : MOBID_ERR_CERT_INVALID;
        }
        v->n_chain = 1;
    }
    for (size_t i = 0; i < v->s.x5chain_count; i++) {
        if (v->n_chain && mobid_view_eq(v->s.x5chain[i], mobid_cert_der(v->chain[0])))
            continue;
        if (mobid_cert_parse(v->s.x5chain[i], &v->chain[v->n_chain]) != MOBID_OK) {
            v->detail = "an x5chain certificate cannot be parsed";
            return MOBID_ERR_CERT_INVALID;
        }
        v->n_chain++;
    }
    return err;
}

static mobid_err check_anchors(const verify_opts *o, verify_state *v)
{
    mobid_err err = cli_trust_anchors(o->anchors, o->n_anchors, "cose", &v->trust);
    if (err != MOBID_OK)
        v->detail = "cannot read a trust anchor";
    if (err == MOBID_OK) {
        err = mobid_trust_verify_chain(v->trust, v->chain, v->n_chain, v->at, v->purpose);
        if (err != MOBID_OK)
            v->detail = NULL; /* the code's own message says what failed */
    }
    return err;
}

/* The last step, once the key is known (err: how getting it went). */
static mobid_err verify_signature(verify_state *v, mobid_err err)
{
    if (err != MOBID_OK)
        return err;
    err = mobid_cose_sign1_verify(&v->s, v->key, mobid_buf_view(&v->aad),
                                  mobid_buf_view(&v->detached), v->allowed);
    if (err != MOBID_OK)
        v->detail = err == MOBID_ERR_ALG_NOT_ALLOWED ? "algorithm not in the allow-list"
                                                     : "the signature does not verify";
    return err;
}

/* Parse, find the key (and check its chain), verify. */
static mobid_err run_verify(const verify_opts *o, verify_state *v)
{
    mobid_err err = cli_read_binary_or_hex(o->file, &v->msg);
    if (err != MOBID_OK) {
        v->detail = "cannot read the message";
        return err;
    }
    err = mobid_cose_sign1_parse(mobid_buf_view(&v->msg), &v->s);
    if (err != MOBID_OK) {
        v->detail = "not a valid COSE_Sign1";
        return err;
    }
    if (v->s.detached && !o->payload) {
        v->usage = true;
        v->detail = "the payload is detached: give it with --payload";
        return MOBID_ERR_INVALID_ARG;
    }
    if (o->payload && (err = cli_read_file(o->payload, &v->detached)) != MOBID_OK) {
        v->detail = "cannot read the detached payload";
        return err;
    }
    if (o->key)
        return verify_signature(v, cli_load_key(o->key, &v->key));
    err = build_chain(o, v);
    if (err == MOBID_OK && !v->n_chain) {
        v->detail = "no --cert given and the message has no x5chain";
        err = MOBID_ERR_NOT_FOUND;
    }
    if (err == MOBID_OK && o->n_anchors)
        err = check_anchors(o, v);
    if (err == MOBID_OK)
        err = mobid_cert_public_key(v->chain[0], &v->key);
    return verify_signature(v, err);
}

static void hex_field(json_t *o, const char *name, mobid_view v)
{
    mobid_buf h;
    mobid_buf_init(&h, 0);
    if (mobid_hex_encode(v, &h) == MOBID_OK && mobid_buf_terminate(&h) == MOBID_OK)
        json_object_set_new(o, name, json_stringn((const char *)h.ptr, h.len));
    mobid_buf_free(&h);
}

static void print_verified(const verify_opts *o, const verify_state *v)
{
    const mobid_cose_sign1 *s = &v->s;
    size_t size = s->detached ? v->detached.len : s->payload.len;
    if (!o->json) {
        printf("valid: %s, %zu-byte payload%s%s\n", mobid_cose_alg_name(s->alg), size,
               s->detached ? " (detached)" : "",
               o->n_anchors ? ", signer chains to an anchor" : "");
        return;
    }
    json_t *j = json_object();
    json_object_set_new(j, "valid", json_true());
    json_object_set_new(j, "alg", json_string(mobid_cose_alg_name(s->alg)));
    json_object_set_new(j, "payload_size", json_integer((json_int_t)size));
    json_object_set_new(j, "tagged", json_boolean(s->tagged));
    json_object_set_new(j, "detached", json_boolean(s->detached));
    json_object_set_new(j, "x5chain", json_integer((json_int_t)s->x5chain_count));
    json_object_set_new(j, "chain_verified", json_boolean(o->n_anchors > 0));
    if (s->kid.len)
        hex_field(j, "kid", s->kid);
    if (v->n_chain) {
        mobid_buf subj;
        mobid_buf_init(&subj, 0);
        if (mobid_cert_subject(v->chain[0], &subj) == MOBID_OK)
            json_object_set_new(j, "signer", json_stringn((const char *)subj.ptr, subj.len));
        mobid_buf_free(&subj);
    }
    cli_print_json(j);
    json_decref(j);
}

static int cose_verify_main(int argc, char **argv)
{
    verify_opts o;
    verify_state v;
    int rc = parse_verify_args(argc, argv, &o);
    memset(&v, 0, sizeof v);
    mobid_buf_init(&v.msg, 0);
    mobid_buf_init(&v.detached, 0);
    if (rc < 0)
        rc = setup_verify(&o, &v);
    if (rc >= 0)
        goto done;
    mobid_err err = run_verify(&o, &v);
    if (err != MOBID_OK && v.usage) {
        rc = cli_usage_error(verify_usage, "%s", v.detail);
        goto done;
    }
    if (err != MOBID_OK) {
        rc = cli_fail(o.json, err, v.detail);
        goto done;
    }
    if (o.payload_out && !v.s.detached &&
        cli_write_file(o.payload_out, v.s.payload, 0644) != MOBID_OK) {
        rc = cli_fail(o.json, MOBID_ERR_IO, "cannot write --payload-out");
        goto done;
    }
    print_verified(&o, &v);
    rc = CLI_EXIT_OK;
done:
    verify_state_free(&v);
    return rc;
}

/* -------------------------------------------------------------------- sign */

typedef struct sign_opts {
    const char *key, *alg, *kid, *aad, *out, *file;
    const char *x5chain[MOBID_COSE_MAX_X5CHAIN];
    size_t n_x5chain;
    bool detached, untagged, hex;
} sign_opts;

static int parse_sign_args(int argc, char **argv, sign_opts *o)
{
    static const struct option opts[] = {
        { "key", required_argument, NULL, 'k' },   { "alg", required_argument, NULL, 'a' },
        { "kid", required_argument, NULL, 'i' },   { "aad", required_argument, NULL, 'd' },
        { "out", required_argument, NULL, 'o' },   { "x5chain", required_argument, NULL, 'x' },
        { "detached", no_argument, NULL, 'D' },    { "untagged", no_argument, NULL, 'U' },
        { "hex", no_argument, NULL, 'H' },         { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    int c;
    memset(o, 0, sizeof *o);
    o->out = "-";
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'k': o->key = optarg; break;
        case 'a': o->alg = optarg; break;
        case 'i': o->kid = optarg; break;
        case 'd': o->aad = optarg; break;
        case 'o': o->out = optarg; break;
        case 'D': o->detached = true; break;
        case 'U': o->untagged = true; break;
        case 'H': o->hex = true; break;
        case 'x':
            if (o->n_x5chain == MOBID_COSE_MAX_X5CHAIN)
                return cli_usage_error(sign_usage, "at most %d --x5chain",
                                       MOBID_COSE_MAX_X5CHAIN);
            o->x5chain[o->n_x5chain++] = optarg;
            break;
        case 'h': fputs(sign_usage, stdout); return CLI_EXIT_OK;
        default: return cli_usage_error(sign_usage, "bad option");
        }
    }
    if (optind + 1 != argc)
        return cli_usage_error(sign_usage, "exactly one PAYLOAD file is needed");
    if (!o->key)
        return cli_usage_error(sign_usage, "--key is required");
    o->file = argv[optind];
    return -1;
}

static mobid_alg default_alg(const mobid_key *k)
{
    switch (mobid_key_curve(k)) {
    case MOBID_CURVE_P256: return MOBID_ALG_ES256;
    case MOBID_CURVE_P384: return MOBID_ALG_ES384;
    case MOBID_CURVE_P521: return MOBID_ALG_ES512;
    case MOBID_CURVE_ED25519: return MOBID_ALG_EDDSA;
    default: return MOBID_ALG_NONE;
    }
}

typedef struct sign_state {
    mobid_key *key;
    mobid_buf payload, aad, out, hex;
    mobid_cert *certs[MOBID_COSE_MAX_X5CHAIN];
    mobid_view ders[MOBID_COSE_MAX_X5CHAIN];
} sign_state;

static mobid_err run_sign(const sign_opts *o, sign_state *st)
{
    mobid_cose_sign1_params p = { .detached = o->detached, .tagged = !o->untagged };
    mobid_err err = cli_load_key(o->key, &st->key);
    if (err == MOBID_OK)
        err = cli_read_file(o->file, &st->payload);
    for (size_t i = 0; err == MOBID_OK && i < o->n_x5chain; i++) {
        err = load_cert(o->x5chain[i], &st->certs[i]);
        if (err == MOBID_OK)
            st->ders[i] = mobid_cert_der(st->certs[i]);
    }
    if (err != MOBID_OK)
        return err;
    p.alg = o->alg ? alg_by_name(o->alg) : default_alg(st->key);
    p.kid = o->kid ? mobid_view_str(o->kid) : mobid_view_make(NULL, 0);
    p.external_aad = mobid_buf_view(&st->aad);
    p.x5chain = o->n_x5chain ? st->ders : NULL;
    p.x5chain_count = o->n_x5chain;
    err = mobid_cose_sign1_create(st->key, &p, mobid_buf_view(&st->payload), &st->out);
    if (err == MOBID_OK && o->hex) {
        err = mobid_hex_encode(mobid_buf_view(&st->out), &st->hex);
        if (err == MOBID_OK)
            err = mobid_buf_append_byte(&st->hex, '\n');
    }
    return err;
}

static int cose_sign_main(int argc, char **argv)
{
    sign_opts o;
    sign_state st;
    memset(&st, 0, sizeof st);
    mobid_buf_init(&st.out, 0);
    mobid_buf_init(&st.hex, 0);
    int rc = parse_sign_args(argc, argv, &o);
    if (rc < 0 && o.alg && alg_by_name(o.alg) == MOBID_ALG_NONE)
        rc = cli_usage_error(sign_usage, "unknown --alg '%s'", o.alg);
    if (rc < 0 && read_hex_arg(o.aad, &st.aad) != MOBID_OK)
        rc = cli_usage_error(sign_usage, "--aad is not hex");
    if (rc >= 0)
        goto done;
    mobid_err err = run_sign(&o, &st);
    if (err == MOBID_OK)
        err = cli_write_file(o.out, mobid_buf_view(o.hex ? &st.hex : &st.out), 0644);
    if (err != MOBID_OK) {
        fprintf(stderr, "mobid cose sign: %s\n", mobid_svc_strerror(err));
        rc = CLI_EXIT_FAIL;
        goto done;
    }
    rc = CLI_EXIT_OK;
done:
    mobid_key_free(st.key);
    mobid_buf_free(&st.payload);
    mobid_buf_free(&st.aad);
    mobid_buf_free(&st.out);
    mobid_buf_free(&st.hex);
    for (size_t i = 0; i < MOBID_COSE_MAX_X5CHAIN; i++)
        mobid_cert_free(st.certs[i]);
    return rc;
}

static int cmd_cose(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "verify"))
        return cose_verify_main(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "sign"))
        return cose_sign_main(argc - 1, argv + 1);
    bool help = argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"));
    fprintf(help ? stdout : stderr,
            "usage: mobid cose verify|sign [options]\n"
            "  verify   check a COSE_Sign1 against a certificate, key or trust anchors\n"
            "  sign     create a COSE_Sign1\n"
            "Run 'mobid cose verify --help' for options.\n");
    return help ? CLI_EXIT_OK : CLI_EXIT_USAGE;
}

MOBID_CLI_COMMAND(cose, "cose", "verify and create COSE_Sign1 messages", cmd_cose)
