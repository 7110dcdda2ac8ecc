/* `mobid pki rp-issue` (cmd_pki_rp.c) and `mobid pki check` (cmd_pki_check.c), called by the `mobid pki` dispatcher. */
#ifndef MOBID_CMD_PKI_RP_H
#define MOBID_CMD_PKI_RP_H

/* argv[0] is "rp-issue"; returns a CLI exit status. */
int cli_pki_rp_issue(int argc, char **argv);
/* `mobid pki check` (cmd_pki_check.c); argv[0] is "check". */
int cli_pki_check(int argc, char **argv);

#endif
