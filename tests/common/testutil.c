#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

const char *tu_vectors_dir(void)
{
    const char *dir = getenv("MOBID_VECTORS");
    struct stat st;
    if (!dir || stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return NULL;
    return dir;
}

void tu_read_file(const char *path, mobid_buf *out)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    mobid_buf_init(out, 0);
    uint8_t chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        mobid_buf_append(out, chunk, n);
    fclose(f);
    mobid_buf_terminate(out);
    assert_int_equal(out->err, MOBID_OK);
}

void tu_read_vector(const char *rel, mobid_buf *out)
{
    const char *dir = tu_vectors_dir();
    if (!dir)
        fail_msg("vectors folder absent");
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    tu_read_file(path, out);
}

void tu_read_vector_hex(const char *rel, mobid_buf *out)
{
    mobid_buf text;
    tu_read_vector(rel, &text);
    mobid_buf_init(out, 0);
    mobid_err err = mobid_hex_decode(mobid_buf_view(&text), out);
    mobid_buf_free(&text);
    if (err != MOBID_OK)
        fail_msg("%s: bad hex (%s)", rel, mobid_err_name(err));
}

void tu_hex(const char *hex, mobid_buf *out)
{
    mobid_buf_init(out, 0);
    if (mobid_hex_decode(mobid_view_str(hex), out) != MOBID_OK)
        fail_msg("bad hex literal");
}

const char *tu_source_path(const char *rel)
{
    static char path[4096];
    const char *src = getenv("MOBID_SOURCE_DIR");
    snprintf(path, sizeof path, "%s/%s", src ? src : ".", rel);
    return path;
}
