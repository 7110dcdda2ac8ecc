/* `mobid issuer fetch`: a minimal OpenID4VCI wallet client (cmd_issuer_fetch.c). */
#ifndef MOBID_CMD_ISSUER_H
#define MOBID_CMD_ISSUER_H

int cmd_issuer_fetch(int argc, char **argv);
int cmd_issuer_proof(int argc, char **argv);

#endif
