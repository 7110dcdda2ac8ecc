/* issuer: the configuration file (etc/issuer.example.json documents every key). */
#include "services/issuer/issuer.h"
#include "services/provision/provision.h"
#include "http/limits.h"

#include <mobid/jose.h>

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONFIG_MAX ((size_t)1024 * 1024)

typedef struct num_key {
    const char *section; /* NULL = top level */
    const char *key;
    int64_t min, max, deflt;
    int64_t *out;
} num_key;

static mobid_err read_num(const json_t *root, const num_key *k)
{
    const json_t *sec = k->section ? json_object_get(root, k->section) : root;
    const json_t *v = json_object_get(sec, k->key);
    *k->out = k->deflt;
    if (!v)
        return MOBID_OK;
    if (!json_is_integer(v) || json_integer_value(v) < k->min || json_integer_value(v) > k->max) {
        fprintf(stderr, "issuer config: %s%s%s must be an integer %lld..%lld\n",
                k->section ? k->section : "", k->section ? "." : "", k->key, (long long)k->min,
                (long long)k->max);
        return MOBID_ERR_MALFORMED;
    }
    *k->out = json_integer_value(v);
    return MOBID_OK;
}

/* A path from the file, relative to base_dir unless absolute; NULL when absent. */
static mobid_err read_path(const json_t *root, const char *key, const char *base_dir, char **out)
{
    const json_t *v = json_object_get(root, key);
    *out = NULL;
    if (!v)
        return MOBID_OK;
    if (!json_is_string(v) || !json_string_length(v)) {
        fprintf(stderr, "issuer config: %s must be a non-empty string\n", key);
        return MOBID_ERR_MALFORMED;
    }
    const char *p = json_string_value(v);
    size_t n = strlen(p) + (base_dir ? strlen(base_dir) : 0) + 2;
    if (!(*out = malloc(n)))
        return MOBID_ERR_NOMEM;
    if (p[0] == '/' || !base_dir)
        snprintf(*out, n, "%s", p);
    else
        snprintf(*out, n, "%s/%s", base_dir, p);
    return MOBID_OK;
}

/* "signing_keys": {"ds-0001": "pkcs11:...", ...}. A PIN never sits in the file. */
static mobid_err read_signing_keys(const json_t *j)
{
    const json_t *keys = json_object_get(j, "signing_keys"), *v;
    const char *name;
    if (json_object_get(j, "pkcs11_pin")) {
        fprintf(stderr, "issuer config: no PIN in the configuration: use pkcs11_pin_file or "
                        "MOBID_PKCS11_PIN\n");
        return MOBID_ERR_MALFORMED;
    }
    if (keys && !json_is_object(keys)) {
        fprintf(stderr, "issuer config: signing_keys must be an object of pkcs11: URIs\n");
        return MOBID_ERR_MALFORMED;
    }
    json_object_foreach((json_t *)keys, name, v)
        if (!json_is_string(v) || strncmp(json_string_value(v), "pkcs11:", 7) ||
            strstr(json_string_value(v), "pin-value=")) {
            fprintf(stderr, "issuer config: signing_keys.%s must be a pkcs11: URI without "
                            "pin-value\n", name);
            return MOBID_ERR_MALFORMED;
        }
    return MOBID_OK;
}

static mobid_err read_numbers(const json_t *j, issuer_config *cfg)
{
    int64_t life, attempts, len, tok, nonce, batch, size, ttl, validity, body, nrate, nburst;
    const num_key keys[] = {
        { "offer", "lifetime_s", 30, 30 * 86400, 900, &life },
        { "offer", "tx_code_attempts", 1, 100, 5, &attempts },
        { "offer", "tx_code_length", 4, 10, 6, &len },
        { NULL, "token_lifetime_s", 10, 86400, 300, &tok },
        { NULL, "nonce_lifetime_s", 5, 3600, 300, &nonce },
        { NULL, "batch_size", 1, 100, 10, &batch },
        { "status_list", "size", 1024, 1 << 24, 131072, &size },
        { "status_list", "ttl_s", 0, 86400, 300, &ttl },
        { "status_list", "validity_s", 60, 30 * 86400, 86400, &validity },
        { NULL, "max_body", 1024, 16 << 20, 64 << 10, &body },
        { NULL, "nonce_per_second", 0, 1000000, 20, &nrate },
        { NULL, "nonce_burst", 1, 1000000, 100, &nburst },
    };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        mobid_err err = read_num(j, &keys[i]);
        if (err != MOBID_OK)
            return err;
    }
    cfg->offer_lifetime_s = life;
    cfg->tx_code_attempts = (unsigned)attempts;
    cfg->tx_code_length = (unsigned)len;
    cfg->token_lifetime_s = tok;
    cfg->nonce_lifetime_s = nonce;
    cfg->batch_size = (unsigned)batch;
    cfg->status_list_size = (unsigned)size;
    cfg->status_list_ttl_s = ttl;
    cfg->status_list_validity_s = validity;
    cfg->max_body = (size_t)body;
    cfg->nonce_per_second = (unsigned)nrate;
    cfg->nonce_burst = (unsigned)nburst;
    return MOBID_OK;
}

/* "card_types": the list itself, or the name of a file that holds it (such as
 * etc/card-types.json); absent, the catalogue compiled in from that file. */
static mobid_err cardtypes_read(const json_t *j, const char *base_dir, issuer_config *cfg)
{
    const json_t *v = json_object_get(j, "card_types");
    json_t *list = NULL;
    char *path = NULL;
    mobid_err err = MOBID_OK;

    if (json_is_string(v) && !(err = read_path(j, "card_types", base_dir, &path)))
        err = prov_cardtypes_load(path, &list);
    if (!err)
        err = issuer_cardtypes_parse(list ? list : v, &cfg->cardtypes, &cfg->ncardtypes);
    json_decref(list);
    free(path);
    return err;
}

/* "haip"."wallet_providers": PEM files of trusted wallet providers (certificates or
 * public keys), resolved like the other paths; oid4vci_authz.c reads them. */
static mobid_err haip_paths_read(const json_t *j, const char *base_dir, issuer_config *cfg)
{
    const json_t *list = json_object_get(json_object_get(j, "haip"), "wallet_providers");
    size_t i;
    json_t *v;
    mobid_err err = MOBID_OK;
    if (!list)
        return MOBID_OK;
    if (!json_is_array(list) || json_array_size(list) > 64) {
        fprintf(stderr, "issuer config: haip.wallet_providers must be a list of PEM files\n");
        return MOBID_ERR_MALFORMED;
    }
    if (!(cfg->haip_providers = calloc(json_array_size(list) + 1, sizeof(char *))))
        return MOBID_ERR_NOMEM;
    json_array_foreach (list, i, v) {
        json_t *one = json_pack("{s:O}", "wallet_providers", v);
        err = one ? read_path(one, "wallet_providers", base_dir, &cfg->haip_providers[i])
                  : MOBID_ERR_NOMEM;
        json_decref(one);
        if (err != MOBID_OK)
            return err;
        cfg->nhaip_providers++;
    }
    return err;
}

static mobid_err config_parse(json_t *j, const char *base_dir, issuer_config *cfg)
{
    mobid_err err = MOBID_ERR_MALFORMED;
    memset(cfg, 0, sizeof *cfg);
    if (!json_is_object(j)) {
        fprintf(stderr, "issuer config: not a JSON object\n");
        return err;
    }
    cfg->raw = json_incref(j);
    const json_t *url = json_object_get(j, "issuer_url");
    if (url && (!json_is_string(url) || strncmp(json_string_value(url), "http", 4))) {
        fprintf(stderr, "issuer config: issuer_url must be an http(s) URL\n");
        return err;
    }
    if (url) {
        if (!(cfg->issuer_url = strdup(json_string_value(url))))
            return MOBID_ERR_NOMEM;
        size_t n = strlen(cfg->issuer_url);
        while (n > 0 && cfg->issuer_url[n - 1] == '/')
            cfg->issuer_url[--n] = 0;
    }
    if ((err = read_path(j, "pki_dir", base_dir, &cfg->pki_dir)) != MOBID_OK ||
        (err = read_path(j, "data_key_file", base_dir, &cfg->data_key_file)) != MOBID_OK ||
        (err = read_path(j, "pkcs11_pin_file", base_dir, &cfg->pkcs11_pin_file)) != MOBID_OK ||
        (err = read_signing_keys(j)) != MOBID_OK ||
        (err = haip_paths_read(j, base_dir, cfg)) != MOBID_OK ||
        (err = read_numbers(j, cfg)) != MOBID_OK ||
        (err = mobid_http_limits_read(json_object_get(j, "http"), "issuer", &cfg->http)))
        return err;
    if ((err = cardtypes_read(j, base_dir, cfg)) != MOBID_OK)
        return err;
    return issuer_cardtypes_bind(cfg);
}

mobid_err issuer_config_from_json(json_t *j, issuer_config *cfg)
{
    mobid_err err = config_parse(j, NULL, cfg);
    if (err != MOBID_OK)
        issuer_config_free(cfg);
    return err;
}

mobid_err issuer_config_load(const char *path, issuer_config *cfg)
{
    FILE *f = NULL;
    json_t *j = NULL;
    char *dir = NULL;
    json_error_t jerr;
    mobid_err err = MOBID_ERR_IO;
    memset(cfg, 0, sizeof *cfg);
    if (!(f = fopen(path, "r"))) {
        fprintf(stderr, "issuer config: cannot open %s\n", path);
        goto done;
    }
    err = MOBID_ERR_MALFORMED;
    if (!(j = json_loadf(f, JSON_REJECT_DUPLICATES, &jerr))) {
        fprintf(stderr, "issuer config: %s:%d: %s\n", path, jerr.line, jerr.text);
        goto done;
    }
    err = MOBID_ERR_NOMEM;
    char *tmp = strdup(path);
    if (!tmp)
        goto done;
    dir = strdup(dirname(tmp));
    free(tmp);
    if (!dir)
        goto done;
    err = config_parse(j, dir, cfg);
done:
    if (err != MOBID_OK)
        issuer_config_free(cfg);
    if (f)
        fclose(f);
    json_decref(j);
    free(dir);
    return err;
}

void issuer_config_free(issuer_config *cfg)
{
    if (!cfg)
        return;
    free(cfg->issuer_url);
    free(cfg->pki_dir);
    free(cfg->data_key_file);
    free(cfg->pkcs11_pin_file);
    issuer_cardtypes_free(cfg->cardtypes, cfg->ncardtypes);
    for (size_t i = 0; i < cfg->nhaip_providers; i++)
        free(cfg->haip_providers[i]);
    free(cfg->haip_providers);
    json_decref(cfg->raw);
    memset(cfg, 0, sizeof *cfg);
}
