/* Claim paths: "address/country", "nationalities/0", '*' wildcards, JSON Pointer escapes. */
#include "sdjwt_internal.h"

#include <stdio.h>
#include <string.h>

mobid_err mobid_sdjwt_path_push(mobid_buf *path, const char *seg)
{
    if (path->len)
        mobid_buf_append_byte(path, '/');
    for (const char *p = seg; *p; p++) {
        if (*p == '~')
            mobid_buf_append_str(path, "~0");
        else if (*p == '/')
            mobid_buf_append_str(path, "~1");
        else
            mobid_buf_append_byte(path, (uint8_t)*p);
    }
    return path->err;
}

mobid_err mobid_sdjwt_path_push_index(mobid_buf *path, size_t idx)
{
    char num[24];
    snprintf(num, sizeof num, "%zu", idx);
    return mobid_sdjwt_path_push(path, num);
}

/* Length of the segment starting at s (up to '/' or the end). */
static size_t seg_len(const char *s)
{
    const char *slash = strchr(s, '/');
    return slash ? (size_t)(slash - s) : strlen(s);
}

bool mobid_sdjwt_path_covers(const char *pattern, const char *path)
{
    if (!pattern || !path || !*pattern || !*path)
        return false;
    const char *p = pattern, *q = path;
    for (;;) {
        size_t pl = seg_len(p), ql = seg_len(q);
        bool star = pl == 1 && *p == '*';
        if (!star && (pl != ql || memcmp(p, q, pl) != 0))
            return false;
        q += ql;
        p += pl;
        if (!*q)
            return true; /* every segment of path matched */
        if (!*p)
            return false; /* path is longer than the pattern */
        p++;
        q++;
    }
}

bool mobid_sdjwt_never_disclosable(const char *name)
{
    static const char *const names[] = { "iss", "nbf", "exp", "cnf", "vct", "status", "iat",
                                         "_sd_alg" };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (!strcmp(name, names[i]))
            return true;
    return false;
}
