/*
 * `mobid bench pkcs11 [--module SO] [--seconds S] [--json]`: ES256 signatures per
 * second through a PKCS#11 token against a file (software) key, in alternating
 * rounds of wall time in the same run. The token is a throwaway SoftHSM2 token made
 * in a temporary folder (softhsm2-util, its own SOFTHSM2_CONF), so the figure is
 * that of the PKCS#11 path; a hardware module is slower still and is measured with
 * the same code by pointing --module at it after setting up a token "bench" (PIN
 * from $MOBID_PKCS11_PIN).
 */
#include "bench.h"
#include "cli/cli.h"

#include <mobid/crypto.h>

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SOFTHSM "/usr/lib/softhsm/libsofthsm2.so"

static const char USAGE[] =
    "usage: mobid bench pkcs11 [--module SO] [--seconds S] [--json]\n"
    "ES256 signatures/s with a key inside a PKCS#11 token against a file key. With the\n"
    "default SoftHSM2 module a throwaway token is made in a temporary folder.\n";

/* A temporary SoftHSM2 token "bench" with PIN 1234; dir receives its folder. */
static int softhsm_token(char dir[64])
{
    char conf[128], cmd[512];
    snprintf(dir, 64, "/tmp/mobid-bench-p11-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    snprintf(conf, sizeof conf, "%s/softhsm2.conf", dir);
    FILE *f = fopen(conf, "w");
    if (!f)
        return -1;
    fprintf(f, "directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n", dir);
    fclose(f);
    setenv("SOFTHSM2_CONF", conf, 1);
    snprintf(cmd, sizeof cmd, "softhsm2-util --init-token --free --label bench --pin 1234 "
                              "--so-pin 12345678 >/dev/null");
    return system(cmd) == 0 ? 0 : -1;
}

/* Signatures in `seconds` of wall time (a token's work may run in other threads). */
static double rate(mobid_key *k, double seconds, mobid_view msg)
{
    long n = 0;
    double t0 = bench_now(), t;
    mobid_buf sig = { 0 };
    do {
        for (int i = 0; i < 16; i++) {
            sig.len = 0;
            if (mobid_sign(k, MOBID_ALG_ES256, msg, &sig) != MOBID_OK) {
                mobid_buf_free(&sig);
                return -1;
            }
        }
        n += 16;
    } while ((t = bench_now() - t0) < seconds);
    mobid_buf_free(&sig);
    return (double)n / t;
}

static int run(const char *module, const char *pin, double seconds, bool json)
{
    mobid_key *token_key = NULL, *file_key = NULL;
    uint8_t m[300] = { 0 }; /* about a COSE Sig_structure */
    mobid_view msg = mobid_view_make(m, sizeof m);
    double tok = 0, file = 0;
    mobid_err err = mobid_pkcs11_generate(module, "bench", pin, "bench-es256", MOBID_CURVE_P256,
                                          &token_key);
    if (err == MOBID_OK)
        err = mobid_key_generate(MOBID_CURVE_P256, &file_key);
    for (int r = 0; err == MOBID_OK && r < 5; r++) { /* alternate: same machine state */
        double a = rate(token_key, seconds / 10, msg), b = rate(file_key, seconds / 10, msg);
        if (a < 0 || b < 0)
            err = MOBID_ERR_CRYPTO;
        tok += a / 5;
        file += b / 5;
    }
    mobid_key_free(token_key);
    mobid_key_free(file_key);
    if (err != MOBID_OK)
        return cli_fail(json, err, "PKCS#11 bench failed");
    if (json) {
        json_t *j = json_pack("{s:i,s:i,s:f}", "pkcs11_sign_per_s", (json_int_t)(tok + 0.5),
                              "file_sign_per_s", (json_int_t)(file + 0.5), "ratio", tok / file);
        cli_print_json(j);
        json_decref(j);
    } else {
        printf("ES256 signatures, %.1f s of wall time in alternating rounds:\n"
               "  PKCS#11 token   %8.0f /s\n  file key        %8.0f /s\n  ratio           %8.3f\n",
               seconds, tok, file, tok / file);
    }
    return CLI_EXIT_OK;
}

static int bench_pkcs11_main(int argc, char **argv)
{
    static const struct option opts[] = { { "module", required_argument, 0, 'm' },
                                          { "seconds", required_argument, 0, 's' },
                                          { "json", no_argument, 0, 'j' },
                                          { "help", no_argument, 0, 'h' },
                                          { 0, 0, 0, 0 } };
    const char *module = SOFTHSM, *pin = getenv("MOBID_PKCS11_PIN");
    double seconds = 2;
    bool json = false;
    char dir[64] = "", cmd[128];
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'm': module = optarg; break;
        case 's': seconds = atof(optarg); break;
        case 'j': json = true; break;
        case 'h': fputs(USAGE, stdout); return CLI_EXIT_OK;
        default: fputs(USAGE, stderr); return CLI_EXIT_USAGE;
        }
    }
    if (seconds <= 0 || optind != argc) {
        fputs(USAGE, stderr);
        return CLI_EXIT_USAGE;
    }
    if (!strcmp(module, SOFTHSM)) {
        if (softhsm_token(dir) != 0)
            return cli_fail(json, MOBID_ERR_IO, "cannot make a SoftHSM2 token (softhsm2-util)");
        pin = "1234";
    }
    int rc = pin ? run(module, pin, seconds, json)
                 : cli_fail(json, MOBID_ERR_PIN_WRONG, "set MOBID_PKCS11_PIN");
    if (dir[0]) {
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0)
            fprintf(stderr, "bench: could not remove %s\n", dir);
    }
    return rc;
}

MOBID_BENCH(pkcs11, "pkcs11", "ES256 signing through a PKCS#11 token vs a file key",
            bench_pkcs11_main)
