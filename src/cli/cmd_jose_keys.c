/*
 * JWK key files for every command, and `mobid jwk`:
 *
 *   mobid jwk thumbprint [--json] KEY        RFC 7638 thumbprint (JWK or PEM key)
 *   mobid jwk from-pem [--private] [--kid ID] [--out FILE] KEY.pem
 *   mobid jwk to-pem [--private] [--out FILE] KEY.jwk
 *   mobid jwk generate --crv CURVE [--kid ID] [--out FILE]
 */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <mobid/jose.h>

/* Called by cli_load_key() (declared weak in cli_util.c) for files starting with '{'. */
mobid_err cli_load_key_jwk(mobid_view json, mobid_key **out);

mobid_err cli_load_key_jwk(mobid_view json, mobid_key **out)
{
    return mobid_jwk_parse(json, out);
}

static const char jwk_usage[] =
    "usage: mobid jwk thumbprint [--json] KEY\n"
    "       mobid jwk from-pem [--private] [--kid ID] [--out FILE] KEY.pem\n"
    "       mobid jwk to-pem [--private] [--out FILE] KEY.jwk\n"
    "       mobid jwk generate --crv CURVE [--kid ID] [--out FILE]\n"
    "JSON Web Keys (RFC 7517/8037). KEY is a JWK or PEM file ('-' = stdin).\n"
    "  thumbprint   RFC 7638 SHA-256 thumbprint, base64url (any kty in a JWK file)\n"
    "  from-pem     JWK of a PEM key; public unless --private\n"
    "  to-pem       PEM of a JWK key: SPKI public, or PKCS#8 with --private\n"
    "  generate     new private key as a JWK: P-256, P-384, P-521, Ed25519, X25519\n"
    "  --json       thumbprint as {\"thumbprint\":...}\n"
    "  --out FILE   write to FILE (mode 0600 for private keys) instead of stdout\n"
    "Exit: 0 success, 1 unusable key ({\"valid\":false,\"error\":CODE} with --json), 2 usage.\n";

typedef struct jwk_opts {
    bool json, private_, help;
    const char *kid, *out, *crv, *file;
} jwk_opts;

static int parse_jwk_args(int argc, char **argv, jwk_opts *o)
{
    static const struct option opts[] = {
        { "json", no_argument, NULL, 'j' },       { "private", no_argument, NULL, 'p' },
        { "kid", required_argument, NULL, 'k' },  { "out", required_argument, NULL, 'o' },
        { "crv", required_argument, NULL, 'c' },  { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    int c;
    memset(o, 0, sizeof *o);
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'j': o->json = true; break;
        case 'p': o->private_ = true; break;
        case 'k': o->kid = optarg; break;
        case 'o': o->out = optarg; break;
        case 'c': o->crv = optarg; break;
        case 'h': o->help = true; return -1;
        default: return cli_usage_error(jwk_usage, "bad option");
        }
    }
    if (optind < argc)
        o->file = argv[optind++];
    if (optind != argc)
        return cli_usage_error(jwk_usage, "too many arguments");
    return -1;
}

/* Print or write text output; private material goes to files with mode 0600. */
static int emit(const jwk_opts *o, mobid_view text, bool secret)
{
    if (!o->out) {
        fwrite(text.ptr, 1, text.len, stdout);
        fflush(stdout);
        return CLI_EXIT_OK;
    }
    return cli_write_file(o->out, text, secret ? 0600 : 0644) == MOBID_OK ? CLI_EXIT_OK
                                                                           : CLI_EXIT_FAIL;
}

static int emit_jwk(const jwk_opts *o, json_t *jwk, bool secret)
{
    if (o->kid && json_object_set_new(jwk, "kid", json_string(o->kid)) != 0)
        return cli_fail(o->json, MOBID_ERR_NOMEM, NULL);
    char *s = json_dumps(jwk, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (!s)
        return cli_fail(o->json, MOBID_ERR_NOMEM, NULL);
    mobid_buf b;
    mobid_buf_init(&b, 0);
    mobid_buf_append_str(&b, s);
    mobid_buf_append_byte(&b, '\n');
    free(s);
    int rc = b.err == MOBID_OK ? emit(o, mobid_buf_view(&b), secret)
                               : cli_fail(o->json, b.err, NULL);
    mobid_buf_free(&b);
    return rc;
}

/* Thumbprint straight from the JSON when the file is a JWK (so RSA and oct keys work
 * too), else from the PEM key's public JWK. */
static int jwk_thumbprint(const jwk_opts *o)
{
    mobid_buf text, tp;
    json_t *jwk = NULL;
    mobid_key *key = NULL;
    mobid_buf_init(&tp, 0);
    mobid_err err = cli_read_file(o->file, &text);
    if (err != MOBID_OK)
        return cli_fail(o->json, err, "cannot read the key file");
    size_t i = 0;
    while (i < text.len && strchr(" \t\r\n", text.ptr[i]))
        i++;
    if (i < text.len && text.ptr[i] == '{') {
        err = mobid_json_parse(mobid_buf_view(&text), 64 * 1024, &jwk);
        if (err == MOBID_OK)
            err = mobid_jwk_thumbprint_b64url(jwk, &tp);
    } else {
        err = mobid_key_from_pem(mobid_buf_view(&text), &key);
        if (err == MOBID_OK)
            err = mobid_jwk_thumbprint_key(key, &tp);
    }
    int rc = CLI_EXIT_OK;
    if (err != MOBID_OK) {
        rc = cli_fail(o->json, err, "not a usable key");
    } else if (o->json) {
        json_t *r = json_pack("{s:s%}", "thumbprint", (const char *)tp.ptr, tp.len);
        cli_print_json(r);
        json_decref(r);
    } else {
        printf("%.*s\n", (int)tp.len, (const char *)tp.ptr);
    }
    json_decref(jwk);
    mobid_key_free(key);
    mobid_buf_free(&tp);
    mobid_buf_free(&text);
    return rc;
}

static int jwk_from_pem(const jwk_opts *o)
{
    mobid_key *key = NULL;
    json_t *jwk = NULL;
    mobid_err kerr = cli_load_key(o->file, &key);
    if (kerr != MOBID_OK)
        return cli_fail(o->json, kerr, "not a usable key");
    mobid_err err = mobid_jwk_from_key(key, o->private_, &jwk);
    bool secret = o->private_ && mobid_key_has_private(key);
    int rc = err == MOBID_OK ? emit_jwk(o, jwk, secret) : cli_fail(o->json, err, NULL);
    json_decref(jwk);
    mobid_key_free(key);
    return rc;
}

static int jwk_to_pem(const jwk_opts *o)
{
    mobid_key *key = NULL;
    mobid_buf pem;
    mobid_buf_init(&pem, 0);
    mobid_err kerr = cli_load_key(o->file, &key);
    if (kerr != MOBID_OK)
        return cli_fail(o->json, kerr, "not a usable key");
    bool secret = o->private_ && mobid_key_has_private(key);
    mobid_err err = mobid_key_to_pem(key, secret, &pem);
    int rc = err == MOBID_OK ? emit(o, mobid_buf_view(&pem), secret) : cli_fail(o->json, err, NULL);
    mobid_buf_free(&pem);
    mobid_key_free(key);
    return rc;
}

static int jwk_generate(const jwk_opts *o)
{
    static const struct {
        const char *name;
        mobid_curve c;
    } curves[] = { { "P-256", MOBID_CURVE_P256 },       { "P-384", MOBID_CURVE_P384 },
                   { "P-521", MOBID_CURVE_P521 },       { "Ed25519", MOBID_CURVE_ED25519 },
                   { "X25519", MOBID_CURVE_X25519 } };
    mobid_curve c = MOBID_CURVE_NONE;
    for (size_t i = 0; o->crv && i < sizeof curves / sizeof curves[0]; i++)
        if (!strcmp(o->crv, curves[i].name))
            c = curves[i].c;
    if (c == MOBID_CURVE_NONE)
        return cli_usage_error(jwk_usage, "--crv must be P-256, P-384, P-521, Ed25519 or X25519");
    mobid_key *key = NULL;
    json_t *jwk = NULL;
    mobid_err err = mobid_key_generate(c, &key);
    if (err == MOBID_OK)
        err = mobid_jwk_from_key(key, true, &jwk);
    int rc = err == MOBID_OK ? emit_jwk(o, jwk, true) : cli_fail(o->json, err, NULL);
    json_decref(jwk);
    mobid_key_free(key);
    return rc;
}

static int cmd_jwk(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*fn)(const jwk_opts *o);
        bool needs_file;
    } subs[] = { { "thumbprint", jwk_thumbprint, true },
                 { "from-pem", jwk_from_pem, true },
                 { "to-pem", jwk_to_pem, true },
                 { "generate", jwk_generate, false } };
    for (size_t i = 0; argc >= 2 && i < sizeof subs / sizeof subs[0]; i++) {
        if (strcmp(argv[1], subs[i].name))
            continue;
        jwk_opts o;
        int rc = parse_jwk_args(argc - 1, argv + 1, &o);
        if (rc >= 0)
            return rc;
        if (o.help) {
            fputs(jwk_usage, stdout);
            return CLI_EXIT_OK;
        }
        if (subs[i].needs_file != (o.file != NULL))
            return cli_usage_error(jwk_usage, subs[i].needs_file ? "a KEY file is needed"
                                                                  : "no file argument expected");
        return subs[i].fn(&o);
    }
    bool help = argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"));
    fputs(jwk_usage, help ? stdout : stderr);
    return help ? CLI_EXIT_OK : CLI_EXIT_USAGE;
}

MOBID_CLI_COMMAND(jwk, "jwk", "JSON Web Keys: thumbprint, convert from/to PEM, generate",
                  cmd_jwk)
