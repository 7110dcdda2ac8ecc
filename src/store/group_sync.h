/*
 * Group commit: many committed transactions, one fsync.
 *
 * A backend whose commit only writes (SQLite WAL with synchronous=NORMAL) calls
 * group_sync_wait() after each commit and before it tells anyone the commit happened.
 * The call returns once a sync that STARTED AFTER the commit's write has finished:
 * the first waiter to find no sync running becomes the leader and syncs for every
 * commit written so far; the others wait for it, and a commit that arrives while a
 * sync runs waits for the next one. When a sync ends it wakes the waiters it covered
 * and one waiter of the next round, who leads the next sync. So while one fsync is on the disk the commits of
 * the other threads queue up behind it and share the next: throughput follows the
 * number of concurrent writers instead of the disk's fsync rate, and every
 * acknowledged commit is on the disk, in commit order (one log, synced as a whole).
 *
 * One group_sync per database file per process (group_sync_get by key, refcounted).
 * Thread-safe.
 */
#ifndef MOBID_STORE_GROUP_SYNC_H
#define MOBID_STORE_GROUP_SYNC_H

#include <stdbool.h>
#include <stdint.h>

typedef struct group_sync group_sync;

/* Makes the log durable up to everything written before the call; 0 on success. It
 * runs on the leader's thread, with the leader's own handle (ctx). */
typedef int (*group_sync_fn)(void *ctx);

/* The group for key (a database file name; copied), created on first use. Every get
 * is paired with a put. NULL when out of memory. */
group_sync *group_sync_get(const char *key);
void group_sync_put(group_sync *g);

/* Wait until a sync started after this call has completed, leading it when no sync
 * is running (then fn(ctx) is called on this thread). Returns 0, or the failing
 * sync's result when this thread led a sync that failed (the commit is in the log
 * but not known to be durable: report it as not done). */
int group_sync_wait(group_sync *g, group_sync_fn fn, void *ctx);

/* Count a commit that was written without waiting for a sync (a deferred commit: the
 * next sync any waiter leads covers it, since it is earlier in the same log). */
void group_sync_deferred(group_sync *g);

/* Commits waited for and syncs begun since the group was made (for tests and figures). */
void group_sync_stats(group_sync *g, uint64_t *commits, uint64_t *syncs);

/* Deferred commits counted since the group was made (for tests and figures). */
uint64_t group_sync_deferred_count(group_sync *g);

/* Threads waiting for a sync right now, the leader excluded (for tests). */
unsigned group_sync_waiting(group_sync *g);

/* Times a waiter was woken and had to sleep again, its commit not yet durable: only
 * when a new thread took the lead before the one woken to lead (for tests). */
uint64_t group_sync_futile_wakeups(group_sync *g);

#endif
