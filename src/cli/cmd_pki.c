/*
 * `mobid pki`: the ministry PKI directory used by the issuer.
 *
 *   mobid pki init DIR [--name NAME] [--issuer-url URL] [--country CC]
 *   mobid pki add-ds DIR [--issuer-url URL]     a new document signer (newest signs)
 *   mobid pki retire-ds DIR ID                  stop signing with ds-NNNN (stays valid)
 *
 *   mobid pki rp-issue ...                      a relying party's access certificate
 *                                               and signed registration (cmd_pki_rp.c)
 */
#include "cli.h"
#include "cmd_pki_rp.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "services/issuer/issuer.h"

static const char USAGE[] =
    "usage: mobid pki init DIR [--name NAME] [--issuer-url URL] [--country CC] [--json]\n"
    "       mobid pki add-ds DIR [--issuer-url URL] [--json]\n"
    "       mobid pki retire-ds DIR ID\n"
    "       mobid pki rp-issue --help     (relying-party access certificate + registration)\n"
    "\n"
    "init: creates DIR with the ministry root (iaca), a document signer (ds-0001, with\n"
    "the ISO 18013-5 document signer EKU), the status-list signer (status), the\n"
    "registrar that signs relying-party registrations (registry, with mobid's registrar\n"
    "EKU) and the relying-party CA (rp-ca), each as NAME.pem + NAME.key; keys are 0600 and\n"
    "nothing is overwritten. --issuer-url goes into the signers' URI SAN (it must be the\n"
    "issuer's credential_issuer / iss). add-ds: a new document signer that signs every\n"
    "new card; older ones keep verifying. retire-ds: marks a signer as no longer signing.\n";

static int pki_init(int argc, char **argv)
{
    static const struct option opts[] = { { "name", required_argument, 0, 'n' },
                                          { "issuer-url", required_argument, 0, 'u' },
                                          { "country", required_argument, 0, 'c' },
                                          { "json", no_argument, 0, 'j' },
                                          { "help", no_argument, 0, 'h' },
                                          { 0, 0, 0, 0 } };
    const char *name = "Ministry of the Interior", *url = "http://127.0.0.1:8080", *cc = "KR";
    bool json = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'n': name = optarg; break;
        case 'u': url = optarg; break;
        case 'c': cc = optarg; break;
        case 'j': json = true; break;
        case 'h': fputs(USAGE, stdout); return CLI_EXIT_OK;
        default: fputs(USAGE, stderr); return CLI_EXIT_USAGE;
        }
    }
    if (optind + 1 != argc || strlen(cc) != 2) {
        fputs(USAGE, stderr);
        return CLI_EXIT_USAGE;
    }
    mobid_err err = issuer_pki_init(argv[optind], name, url, cc);
    if (err != MOBID_OK)
        return cli_fail(json, err, "cannot create the PKI directory");
    if (json)
        printf("{\"dir\":\"%s\",\"ds\":\"ds-0001\"}\n", argv[optind]);
    else
        fprintf(stderr, "pki: created %s (iaca, ds-0001, status, rp-ca)\n", argv[optind]);
    return CLI_EXIT_OK;
}

static int pki_add_ds(int argc, char **argv)
{
    static const struct option opts[] = { { "issuer-url", required_argument, 0, 'u' },
                                          { "json", no_argument, 0, 'j' },
                                          { "help", no_argument, 0, 'h' },
                                          { 0, 0, 0, 0 } };
    const char *url = "http://127.0.0.1:8080";
    bool json = false;
    char *id = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'u': url = optarg; break;
        case 'j': json = true; break;
        case 'h': fputs(USAGE, stdout); return CLI_EXIT_OK;
        default: fputs(USAGE, stderr); return CLI_EXIT_USAGE;
        }
    }
    if (optind + 1 != argc) {
        fputs(USAGE, stderr);
        return CLI_EXIT_USAGE;
    }
    mobid_err err = issuer_pki_add_ds(argv[optind], url, &id);
    if (err != MOBID_OK)
        return cli_fail(json, err, "cannot add a document signer");
    if (json)
        printf("{\"ds\":\"%s\"}\n", id);
    else
        fprintf(stderr, "pki: added %s\n", id);
    free(id);
    return CLI_EXIT_OK;
}

static int cmd_pki(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(USAGE, argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
    }
    if (!strcmp(argv[1], "init"))
        return pki_init(argc - 1, argv + 1);
    if (!strcmp(argv[1], "add-ds"))
        return pki_add_ds(argc - 1, argv + 1);
    if (!strcmp(argv[1], "rp-issue"))
        return cli_pki_rp_issue(argc - 1, argv + 1);
    if (!strcmp(argv[1], "retire-ds")) {
        if (argc == 3 && !strcmp(argv[2], "--help")) {
            fputs(USAGE, stdout);
            return CLI_EXIT_OK;
        }
        if (argc != 4) {
            fputs(USAGE, stderr);
            return CLI_EXIT_USAGE;
        }
        mobid_err err = issuer_pki_retire_ds(argv[2], argv[3]);
        return err == MOBID_OK ? CLI_EXIT_OK : cli_fail(false, err, "cannot retire the signer");
    }
    fputs(USAGE, stderr);
    return CLI_EXIT_USAGE;
}

MOBID_CLI_COMMAND(pki, "pki", "create and extend the ministry PKI (IACA, signers, RP CA)",
                  cmd_pki)
