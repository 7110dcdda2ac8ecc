/* src/assets: lookups in the table of files compiled into the binary. */
#include "assets/assets.h"

#include <stdio.h>
#include <string.h>

#define ASSET_MAX ((size_t)1024 * 1024) /* a page file read from disk */

const mobid_asset *mobid_asset_find(const char *path)
{
    for (const mobid_asset *a = mobid_assets; path && a->path; a++)
        if (!strcmp(a->path, path))
            return a;
    return NULL;
}

const mobid_asset *mobid_asset_in(const char *dir, const char *name)
{
    char path[512];
    int n;

    if (!dir || !name || !*name || name[0] == '/' || strstr(name, ".."))
        return NULL;
    n = snprintf(path, sizeof path, "%s/%s", dir, name);
    return n > 0 && (size_t)n < sizeof path ? mobid_asset_find(path) : NULL;
}

mobid_view mobid_asset_view(const mobid_asset *a)
{
    return a ? mobid_view_make(a->data, a->len) : mobid_view_make(NULL, 0);
}

/* Letters, digits, '-', '_' and '.', not starting with '.': no way out of the folder. */
static bool plain_name(const char *name)
{
    size_t n = name ? strlen(name) : 0;

    if (n == 0 || n > 64 || name[0] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!(('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9') ||
              c == '-' || c == '_' || c == '.'))
            return false;
    }
    return true;
}

static mobid_err read_disk(const char *dir, const char *name, mobid_buf *out)
{
    char path[1200], chunk[4096];
    size_t n;
    mobid_err err = MOBID_OK;
    FILE *f;

    if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path)
        return MOBID_ERR_NOT_FOUND;
    if (!(f = fopen(path, "rb")))
        return MOBID_ERR_NOT_FOUND;
    while (!err && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        err = out->len + n > ASSET_MAX ? MOBID_ERR_TOO_BIG : mobid_buf_append(out, chunk, n);
    if (!err && ferror(f))
        err = MOBID_ERR_IO;
    fclose(f);
    return err;
}

mobid_err mobid_asset_load(const char *disk_dir, const char *embedded_dir, const char *name,
                           mobid_buf *out)
{
    const mobid_asset *a;

    if (!plain_name(name))
        return MOBID_ERR_NOT_FOUND;
    if (disk_dir && *disk_dir)
        return read_disk(disk_dir, name, out);
    if (!(a = mobid_asset_in(embedded_dir, name)))
        return MOBID_ERR_NOT_FOUND;
    return mobid_buf_append(out, a->data, a->len);
}

const char *mobid_asset_mime(const char *name)
{
    static const char *const types[][2] = {
        { ".html", "text/html; charset=utf-8" },       { ".css", "text/css; charset=utf-8" },
        { ".js", "text/javascript; charset=utf-8" },   { ".json", "application/json" },
        { ".svg", "image/svg+xml" },                   { ".png", "image/png" },
        { ".txt", "text/plain; charset=utf-8" },
    };
    const char *dot = name ? strrchr(name, '.') : NULL;

    for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
        if (!strcmp(dot, types[i][0]))
            return types[i][1];
    return NULL;
}
