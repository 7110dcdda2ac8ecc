/*
 * `mobid pki check CERT [--profile auto|iaca|ds|signer] [--json]`: every certificate
 * in CERT (PEM bundle or one DER) against the ISO 18013-5 Annex B profile, each
 * failed rule with its stable code (lib/crypto's mobid_cert_check_profile).
 */
#include "cli.h"
#include "cmd_pki_rp.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char USAGE[] =
    "usage: mobid pki check CERT [--profile auto|iaca|ds|signer] [--json]\n"
    "Checks each certificate in CERT (PEM, several allowed, or DER) against the ISO\n"
    "18013-5 Annex B profile: iaca (B.1.2), ds (document signer, B.1.4) or signer (the\n"
    "same leaf rules without the DS EKU and lifetime, for the other certificates under\n"
    "an IACA); auto picks iaca for a CA, ds for the DS EKU, signer otherwise. Each failed\n"
    "rule is named by a stable code (PROFILE_CRL_DP, PROFILE_VALIDITY, ...; see\n"
    "docs/cli.md). Exit 0 when all pass, 1 when a rule fails (error CERT_PROFILE).\n";

static json_t *check_one(mobid_cert *c, mobid_cert_profile want, bool *all_ok, bool json)
{
    mobid_profile_failure f[MOBID_PROFILE_MAX_FAILURES];
    size_t n = 0;
    mobid_cert_profile used = want;
    mobid_buf subj = { 0 };
    mobid_err err = mobid_cert_check_profile(c, want, &used, f, &n);
    json_t *fails = json_array();
    if (mobid_cert_subject(c, &subj) != MOBID_OK || mobid_buf_append_byte(&subj, 0) != MOBID_OK)
        subj.len = 0;
    const char *name = subj.len ? (const char *)subj.ptr : "?";
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(fails, json_pack("{s:s,s:s}", "code", f[i].code, "detail",
                                               f[i].detail));
        if (!json)
            fprintf(stderr, "  %s: %s\n", f[i].code, f[i].detail);
    }
    if (!json)
        fprintf(stderr, "%s %s (%s)\n", err == MOBID_OK ? "ok  " : "FAIL", name,
                mobid_cert_profile_name(used));
    *all_ok = *all_ok && err == MOBID_OK;
    json_t *j = json_pack("{s:s,s:s,s:b,s:o}", "subject", name, "profile",
                          mobid_cert_profile_name(used), "valid", err == MOBID_OK, "failures",
                          fails);
    mobid_buf_free(&subj);
    return j;
}

static int parse(int argc, char **argv, mobid_cert_profile *p, bool *json)
{
    static const struct option opts[] = { { "profile", required_argument, 0, 'p' },
                                          { "json", no_argument, 0, 'j' },
                                          { "help", no_argument, 0, 'h' },
                                          { 0, 0, 0, 0 } };
    static const char *const names[] = { "auto", "iaca", "ds", "signer" };
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'p':
            *p = (mobid_cert_profile)-1;
            for (int i = 0; i < 4; i++)
                if (!strcmp(optarg, names[i]))
                    *p = (mobid_cert_profile)i;
            if ((int)*p < 0) {
                fputs(USAGE, stderr);
                return CLI_EXIT_USAGE;
            }
            break;
        case 'j': *json = true; break;
        case 'h': fputs(USAGE, stdout); return CLI_EXIT_OK;
        default: fputs(USAGE, stderr); return CLI_EXIT_USAGE;
        }
    }
    if (optind + 1 != argc) {
        fputs(USAGE, stderr);
        return CLI_EXIT_USAGE;
    }
    return -1;
}

int cli_pki_check(int argc, char **argv)
{
    mobid_cert_profile p = MOBID_PROFILE_AUTO;
    bool json = false, ok = true;
    int rc = parse(argc, argv, &p, &json);
    if (rc >= 0)
        return rc;
    mobid_buf in = { 0 };
    mobid_cert **certs = NULL;
    size_t n = 0;
    mobid_err err = cli_read_file(argv[optind], &in);
    if (err == MOBID_OK)
        err = mobid_cert_parse_all(mobid_buf_view(&in), &certs, &n);
    mobid_buf_free(&in);
    if (err == MOBID_OK && !n)
        err = MOBID_ERR_CERT_INVALID;
    if (err != MOBID_OK)
        return cli_fail(json, err, "cannot read a certificate");
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, check_one(certs[i], p, &ok, json));
    mobid_cert_list_free(certs, n);
    json_t *j = json_pack("{s:b,s:o}", "valid", ok, "certificates", list);
    if (!ok)
        json_object_set_new(j, "error", json_string("CERT_PROFILE"));
    if (json)
        cli_print_json(j);
    json_decref(j);
    return ok ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}
