/* mobid trust vical sign: build and sign a VICAL from IACA certificates. */
#include "cli.h"

#include <getopt.h>
#include <mobid/trust.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char sign_usage[] =
    "usage: mobid trust vical sign --key KEY --chain SIGNER.pem --provider NAME\n"
    "                              --entry IACA.pem:DOCTYPE[,DOCTYPE...] [--entry ...]\n"
    "                              [--country CC] [--date T] [--next-update T]\n"
    "                              [--issue-id N] -o FILE\n"
    "\n"
    "Build a VICAL naming each --entry IACA for the docTypes after its ':' and sign it\n"
    "with KEY; SIGNER.pem (the signer's certificate, then its issuers) goes into the\n"
    "x5chain. --country sets each entry's issuingCountry; --date defaults to now.\n";

typedef struct sign_args {
    const char *key, *chain, *provider, *country, *out;
    char **entries; /* "FILE:DOCTYPES", argv strings */
    size_t n_entries;
    mobid_time date, next_update;
    unsigned long long issue_id;
} sign_args;

static int sign_parse(int argc, char **argv, sign_args *a)
{
    static const struct option opts[] = {
        { "key", 1, 0, 'k' },     { "chain", 1, 0, 'c' },       { "provider", 1, 0, 'p' },
        { "entry", 1, 0, 'e' },   { "country", 1, 0, 'C' },     { "date", 1, 0, 'd' },
        { "next-update", 1, 0, 'n' }, { "issue-id", 1, 0, 'i' }, { "output", 1, 0, 'o' },
        { "help", 0, 0, 'h' },    { 0, 0, 0, 0 }
    };
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (ch) {
        case 'k': a->key = optarg; break;
        case 'c': a->chain = optarg; break;
        case 'p': a->provider = optarg; break;
        case 'C': a->country = optarg; break;
        case 'o': a->out = optarg; break;
        case 'i': a->issue_id = strtoull(optarg, NULL, 10); break;
        case 'd':
            if (cli_parse_time(optarg, &a->date) != MOBID_OK)
                return CLI_EXIT_USAGE;
            break;
        case 'n':
            if (cli_parse_time(optarg, &a->next_update) != MOBID_OK)
                return CLI_EXIT_USAGE;
            break;
        case 'e': {
            char **g = realloc(a->entries, (a->n_entries + 1) * sizeof *g);
            if (!g)
                return cli_usage_error(NULL, "out of memory");
            a->entries = g;
            a->entries[a->n_entries++] = optarg;
            break;
        }
        case 'h': fputs(sign_usage, stdout); return -1;
        default: return cli_usage_error(sign_usage, "bad option");
        }
    }
    if (optind != argc)
        return cli_usage_error(sign_usage, "unexpected argument '%s'", argv[optind]);
    if (!a->key || !a->chain || !a->provider || !a->out || !a->n_entries)
        return cli_usage_error(sign_usage, "--key, --chain, --provider, --entry and -o are "
                                           "required");
    return 0;
}

static mobid_err load_certs(const char *path, mobid_cert ***certs, size_t *n)
{
    mobid_buf pem;
    mobid_err err = cli_read_binary_or_hex(path, &pem);
    if (err == MOBID_OK)
        err = mobid_cert_parse_all(mobid_buf_view(&pem), certs, n);
    if (err == MOBID_OK && *n == 0)
        err = MOBID_ERR_CERT_INVALID;
    if (err != MOBID_OK)
        fprintf(stderr, "mobid trust: %s: no certificate\n", path);
    mobid_buf_free(&pem);
    return err;
}

/* One --entry: "IACA.pem:doctype,doctype" (split at the last ':'). */
static mobid_err load_item(const sign_args *a, const char *spec, mobid_vical_item *it,
                           char ***doctypes)
{
    const char *colon = strrchr(spec, ':');
    if (!colon || colon == spec || !colon[1]) {
        cli_usage_error(sign_usage, "--entry takes IACA.pem:DOCTYPE[,...], not '%s'", spec);
        return MOBID_ERR_INVALID_ARG;
    }
    char *path = strndup(spec, (size_t)(colon - spec));
    mobid_cert **certs = NULL;
    size_t n = 0;
    mobid_err err = path ? load_certs(path, &certs, &n) : MOBID_ERR_NOMEM;
    free(path);
    if (err != MOBID_OK)
        return err;
    it->cert = mobid_cert_ref(certs[0]);
    mobid_cert_list_free(certs, n);
    if (!(*doctypes = cli_split_commas(colon + 1)))
        return MOBID_ERR_NOMEM;
    it->doctypes = (const char *const *)*doctypes;
    while ((*doctypes)[it->n_doctypes])
        it->n_doctypes++;
    it->issuing_country = a->country;
    return MOBID_OK;
}

static mobid_err sign_vical(const sign_args *a, mobid_vical_item *items, char ***dts,
                            mobid_buf *out)
{
    mobid_key *key = NULL;
    mobid_cert **chain = NULL;
    size_t n_chain = 0;
    mobid_err err = cli_load_key(a->key, &key);
    if (err == MOBID_OK)
        err = load_certs(a->chain, &chain, &n_chain);
    for (size_t i = 0; err == MOBID_OK && i < a->n_entries; i++)
        err = load_item(a, a->entries[i], &items[i], &dts[i]);
    mobid_vical_params p = { .provider = a->provider, .date = a->date,
                             .next_update = a->next_update, .issue_id = a->issue_id,
                             .items = items, .n_items = a->n_entries, .key = key,
                             .chain = chain, .n_chain = n_chain };
    if (err == MOBID_OK && (err = mobid_vical_sign(&p, out)) != MOBID_OK)
        fprintf(stderr, "mobid trust: cannot sign the VICAL: %s\n", mobid_svc_err_name(err));
    mobid_key_free(key);
    mobid_cert_list_free(chain, n_chain);
    return err;
}

int cli_trust_vical_sign(int argc, char **argv);
int cli_trust_vical_sign(int argc, char **argv)
{
    sign_args a;
    memset(&a, 0, sizeof a);
    mobid_buf out;
    mobid_buf_init(&out, 0);
    int rc = sign_parse(argc, argv, &a);
    mobid_vical_item *items = calloc(a.n_entries + 1, sizeof *items);
    char ***dts = calloc(a.n_entries + 1, sizeof *dts);
    if (rc == 0 && (!items || !dts))
        rc = CLI_EXIT_FAIL;
    if (rc == 0) {
        mobid_err err = sign_vical(&a, items, dts, &out);
        rc = err == MOBID_ERR_INVALID_ARG ? CLI_EXIT_USAGE
           : err != MOBID_OK              ? CLI_EXIT_FAIL
           : cli_write_file(a.out, mobid_buf_view(&out), 0644) == MOBID_OK ? CLI_EXIT_OK
                                                                            : CLI_EXIT_FAIL;
    }
    for (size_t i = 0; items && dts && i < a.n_entries; i++) {
        mobid_cert_free(items[i].cert);
        cli_strv_free(dts[i]);
    }
    free(items);
    free(dts);
    free(a.entries);
    mobid_buf_free(&out);
    return rc < 0 ? CLI_EXIT_OK : rc;
}
