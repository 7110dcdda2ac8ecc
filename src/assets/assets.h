/*
 * Files of the source tree compiled into the mobid binary: the office console's and
 * the portal's pages (web/...) and the example data (etc/NAME.json). An installed mobid
 * never reads the source tree; these are its defaults, and a configured folder or file
 * still takes precedence where a service offers one.
 *
 * Which files: every file under web/ and every JSON file directly in etc/, found by a
 * glob when CMake configures (scripts/assets.cmake writes the table), so a new page or
 * data file needs no code change. Paths are relative to the source root with '/' ("web/portal/index.html").
 *
 * Thread safety: the table is constant; any thread may read it.
 */
#ifndef MOBID_ASSETS_H
#define MOBID_ASSETS_H

#include <stddef.h>
#include <mobid/base.h>

typedef struct mobid_asset {
    const char *path;          /* "etc/offices.example.json"; NULL ends the table */
    const unsigned char *data; /* len bytes followed by a NUL not counted in len */
    size_t len;
} mobid_asset;

/* The generated table, ended by an entry whose path is NULL. */
extern const mobid_asset mobid_assets[];

/* The asset at path, or NULL when there is none. The result is static. */
const mobid_asset *mobid_asset_find(const char *path);

/* The asset dir/name (dir without a trailing '/'), or NULL. A name holding ".." or
 * starting with '/' is refused (NULL), so a request path cannot climb out of dir. */
const mobid_asset *mobid_asset_in(const char *dir, const char *name);

/* The asset's bytes as a view (empty view for NULL). */
mobid_view mobid_asset_view(const mobid_asset *a);

/* The file `name` of a page folder into out (appended): read from disk_dir when it is
 * given (a configured folder, e.g. while editing the pages), else the embedded
 * embedded_dir/name ("web/console"). name must be a plain file name (letters, digits,
 * '-', '_', '.'; not starting with '.'), at most 64 bytes. Returns MOBID_OK,
 * NOT_FOUND (no such file, or a name that is not plain), IO, TOO_BIG (over 1 MiB),
 * NOMEM. */
MOBID_MUST_CHECK mobid_err mobid_asset_load(const char *disk_dir, const char *embedded_dir,
                                            const char *name, mobid_buf *out);

/* Content-Type for a file name by its extension (html, css, js, json, svg, png, txt);
 * NULL for others, which are not served. */
const char *mobid_asset_mime(const char *name);

#endif
