/*
 * What a verifying subcommand trusts, from its command line: --trust (IACAs or
 * pinned signers), --vical with --vical-anchor, --trust-issuer (SD-JWT VC
 * issuer identifiers), --lenient / --strict. The files are read here and the
 * set is built by mobid_trust_build, the library's one way to build trust.
 */
#ifndef MOBID_CLI_TRUST_H
#define MOBID_CLI_TRUST_H

#include <getopt.h>
#include <mobid/sdjwt.h>
#include <mobid/trust.h>

/* getopt_long codes of the shared options (outside the range of short options). */
enum {
    CLI_OPT_TRUST = 0x1100,
    CLI_OPT_VICAL,
    CLI_OPT_VICAL_ANCHOR,
    CLI_OPT_TRUST_ISSUER,
    CLI_OPT_LENIENT,
    CLI_OPT_STRICT
};

/* The option table entries, for a subcommand's struct option array. */
#define CLI_TRUST_OPTIONS                                                                   \
    { "trust", required_argument, 0, CLI_OPT_TRUST },                                       \
        { "vical", required_argument, 0, CLI_OPT_VICAL },                                   \
        { "vical-anchor", required_argument, 0, CLI_OPT_VICAL_ANCHOR },                     \
        { "trust-issuer", required_argument, 0, CLI_OPT_TRUST_ISSUER },                     \
        { "lenient", no_argument, 0, CLI_OPT_LENIENT },                                     \
        { "strict", no_argument, 0, CLI_OPT_STRICT }

/* The usage lines that describe them. */
#define CLI_TRUST_USAGE                                                                     \
    "  --trust CERT.pem      an IACA, or a document signer / issuer pinned as it is\n"      \
    "                        (repeatable; a pinned certificate needs no EKU)\n"             \
    "  --vical FILE          a VICAL whose IACAs are trusted for their docTypes\n"          \
    "  --vical-anchor ROOT   the root the VICAL signer chains to (needed with --vical)\n"   \
    "  --trust-issuer URL    an SD-JWT VC issuer identifier (keys from its metadata)\n"     \
    "  --lenient             accept a document signer whose EKU names another use\n"        \
    "  --strict              enforce every ISO 18013-5 Annex B certificate rule\n"

typedef struct cli_trust {
    const char **anchors, **vicals, **vical_anchors, **issuers; /* heap arrays of argv */
    size_t n_anchors, n_vicals, n_vical_anchors, n_issuers;
    mobid_trust_policy policy;
    bool lenient, strict;
} cli_trust;

/* Take one shared option (ch from getopt_long). Returns 1 when ch was one of
 * them, 0 when it was not, -1 on a usage error (message printed). */
int cli_trust_option(cli_trust *t, int ch, const char *arg);
/* True when any trust source was given. */
bool cli_trust_given(const cli_trust *t);
/* Read the files and build the set, VICALs checked at `at` (0 = now). On
 * failure a message names the input on stderr (and *detail, when not NULL,
 * holds it for JSON). */
mobid_err cli_trust_load(const cli_trust *t, const char *cmd, mobid_time at, mobid_trust **out,
                         char *detail, size_t detail_len);
/* Exit status for a load failure: 1 for a refused VICAL (a verification
 * failure), 2 for unreadable or unusable inputs. */
int cli_trust_load_status(mobid_err err);
void cli_trust_clear(cli_trust *t);
/* A trust set of the certificate files paths[0..n) alone (--anchor style options),
 * through cli_trust_load. */
mobid_err cli_trust_anchors(const char *const *paths, size_t n, const char *cmd,
                            mobid_trust **out);
/* A cache of SD-JWT VC issuer metadata fetched over HTTP(S) (for --trust-issuer). */
mobid_err cli_issuer_cache(mobid_sdjwt_issuer_cache **out);

#endif
