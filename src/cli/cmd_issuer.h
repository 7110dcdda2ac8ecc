/* `mobid issuer fetch` (lib/wallet's client with the keys handed out) and `mobid issuer
 * proof` (cmd_issuer_fetch.c). */
#ifndef MOBID_CMD_ISSUER_H
#define MOBID_CMD_ISSUER_H

#include <stdint.h>

#include <mobid/base.h>

typedef struct mobid_store mobid_store;

int cmd_issuer_fetch(int argc, char **argv);
int cmd_issuer_proof(int argc, char **argv);
/* backup, restore, audit verify|checkpoint (cmd_issuer_ops.c); argv[0] is the subcommand. */
int cmd_issuer_ops(int argc, char **argv);


/* What a backup holds, as checked: its audit chain's length and head, and its cards. */
typedef struct issuer_copy_facts {
    int64_t entries, bad_seq, cards;
    char head[65];
} issuer_copy_facts;

/* Verify the audit chain of the issuer database s and fill *f (cmd_issuer_ops.c);
 * detail says what failed. Runs no transaction of its own. */
mobid_err issuer_copy_facts_read(mobid_store *s, issuer_copy_facts *f,
                                 char *detail, size_t detail_len);

/* PostgreSQL (cmd_issuer_pg.c): pg_dump --format=custom into out (made 0600, must not
 * exist) from the snapshot in which *f is read; pg_restore of from into the empty
 * database url, in one transaction. MOBID_ERR_IO when a tool fails or is missing. */
mobid_err cli_issuer_pg_backup(const char *url, const char *out, issuer_copy_facts *f,
                               char *detail, size_t detail_len);
mobid_err cli_issuer_pg_restore(const char *url, const char *from, char *detail, size_t detail_len);

#endif
