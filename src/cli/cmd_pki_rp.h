/* `mobid pki rp-issue` (cmd_pki_rp.c), called by the `mobid pki` dispatcher. */
#ifndef MOBID_CMD_PKI_RP_H
#define MOBID_CMD_PKI_RP_H

/* argv[0] is "rp-issue"; returns a CLI exit status. */
int cli_pki_rp_issue(int argc, char **argv);

#endif
