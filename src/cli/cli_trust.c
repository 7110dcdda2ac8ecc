/* Trust options shared by the verifying subcommands (see cli_trust.h). */
#include "cli_trust.h"

#include "cli.h"
#include "http/client.h"
#include "http/resource.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int push(const char ***list, size_t *n, const char *arg)
{
    const char **grown = realloc(*list, (*n + 1) * sizeof *grown);
    if (!grown) {
        cli_usage_error(NULL, "out of memory");
        return -1;
    }
    grown[(*n)++] = arg;
    *list = grown;
    return 1;
}

int cli_trust_option(cli_trust *t, int ch, const char *arg)
{
    switch (ch) {
    case CLI_OPT_TRUST: return push(&t->anchors, &t->n_anchors, arg);
    case CLI_OPT_VICAL: return push(&t->vicals, &t->n_vicals, arg);
    case CLI_OPT_VICAL_ANCHOR: return push(&t->vical_anchors, &t->n_vical_anchors, arg);
    case CLI_OPT_TRUST_ISSUER: return push(&t->issuers, &t->n_issuers, arg);
    case CLI_OPT_LENIENT: t->lenient = true; break;
    case CLI_OPT_STRICT: t->strict = true; break;
    default: return 0;
    }
    if (t->lenient && t->strict) {
        cli_usage_error(NULL, "--lenient and --strict exclude each other");
        return -1;
    }
    t->policy = t->strict ? MOBID_TRUST_STRICT : t->lenient ? MOBID_TRUST_LENIENT
                                                            : MOBID_TRUST_DEFAULT;
    return 1;
}

bool cli_trust_given(const cli_trust *t)
{
    return t->n_anchors || t->n_vicals || t->n_issuers;
}

/* Read each named file into views[i] (bufs keep the bytes). */
static mobid_err read_all(const char **paths, size_t n, mobid_buf *bufs, mobid_view *views)
{
    for (size_t i = 0; i < n; i++) {
        mobid_err err = cli_read_binary_or_hex(paths[i], &bufs[i]);
        if (err != MOBID_OK)
            return err;
        views[i] = mobid_buf_view(&bufs[i]);
    }
    return MOBID_OK;
}

mobid_err cli_trust_load(const cli_trust *t, const char *cmd, mobid_time at, mobid_trust **out,
                         char *detail, size_t detail_len)
{
    size_t n = t->n_anchors + t->n_vicals + t->n_vical_anchors;
    mobid_buf *bufs = calloc(n + 1, sizeof *bufs);
    mobid_view *views = calloc(n + 1, sizeof *views);
    char why[256] = "";
    mobid_err err = bufs && views ? MOBID_OK : MOBID_ERR_NOMEM;
    mobid_trust_config c = { .anchors = views, .n_anchors = t->n_anchors,
                             .vicals = views + t->n_anchors, .n_vicals = t->n_vicals,
                             .vical_anchors = views + t->n_anchors + t->n_vicals,
                             .n_vical_anchors = t->n_vical_anchors,
                             .issuers = t->issuers, .n_issuers = t->n_issuers,
                             .policy = t->policy, .at = at };
    *out = NULL;
    if (err == MOBID_OK)
        err = read_all(t->anchors, t->n_anchors, bufs, views);
    if (err == MOBID_OK)
        err = read_all(t->vicals, t->n_vicals, bufs + t->n_anchors, (mobid_view *)c.vicals);
    if (err == MOBID_OK)
        err = read_all(t->vical_anchors, t->n_vical_anchors, bufs + t->n_anchors + t->n_vicals,
                       (mobid_view *)c.vical_anchors);
    if (err == MOBID_OK && (err = mobid_trust_build(&c, out, why, sizeof why)) != MOBID_OK)
        fprintf(stderr, "mobid %s: %s (%s)\n", cmd, why, mobid_svc_err_name(err));
    if (detail && detail_len)
        snprintf(detail, detail_len, "%s", why);
    for (size_t i = 0; bufs && i < n; i++)
        mobid_buf_free(&bufs[i]);
    free(bufs);
    free(views);
    return err;
}

int cli_trust_load_status(mobid_err err)
{
    switch (err) {
    case MOBID_ERR_VICAL_INVALID:
    case MOBID_ERR_VICAL_SIGNATURE_INVALID:
    case MOBID_ERR_VICAL_SIGNER_UNTRUSTED:
    case MOBID_ERR_VICAL_EXPIRED:
    case MOBID_ERR_VICAL_NOT_YET_VALID:
        return CLI_EXIT_FAIL;
    default:
        return CLI_EXIT_USAGE;
    }
}

void cli_trust_clear(cli_trust *t)
{
    free(t->anchors);
    free(t->vicals);
    free(t->vical_anchors);
    free(t->issuers);
    memset(t, 0, sizeof *t);
}

mobid_err cli_issuer_cache(mobid_sdjwt_issuer_cache **out)
{
    mobid_sdjwt_issuer_cache_opts o = { .fetch = mobid_http_fetch_body };
    return mobid_sdjwt_issuer_cache_new(&o, out);
}

mobid_err cli_trust_anchors(const char *const *paths, size_t n, const char *cmd,
                            mobid_trust **out)
{
    cli_trust t;
    memset(&t, 0, sizeof t);
    t.anchors = (const char **)paths;
    t.n_anchors = n;
    return cli_trust_load(&t, cmd, 0, out, NULL, 0);
}
