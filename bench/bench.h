/*
 * `mobid bench <name>`: benchmarks registered by their own files (bench_<module>_*.c).
 * Results are ratios against a baseline measured in the same run, printed as JSON
 * with --json. `mobid bench verify --format F` runs the bench named "verify-F".
 */
#ifndef MOBID_BENCH_H
#define MOBID_BENCH_H

#include <stdint.h>

typedef int (*bench_fn)(int argc, char **argv); /* argv[0] is the bench name */

typedef struct bench_entry {
    const char *name;
    const char *summary;
    bench_fn fn;
    struct bench_entry *next;
} bench_entry;

void bench_register(bench_entry *b);

#define MOBID_BENCH(ident, name_, summary_, fn_)                                \
    static bench_entry bench_##ident = { name_, summary_, fn_, NULL };          \
    __attribute__((constructor)) static void bench_register_##ident(void)      \
    {                                                                           \
        bench_register(&bench_##ident);                                         \
    }

/* Monotonic clock in seconds. */
double bench_now(void);

#endif
