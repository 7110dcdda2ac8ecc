/* `mobid issuer fetch` (lib/wallet's client with the keys handed out) and `mobid issuer
 * proof` (cmd_issuer_fetch.c). */
#ifndef MOBID_CMD_ISSUER_H
#define MOBID_CMD_ISSUER_H

int cmd_issuer_fetch(int argc, char **argv);
int cmd_issuer_proof(int argc, char **argv);

#endif
