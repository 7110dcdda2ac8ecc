/* Helpers shared by the subcommands: files, keys, times, JSON output. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

mobid_err cli_read_file(const char *path, mobid_buf *out)
{
    mobid_buf_init(out, CLI_MAX_INPUT);
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    if (!f) {
        fprintf(stderr, "mobid: cannot open %s: %s\n", path, strerror(errno));
        return MOBID_ERR_IO;
    }
    uint8_t chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (mobid_buf_append(out, chunk, n) != MOBID_OK)
            break;
    bool bad = ferror(f);
    if (f != stdin)
        fclose(f);
    if (out->err == MOBID_OK && bad)
        out->err = MOBID_ERR_IO;
    if (out->err == MOBID_OK)
        mobid_buf_terminate(out);
    if (out->err != MOBID_OK) {
        fprintf(stderr, "mobid: cannot read %s: %s\n", path, mobid_svc_strerror(out->err));
        mobid_err err = out->err;
        mobid_buf_free(out);
        return err;
    }
    return MOBID_OK;
}

mobid_err cli_read_binary_or_hex(const char *path, mobid_buf *out)
{
    mobid_err err = cli_read_file(path, out);
    if (err != MOBID_OK || !mobid_looks_hex(mobid_buf_view(out)))
        return err;
    mobid_buf bin;
    mobid_buf_init(&bin, CLI_MAX_INPUT);
    err = mobid_hex_decode(mobid_buf_view(out), &bin);
    mobid_buf_free(out);
    if (err != MOBID_OK) {
        mobid_buf_free(&bin);
        return err;
    }
    *out = bin;
    return MOBID_OK;
}

mobid_err cli_write_file(const char *path, mobid_view data, unsigned mode)
{
    if (!strcmp(path, "-")) {
        if (data.len && fwrite(data.ptr, 1, data.len, stdout) != data.len)
            return MOBID_ERR_IO;
        return fflush(stdout) == 0 ? MOBID_OK : MOBID_ERR_IO;
    }
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 16);
    if (!tmp)
        return MOBID_ERR_NOMEM;
    snprintf(tmp, plen + 16, "%s.tmp%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    mobid_err err = MOBID_ERR_IO;
    if (fd < 0)
        goto done;
    size_t off = 0;
    while (off < data.len) {
        ssize_t w = write(fd, data.ptr + off, data.len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        off += (size_t)w;
    }
    /* Written beside the target, synced, then renamed over it: a reader or a crash sees
     * the old file or the whole new one. fchmod because a stale temporary keeps its mode. */
    if (off == data.len && fchmod(fd, mode) == 0 && fsync(fd) == 0 && close(fd) == 0) {
        fd = -1;
        if (rename(tmp, path) == 0)
            err = MOBID_OK;
    }
done:
    if (fd >= 0)
        close(fd);
    if (err != MOBID_OK) {
        fprintf(stderr, "mobid: cannot write %s: %s\n", path, strerror(errno));
        unlink(tmp);
    }
    free(tmp);
    return err;
}

/* JWK files are loaded by the jose adapter when it is linked in. */
mobid_err cli_load_key_jwk(mobid_view json, mobid_key **out) __attribute__((weak));

mobid_err cli_load_key(const char *path, mobid_key **out)
{
    mobid_buf text;
    mobid_err err = cli_read_file(path, &text);
    if (err != MOBID_OK)
        return err;
    size_t i = 0;
    while (i < text.len && (text.ptr[i] == ' ' || text.ptr[i] == '\n' || text.ptr[i] == '\t' ||
                            text.ptr[i] == '\r'))
        i++;
    if (i < text.len && text.ptr[i] == '{' && cli_load_key_jwk)
        err = cli_load_key_jwk(mobid_buf_view(&text), out);
    else
        err = mobid_key_from_pem(mobid_buf_view(&text), out);
    if (err != MOBID_OK)
        fprintf(stderr, "mobid: %s: not a usable key (%s)\n", path, mobid_svc_strerror(err));
    mobid_buf_free(&text);
    return err;
}

mobid_err cli_parse_time(const char *s, mobid_time *out)
{
    mobid_err err = mobid_time_parse_rfc3339(mobid_view_str(s), out, NULL);
    if (err != MOBID_OK)
        fprintf(stderr, "mobid: '%s' is not an RFC 3339 date-time\n", s);
    return err;
}

void cli_print_json(const json_t *j)
{
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (s) {
        puts(s);
        free(s);
    }
    fflush(stdout);
}

int cli_fail(bool json, mobid_err err, const char *detail)
{
    if (json) {
        json_t *o = json_pack("{s:b,s:s,s:s}", "valid", 0, "error", mobid_svc_err_name(err), "detail",
                              detail ? detail : mobid_svc_strerror(err));
        cli_print_json(o);
        json_decref(o);
    }
    fprintf(stderr, "mobid: %s: %s\n", mobid_svc_err_name(err), detail ? detail : mobid_svc_strerror(err));
    return CLI_EXIT_FAIL;
}

int cli_usage_error(const char *usage, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("mobid: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    if (usage)
        fprintf(stderr, "%s", usage);
    return CLI_EXIT_USAGE;
}

char **cli_split_commas(const char *s)
{
    size_t n = 1;
    for (const char *p = s; *p; p++)
        n += *p == ',';
    char **v = calloc(n + 1, sizeof *v);
    if (!v)
        return NULL;
    size_t k = 0;
    const char *start = s;
    for (const char *p = s;; p++) {
        if (*p == ',' || *p == 0) {
            if (p > start) {
                v[k] = strndup(start, (size_t)(p - start));
                if (!v[k]) {
                    cli_strv_free(v);
                    return NULL;
                }
                k++;
            }
            if (*p == 0)
                break;
            start = p + 1;
        }
    }
    return v;
}

void cli_strv_free(char **v)
{
    if (!v)
        return;
    for (char **p = v; *p; p++)
        free(*p);
    free(v);
}

/* Options past this many in one subcommand are a programming error. */
#define CLI_MAX_OPTS 32

int cli_parse(int argc, char **argv, const cli_opt *opts, int operands, const char *usage)
{
    struct option lo[CLI_MAX_OPTS + 2];
    size_t n = 0;
    int c;

    for (; opts[n].name; n++) {
        if (n == CLI_MAX_OPTS)
            abort();
        lo[n] = (struct option){ opts[n].name, opts[n].value ? required_argument : no_argument,
                                 NULL, 256 + (int)n }; /* above any char getopt returns */
    }
    lo[n] = (struct option){ "help", no_argument, NULL, 'h' };
    lo[n + 1] = (struct option){ 0 };
    optind = 1; /* getopt keeps its place in a global: start over for this argv */
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        if (c == 'h') {
            fputs(usage, stdout);
            return CLI_EXIT_OK;
        }
        if (c < 256) { /* getopt has said which option it did not know */
            fputs(usage, stderr);
            return CLI_EXIT_USAGE;
        }
        if (opts[c - 256].value)
            *opts[c - 256].value = optarg;
        else
            *opts[c - 256].flag = true;
    }
    if (operands < 0 || argc - optind == operands)
        return CLI_RUN;
    if (argc - optind > operands)
        return cli_usage_error(usage, "unexpected argument %s", argv[optind + operands]);
    return cli_usage_error(usage, "missing argument");
}
