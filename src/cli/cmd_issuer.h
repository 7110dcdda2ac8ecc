/* `mobid issuer fetch` (lib/wallet's client with the keys handed out) and `mobid issuer
 * proof` (cmd_issuer_fetch.c). */
#ifndef MOBID_CMD_ISSUER_H
#define MOBID_CMD_ISSUER_H

int cmd_issuer_fetch(int argc, char **argv);
int cmd_issuer_proof(int argc, char **argv);
/* backup, restore, audit verify|checkpoint (cmd_issuer_ops.c); argv[0] is the subcommand. */
int cmd_issuer_ops(int argc, char **argv);

#endif
