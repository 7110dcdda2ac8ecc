/* Shared helpers for mobid's C tests (cmocka). */
#ifndef MOBID_TESTUTIL_H
#define MOBID_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <mobid/base.h>

/* Path of ../shared/vectors (from MOBID_VECTORS), or NULL when the folder is absent. */
const char *tu_vectors_dir(void);
/* In a cmocka test: skip, saying why, when ../shared/vectors is absent. */
#define TU_REQUIRE_VECTORS()                                                        \
    do {                                                                            \
        if (!tu_vectors_dir()) {                                                    \
            print_message("SKIP: ../shared/vectors is absent; vector test not run\n"); \
            skip();                                                                 \
        }                                                                           \
    } while (0)

/* The exit status ctest counts as "skipped" (SKIP_RETURN_CODE in tests/CMakeLists.txt). */
#define TU_EXIT_SKIP 77
/* First thing in main() of a program whose every test needs the vectors: without
 * them, say so and return TU_EXIT_SKIP, so ctest shows the program as skipped and
 * never as passed (cmocka's skip() alone still exits 0). */
#define TU_MAIN_REQUIRE_VECTORS()                                                   \
    do {                                                                            \
        if (!tu_vectors_dir()) {                                                    \
            print_message("SKIP: the vectors folder (%s) is absent; not run\n",     \
                          getenv("MOBID_VECTORS") ? getenv("MOBID_VECTORS")         \
                                                  : "MOBID_VECTORS unset");         \
            return TU_EXIT_SKIP;                                                    \
        }                                                                           \
    } while (0)

/* Read a whole file into a buffer (NUL-terminated, len excludes the NUL). Fails the
 * test if the file cannot be read. */
void tu_read_file(const char *path, mobid_buf *out);
/* Read a file relative to the vectors folder. */
void tu_read_vector(const char *rel, mobid_buf *out);
/* Read a hex file relative to the vectors folder and decode it. */
void tu_read_vector_hex(const char *rel, mobid_buf *out);
/* Decode a hex string literal; fails the test on bad hex. */
void tu_hex(const char *hex, mobid_buf *out);
/* Source tree path (MOBID_SOURCE_DIR) joined with rel, in a static buffer. */
const char *tu_source_path(const char *rel);

#endif
