/*
 * oid4vci: well-known URLs of a credential issuer or authorization server.
 *
 * OpenID4VCI 1.0 §12.2.2 and RFC 8414 §3.1 put the well-known segment between the
 * host and the identifier's path, so one host can serve several tenants:
 * https://host/tenant -> https://host/.well-known/openid-credential-issuer/tenant.
 * Appending it instead would ask a different document of another resource.
 */
#include <mobid/oid4vci.h>

#include <string.h>

mobid_err mobid_oid4vci_well_known_url(const char *id, const char *name, mobid_buf *out)
{
    size_t scheme, host_end;
    const char *path;

    if (!id || !name || !*name || strchr(name, '/') || !out)
        return MOBID_ERR_INVALID_ARG;
    scheme = !strncmp(id, "https://", 8) ? 8 : !strncmp(id, "http://", 7) ? 7 : 0;
    if (!scheme || strpbrk(id, "?#") || !id[scheme] || id[scheme] == '/')
        return MOBID_ERR_INVALID_ARG;
    path = strchr(id + scheme, '/');
    host_end = path ? (size_t)(path - id) : strlen(id);
    mobid_buf_append(out, id, host_end);
    mobid_buf_append_str(out, "/.well-known/");
    mobid_buf_append_str(out, name);
    /* "https://host/" names the same resource as "https://host" (RFC 8414 §3.1:
     * a terminating slash is removed before inserting). */
    if (path) {
        size_t n = strlen(path);
        while (n && path[n - 1] == '/')
            n--;
        mobid_buf_append(out, path, n);
    }
    return mobid_buf_terminate(out);
}
