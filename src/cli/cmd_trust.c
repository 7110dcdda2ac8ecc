/* mobid trust vical verify / list / sign: VICAL trust lists (ISO 18013-5 Annex C). */
#include "cli.h"
#include "cli_trust.h"

#include <getopt.h>
#include <mobid/trust.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char trust_usage[] =
    "usage: mobid trust vical verify --anchor ROOT.pem [--anchor ...] [--at T] [--json] FILE\n"
    "       mobid trust vical list [--anchor ROOT.pem ...] [--at T] [--json] FILE\n"
    "       mobid trust vical sign --key KEY --chain SIGNER.pem --provider NAME\n"
    "                              --entry IACA.pem:DOCTYPE[,DOCTYPE...] [--entry ...]\n"
    "                              [--country CC] [--date T] [--next-update T]\n"
    "                              [--issue-id N] -o FILE\n"
    "\n"
    "Trust lists of issuing authorities (VICAL, ISO/IEC 18013-5 Annex C, as AAMVA\n"
    "publishes them for US jurisdictions).\n"
    "\n"
    "  verify  check the list's COSE_Sign1: the x5chain to a --anchor root (VICAL\n"
    "          signer EKU 1.0.18013.5.1.8, or a pinned signer), the signature, that\n"
    "          its date is not after --at (default now) and its nextUpdate not\n"
    "          before. Output (--json): {\"valid\":true,\"vicalProvider\",\"date\",\n"
    "          \"nextUpdate\",\"vicalIssueID\",\"entries\":N,\"usable\":N}; on failure exit 1\n"
    "          and {\"valid\":false,\"error\":\"VICAL_...\",\"detail\"}.\n"
    "  list    the IACAs a list names, with their docTypes; verified first when\n"
    "          --anchor is given. --json prints {\"vicalProvider\",..,\"entries\":[..]}.\n"
    "  sign    build and sign a VICAL listing each --entry IACA for its docTypes.\n"
    "\n"
    "Use a list when verifying: mobid mdoc verify --vical FILE --vical-anchor ROOT.pem.\n";

typedef struct vical_args {
    const char **anchors;
    size_t n_anchors;
    const char *at, *file;
    bool json;
} vical_args;

static int vical_parse(int argc, char **argv, vical_args *a)
{
    static const struct option opts[] = { { "anchor", 1, 0, 'A' }, { "at", 1, 0, 'a' },
                                          { "json", 0, 0, 'j' },   { "help", 0, 0, 'h' },
                                          { 0, 0, 0, 0 } };
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 'A': {
            const char **g = realloc(a->anchors, (a->n_anchors + 1) * sizeof *g);
            if (!g)
                return cli_usage_error(NULL, "out of memory");
            a->anchors = g;
            a->anchors[a->n_anchors++] = optarg;
            break;
        }
        case 'a': a->at = optarg; break;
        case 'j': a->json = true; break;
        case 'h': fputs(trust_usage, stdout); return -1;
        default: return cli_usage_error(trust_usage, "bad option");
        }
    }
    if (optind + 1 != argc)
        return cli_usage_error(trust_usage, "exactly one VICAL file is expected");
    a->file = argv[optind];
    return 0;
}

static size_t usable_entries(const mobid_vical *v)
{
    size_t n = 0;
    for (size_t i = 0; i < v->n_entries; i++)
        n += v->entries[i].problem == MOBID_OK;
    return n;
}

static int print_verified(const vical_args *a, const mobid_vical *v)
{
    json_t *o = NULL;
    if (mobid_vical_to_json(v, &o) != MOBID_OK)
        return cli_fail(a->json, MOBID_ERR_NOMEM, NULL);
    json_object_set_new(o, "valid", json_true());
    json_object_set_new(o, "entries", json_integer((json_int_t)v->n_entries));
    json_object_set_new(o, "usable", json_integer((json_int_t)usable_entries(v)));
    if (a->json)
        cli_print_json(o);
    else
        fprintf(stderr, "valid: VICAL of %.*s, %zu entries (%zu usable)\n", (int)v->provider.len,
                (const char *)v->provider.ptr, v->n_entries, usable_entries(v));
    json_decref(o);
    return CLI_EXIT_OK;
}

static void print_list(const mobid_vical *v)
{
    for (size_t i = 0; i < v->n_entries; i++) {
        const mobid_vical_entry *e = &v->entries[i];
        mobid_buf subject;
        mobid_buf_init(&subject, 0);
        if (e->cert)
            (void)mobid_cert_subject(e->cert, &subject);
        (void)mobid_buf_terminate(&subject);
        printf("%-3.*s %-6.*s %.*s%s  %s%s\n", (int)e->issuing_country.len,
               (const char *)e->issuing_country.ptr, (int)e->state_or_province.len,
               (const char *)e->state_or_province.ptr, (int)e->doctypes[0].len,
               (const char *)e->doctypes[0].ptr, e->n_doctypes > 1 ? ",..." : "",
               subject.len ? (const char *)subject.ptr : "(unparsable certificate)",
               e->problem ? " [not used]" : "");
        mobid_buf_free(&subject);
    }
}

/* verify (must_verify) or list. */
static int run_vical(int argc, char **argv, bool must_verify)
{
    vical_args a;
    mobid_vical v;
    mobid_trust *roots = NULL;
    mobid_buf in;
    mobid_time at = 0;
    char detail[192] = "";
    memset(&a, 0, sizeof a);
    memset(&v, 0, sizeof v);
    mobid_buf_init(&in, 0);
    int rc = vical_parse(argc, argv, &a);
    if (rc == 0 && must_verify && !a.n_anchors)
        rc = cli_usage_error(trust_usage, "--anchor is required");
    if (rc == 0 && a.at && cli_parse_time(a.at, &at) != MOBID_OK)
        rc = CLI_EXIT_USAGE;
    if (rc == 0 && (cli_read_binary_or_hex(a.file, &in) != MOBID_OK ||
                    (a.n_anchors &&
                     cli_trust_anchors(a.anchors, a.n_anchors, "trust", &roots) != MOBID_OK)))
        rc = CLI_EXIT_USAGE;
    if (rc)
        goto done;
    mobid_err err = mobid_vical_parse(mobid_buf_view(&in), &v);
    if (err == MOBID_OK && a.n_anchors)
        err = mobid_vical_verify(&v, roots, at, false, detail, sizeof detail);
    if (err != MOBID_OK)
        rc = cli_fail(a.json, err, detail[0] ? detail : NULL);
    else if (must_verify)
        rc = print_verified(&a, &v);
    else if (a.json) {
        json_t *o = NULL;
        rc = mobid_vical_to_json(&v, &o) == MOBID_OK ? CLI_EXIT_OK : CLI_EXIT_FAIL;
        cli_print_json(o);
        json_decref(o);
    } else
        print_list(&v);
done:
    mobid_vical_clear(&v);
    mobid_trust_free(roots);
    mobid_buf_free(&in);
    free(a.anchors);
    return rc < 0 ? CLI_EXIT_OK : rc;
}

int cli_trust_vical_sign(int argc, char **argv);

static int cmd_vical(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(trust_usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
    }
    if (!strcmp(argv[1], "verify"))
        return run_vical(argc - 1, argv + 1, true);
    if (!strcmp(argv[1], "list"))
        return run_vical(argc - 1, argv + 1, false);
    if (!strcmp(argv[1], "sign"))
        return cli_trust_vical_sign(argc - 1, argv + 1);
    return cli_usage_error(trust_usage, "unknown vical subcommand '%s'", argv[1]);
}

static int cmd_trust(int argc, char **argv)
{
    if (argc < 2) {
        fputs(trust_usage, stderr);
        return CLI_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(trust_usage, stdout);
        return CLI_EXIT_OK;
    }
    if (!strcmp(argv[1], "vical"))
        return cmd_vical(argc - 1, argv + 1);
    return cli_usage_error(trust_usage, "unknown trust subcommand '%s'", argv[1]);
}

MOBID_CLI_COMMAND(trust, "trust", "trust lists: VICAL verify, list, sign", cmd_trust)
