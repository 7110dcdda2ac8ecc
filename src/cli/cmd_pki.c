/*
 * `mobid pki`: the ministry PKI directory used by the issuer.
 *
 *   mobid pki init DIR [--name NAME] [--issuer-url URL] [--country CC]
 *                      [--pkcs11-module SO --token-label L --pin-file F]
 *   mobid pki add-ds DIR [--issuer-url URL] [--days N] [--pin-file F]
 *                                               a new document signer (newest signs)
 *   mobid pki add-status DIR [--issuer-url URL] [--days N] [--pin-file F]
 *                                               a new status-list signer (newest signs)
 *   mobid pki retire-ds DIR ID                  stop signing with ds-NNNN or status-NNNN
 *   mobid pki revoke-ds DIR ID                  list ds-NNNN in the IACA's CRL
 *   mobid pki crl DIR [--pin-file F]            sign the CAs' CRLs again (DIR/NAME.crl)
 *   mobid pki check CERT [--profile P] [--json] the Annex B profile (cmd_pki_check.c)
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
    "                      [--pkcs11-module SO --token-label L [--pin-file F]]\n"
    "       mobid pki add-ds DIR [--issuer-url URL] [--days N] [--pin-file F] [--json]\n"
    "       mobid pki add-status DIR [--issuer-url URL] [--days N] [--pin-file F] [--json]\n"
    "       mobid pki retire-ds DIR ID\n"
    "       mobid pki revoke-ds DIR ID\n"
    "       mobid pki crl DIR [--pin-file F]\n"
    "       mobid pki check CERT [--profile auto|iaca|ds|signer] [--json]\n"
    "       mobid pki rp-issue --help     (relying-party access certificate + registration)\n"
    "\n"
    "init: creates DIR with the ministry root (iaca), a document signer (ds-0001, with\n"
    "the ISO 18013-5 document signer EKU), the status-list signer (status), the\n"
    "registrar that signs relying-party registrations (registry, with mobid's registrar\n"
    "EKU) and the relying-party CA (rp-ca), each as NAME.pem + NAME.key; keys are 0600 and\n"
    "nothing is overwritten. --issuer-url goes into the signers' URI SAN (it must be the\n"
    "issuer's credential_issuer / iss). With --pkcs11-module the keys are generated inside\n"
    "the token labelled L (initialised beforehand, e.g. softhsm2-util --init-token), its\n"
    "user PIN read from F (or $MOBID_PKCS11_PIN), and DIR holds NAME.uri (the RFC 7512\n"
    "pkcs11: URI of each key) instead of NAME.key. add-ds: a new document signer that\n"
    "signs every new card (its key where the IACA's is); older ones keep verifying.\n"
    "add-status: a new status-list signer status-NNNN (its key where the IACA's is); from\n"
    "the issuer's next start it signs every status list and audit checkpoint, and lists\n"
    "signed by the older one are signed again at their next request; both verify, since\n"
    "verifiers trust the IACA. Both carry the IACA's country, and the issuer URL given to\n"
    "init unless --issuer-url says otherwise; --days: a shorter life (from an hour ago;\n"
    "at most and by default 457 for a document signer, 1825 for a status-list signer).\n"
    "retire-ds: marks a signer (ds-NNNN, or a status-list signer status-NNNN) as no\n"
    "longer signing from the issuer's next start. revoke-ds: lists a signer in the\n"
    "IACA's CRL (its cards stop verifying). The IACA and RP CA certificates carry an\n"
    "IssuerAltName (the issuer URL) and a CRL distribution point <issuer-url>/pki/NAME.crl\n"
    "(copied into every certificate under them); document signers live 457 days (Annex\n"
    "B). crl: signs DIR/iaca.crl and DIR/rp-ca.crl again (30 days), for CAs whose key the\n"
    "issuer does not hold; an issuer holding it keeps its CRL current itself. check: see\n"
    "`mobid pki check --help`.\n";

typedef struct init_args {
    const char *name, *url, *cc, *module, *token, *pin_file;
    bool json;
} init_args;

static int parse_init(int argc, char **argv, init_args *a)
{
    const cli_opt opts[] = { CLI_VALUE("name", &a->name),
                             CLI_VALUE("issuer-url", &a->url),
                             CLI_VALUE("country", &a->cc),
                             CLI_VALUE("pkcs11-module", &a->module),
                             CLI_VALUE("token-label", &a->token),
                             CLI_VALUE("pin-file", &a->pin_file),
                             CLI_FLAG("json", &a->json),
                             CLI_END };
    int rc = cli_parse(argc, argv, opts, 1, USAGE);
    if (rc == CLI_RUN && (strlen(a->cc) != 2 || !a->module != !a->token))
        rc = cli_usage_error(USAGE, "--country takes two letters; --pkcs11-module goes with "
                                    "--token-label");
    return rc;
}

static int pki_init(int argc, char **argv)
{
    init_args a = { .name = "Ministry of the Interior", .url = "http://127.0.0.1:8080",
                    .cc = "KR" };
    int rc = parse_init(argc, argv, &a);
    if (rc != CLI_RUN)
        return rc;
    char *pin = NULL;
    issuer_pki_keys keys = { .module = a.module, .token = a.token };
    mobid_err err = a.token ? issuer_pki_pin(a.pin_file, &pin) : MOBID_OK;
    if (err == MOBID_OK && a.token && !pin)
        return cli_fail(a.json, MOBID_ERR_PIN_WRONG, "a token needs its PIN: --pin-file F "
                                                     "or MOBID_PKCS11_PIN");
    keys.pin = pin;
    if (err == MOBID_OK)
        err = issuer_pki_init(argv[optind], a.name, a.url, a.cc, &keys);
    free(pin);
    if (err != MOBID_OK)
        return cli_fail(a.json, err, "cannot create the PKI directory");
    if (a.json)
        printf("{\"dir\":\"%s\",\"ds\":\"ds-0001\",\"keys\":\"%s\"}\n", argv[optind],
               a.token ? "pkcs11" : "files");
    else
        fprintf(stderr, "pki: created %s (iaca, ds-0001, status, registry, rp-ca)%s\n",
                argv[optind], a.token ? "; keys in the token, DIR/NAME.uri names each" : "");
    return CLI_EXIT_OK;
}

typedef mobid_err (*pki_add_fn)(const char *, const char *, int64_t, const issuer_pki_keys *,
                                char **);

/* add-ds and add-status: DIR [--issuer-url URL] [--days N] [--pin-file F] [--json] */
static int pki_add(int argc, char **argv, const char *kind, int max_days, pki_add_fn add)
{
    const char *url = NULL, *pin_file = NULL, *days_arg = NULL; /* NULL: the URL init was given */
    bool json = false;
    char *id = NULL, *pin = NULL, *end = NULL;
    long days = max_days;
    const cli_opt opts[] = { CLI_VALUE("issuer-url", &url), CLI_VALUE("days", &days_arg),
                             CLI_VALUE("pin-file", &pin_file), CLI_FLAG("json", &json),
                             CLI_END };
    int rc = cli_parse(argc, argv, opts, 1, USAGE);
    if (rc != CLI_RUN)
        return rc;
    if (days_arg) {
        days = strtol(days_arg, &end, 10);
        days = *end ? 0 : days;
    }
    if (days < 1 || days > max_days) {
        fprintf(stderr, "pki: --days must be 1..%d\n", max_days);
        fputs(USAGE, stderr);
        return CLI_EXIT_USAGE;
    }
    mobid_err err = issuer_pki_pin(pin_file, &pin);
    issuer_pki_keys keys = { .pin = pin };
    if (err == MOBID_OK)
        err = add(argv[optind], url, (int64_t)days * 86400, &keys, &id);
    free(pin);
    if (err != MOBID_OK)
        return cli_fail(json, err, strcmp(kind, "ds") ? "cannot add a status-list signer"
                                                      : "cannot add a document signer");
    if (json)
        printf("{\"%s\":\"%s\"}\n", kind, id);
    else
        fprintf(stderr, "pki: added %s\n", id);
    free(id);
    return CLI_EXIT_OK;
}

/* `revoke-ds DIR ID` (argv[0] is the subcommand). */
static int pki_mark(int argc, char **argv, mobid_err (*mark)(const char *, const char *),
                    const char *what)
{
    if (argc == 2 && !strcmp(argv[1], "--help")) {
        fputs(USAGE, stdout);
        return CLI_EXIT_OK;
    }
    if (argc != 3) {
        fputs(USAGE, stderr);
        return CLI_EXIT_USAGE;
    }
    mobid_err err = mark(argv[1], argv[2]);
    return err == MOBID_OK ? CLI_EXIT_OK : cli_fail(false, err, what);
}

static int pki_crl(int argc, char **argv)
{
    const char *pin_file = NULL;
    char *pin = NULL;
    const cli_opt opts[] = { CLI_VALUE("pin-file", &pin_file), CLI_END };
    int rc = cli_parse(argc, argv, opts, 1, USAGE);
    if (rc != CLI_RUN)
        return rc;
    mobid_err err = issuer_pki_pin(pin_file, &pin);
    issuer_pki_keys keys = { .pin = pin };
    if (err == MOBID_OK)
        err = issuer_pki_write_crls(argv[optind], &keys);
    free(pin);
    return err == MOBID_OK ? CLI_EXIT_OK : cli_fail(false, err, "cannot sign the CRLs");
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
        return pki_add(argc - 1, argv + 1, "ds", 457, issuer_pki_add_ds);
    if (!strcmp(argv[1], "add-status"))
        return pki_add(argc - 1, argv + 1, "status", 5 * 365, issuer_pki_add_status);
    if (!strcmp(argv[1], "rp-issue"))
        return cli_pki_rp_issue(argc - 1, argv + 1);
    if (!strcmp(argv[1], "check"))
        return cli_pki_check(argc - 1, argv + 1);
    if (!strcmp(argv[1], "crl"))
        return pki_crl(argc - 1, argv + 1);
    if (!strcmp(argv[1], "revoke-ds"))
        return pki_mark(argc - 1, argv + 1, issuer_pki_revoke_ds, "cannot revoke the signer");
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
