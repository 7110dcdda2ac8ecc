/* mobid bench: dispatch to the benchmarks registered under bench/. */
#include "cli.h"
#include "../../bench/bench.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static bench_entry *benches;

void bench_register(bench_entry *b)
{
    b->next = benches;
    benches = b;
}

double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void bench_usage(FILE *f)
{
    fprintf(f, "usage: mobid bench <name> [--json] [options]\n"
               "       mobid bench verify --format mdoc|sdjwt [--json]\n\nbenchmarks:\n");
    for (bench_entry *b = benches; b; b = b->next)
        fprintf(f, "  %-14s %s\n", b->name, b->summary);
}

static int cmd_bench(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        bench_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
    }
    char name[64];
    snprintf(name, sizeof name, "%s", argv[1]);
    if (!strcmp(argv[1], "verify")) {
        /* with no format, --help names both */
        if (argc == 3 && (!strcmp(argv[2], "--help") || !strcmp(argv[2], "-h"))) {
            bench_usage(stdout);
            return CLI_EXIT_OK;
        }
        /* `verify --format F` selects the bench "verify-F". */
        for (int i = 2; i + 1 < argc; i++)
            if (!strcmp(argv[i], "--format"))
                snprintf(name, sizeof name, "verify-%s", argv[i + 1]);
        for (int i = 2; i < argc; i++)
            if (!strncmp(argv[i], "--format=", 9))
                snprintf(name, sizeof name, "verify-%s", argv[i] + 9);
    }
    for (bench_entry *b = benches; b; b = b->next)
        if (!strcmp(b->name, name))
            return b->fn(argc - 1, argv + 1);
    fprintf(stderr, "mobid bench: unknown benchmark '%s'\n", name);
    bench_usage(stderr);
    return CLI_EXIT_USAGE;
}

MOBID_CLI_COMMAND(bench, "bench", "measure speed against a baseline from the same run", cmd_bench)
