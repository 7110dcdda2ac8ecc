/* src/http: a small Prometheus registry (counters, gauges, request histograms). */
#include "http/metrics.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define METRIC_HISTOGRAM 3
/* Series are keyed by route pattern, status class and the services' own labels, so a
 * few hundred is plenty; the cap is a backstop that keeps a label fed from input by
 * mistake from growing memory without bound (adds past it fail with LIMIT). */
#define MAX_SERIES 1000

static const double bucket_le[] = { 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                     0.1,    0.25,  0.5,    1,     2.5,  5,     10 };
#define NBUCKETS (sizeof bucket_le / sizeof *bucket_le)

typedef struct series {
    struct series *next;
    char *labels; /* rendered: a="x",b="y" (may be empty) */
    double value; /* counter/gauge value, or histogram sum */
    uint64_t count;
    uint64_t buckets[NBUCKETS];
} series;

typedef struct family {
    struct family *next;
    char *name;
    char *help;
    int type;
    size_t nseries;
    series *series;
} family;

struct mobid_metrics {
    pthread_mutex_t lock;
    family *families;
};

static const char REQ_TOTAL[] = "mobid_http_requests_total";
static const char REQ_SECONDS[] = "mobid_http_request_duration_seconds";

static bool valid_name(const char *s, bool colon)
{
    if (!s || !*s || (*s >= '0' && *s <= '9'))
        return false;
    for (; *s; s++) {
        char c = *s;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || (colon && c == ':');
        if (!ok)
            return false;
    }
    return true;
}

static family *find_family(mobid_metrics *m, const char *name)
{
    for (family *f = m->families; f; f = f->next)
        if (!strcmp(f->name, name))
            return f;
    return NULL;
}

static mobid_err declare_locked(mobid_metrics *m, const char *name, const char *help, int type)
{
    family *f = find_family(m, name);
    if (f)
        return f->type == type ? MOBID_OK : MOBID_ERR_INVALID_ARG;
    f = mobid_calloc(1, sizeof *f);
    if (!f)
        return MOBID_ERR_NOMEM;
    f->name = mobid_view_strdup(mobid_view_str(name));
    f->help = mobid_view_strdup(mobid_view_str(help ? help : ""));
    if (!f->name || !f->help) {
        mobid_free(f->name);
        mobid_free(f->help);
        mobid_free(f);
        return MOBID_ERR_NOMEM;
    }
    f->type = type;
    /* Append so the output keeps declaration order. */
    family **p = &m->families;
    while (*p)
        p = &(*p)->next;
    *p = f;
    return MOBID_OK;
}

mobid_err mobid_metrics_new(mobid_metrics **out)
{
    mobid_metrics *m = mobid_calloc(1, sizeof *m);
    if (!m)
        return MOBID_ERR_NOMEM;
    pthread_mutex_init(&m->lock, NULL);
    mobid_err err = declare_locked(m, REQ_TOTAL, "HTTP requests by route, method and status class",
                                   MOBID_METRIC_COUNTER);
    if (err == MOBID_OK)
        err = declare_locked(m, REQ_SECONDS, "HTTP request latency by route, method and status class",
                             METRIC_HISTOGRAM);
    if (err != MOBID_OK) {
        mobid_metrics_free(m);
        return err;
    }
    *out = m;
    return MOBID_OK;
}

void mobid_metrics_free(mobid_metrics *m)
{
    if (!m)
        return;
    for (family *f = m->families, *fn; f; f = fn) {
        fn = f->next;
        for (series *s = f->series, *sn; s; s = sn) {
            sn = s->next;
            mobid_free(s->labels);
            mobid_free(s);
        }
        mobid_free(f->name);
        mobid_free(f->help);
        mobid_free(f);
    }
    pthread_mutex_destroy(&m->lock);
    mobid_free(m);
}

mobid_err mobid_metrics_declare(mobid_metrics *m, const char *name, const char *help,
                                mobid_metric_type type)
{
    if (!m || !valid_name(name, true) || (type != MOBID_METRIC_COUNTER && type != MOBID_METRIC_GAUGE))
        return MOBID_ERR_INVALID_ARG;
    pthread_mutex_lock(&m->lock);
    mobid_err err = declare_locked(m, name, help, (int)type);
    pthread_mutex_unlock(&m->lock);
    return err;
}

/* Render labels as a="x",b="y" with \\, \" and \n escaped. */
static mobid_err render_labels(const char *const *labels, mobid_buf *out)
{
    for (size_t i = 0; labels && labels[i]; i += 2) {
        if (!valid_name(labels[i], false) || !labels[i + 1])
            return MOBID_ERR_INVALID_ARG;
        if (i)
            mobid_buf_append_byte(out, ',');
        mobid_buf_append_str(out, labels[i]);
        mobid_buf_append_str(out, "=\"");
        for (const char *v = labels[i + 1]; *v; v++) {
            if (*v == '\\' || *v == '"')
                mobid_buf_append_byte(out, '\\');
            if (*v == '\n')
                mobid_buf_append_str(out, "\\n");
            else
                mobid_buf_append_byte(out, (uint8_t)*v);
        }
        mobid_buf_append_byte(out, '"');
    }
    mobid_buf_terminate(out);
    return out->err;
}

/* Find or create the series of f with rendered labels k; caller holds the lock. */
static mobid_err series_of(family *f, const char *k, series **out)
{
    series *s = NULL;
    mobid_err err = MOBID_OK;
    for (s = f->series; s; s = s->next)
        if (!strcmp(s->labels, k))
            break;
    if (!s) {
        err = f->nseries >= MAX_SERIES ? MOBID_ERR_LIMIT : MOBID_OK;
        if (err == MOBID_OK && !(s = mobid_calloc(1, sizeof *s)))
            err = MOBID_ERR_NOMEM;
        if (err == MOBID_OK && !(s->labels = mobid_view_strdup(mobid_view_str(k)))) {
            mobid_free(s);
            s = NULL;
            err = MOBID_ERR_NOMEM;
        }
        if (err == MOBID_OK) {
            series **p = &f->series;
            while (*p)
                p = &(*p)->next;
            *p = s;
            f->nseries++;
        }
    }
    *out = s;
    return err;
}

/* Find or create the series of f with the given labels; caller holds the lock. */
static mobid_err get_series(family *f, const char *const *labels, series **out)
{
    mobid_buf key;
    mobid_buf_init(&key, 4096);
    mobid_err err = render_labels(labels, &key);
    *out = NULL;
    if (err == MOBID_OK)
        err = series_of(f, key.ptr ? (const char *)key.ptr : "", out);
    mobid_buf_free(&key);
    return err;
}

static mobid_err update(mobid_metrics *m, const char *name, const char *const *labels, double v,
                        bool set)
{
    if (!m || !name)
        return MOBID_ERR_INVALID_ARG;
    pthread_mutex_lock(&m->lock);
    family *f = find_family(m, name);
    series *s = NULL;
    mobid_err err = !f ? MOBID_ERR_NOT_FOUND : MOBID_OK;
    if (err == MOBID_OK && (f->type == METRIC_HISTOGRAM ||
                            (f->type == MOBID_METRIC_COUNTER && (set || v < 0))))
        err = MOBID_ERR_INVALID_ARG;
    if (err == MOBID_OK)
        err = get_series(f, labels, &s);
    if (err == MOBID_OK)
        s->value = set ? v : s->value + v;
    pthread_mutex_unlock(&m->lock);
    return err;
}

mobid_err mobid_metrics_add(mobid_metrics *m, const char *name, const char *const *labels, double v)
{
    return update(m, name, labels, v, false);
}

mobid_err mobid_metrics_set(mobid_metrics *m, const char *name, const char *const *labels, double v)
{
    return update(m, name, labels, v, true);
}

static const char *method_label(const char *method)
{
    static const char *known[] = { "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS" };
    for (size_t i = 0; method && i < sizeof known / sizeof *known; i++)
        if (!strcmp(method, known[i]))
            return known[i];
    return "other";
}

void mobid_metrics_observe_request(mobid_metrics *m, const char *route, const char *method,
                                   unsigned status, double seconds)
{
    char cls[4] = { (char)('0' + (status / 100) % 10), 'x', 'x', 0 };
    const char *labels[] = { "route",  route ? route : "unmatched", "method", method_label(method),
                             "status", cls,                         NULL };
    mobid_buf key;
    series *s = NULL;
    /* rendered once for both families, and outside the lock the event threads share */
    mobid_buf_init(&key, 4096);
    if (render_labels(labels, &key) != MOBID_OK || !key.ptr) {
        mobid_buf_free(&key);
        return;
    }
    pthread_mutex_lock(&m->lock);
    if (series_of(find_family(m, REQ_TOTAL), (const char *)key.ptr, &s) == MOBID_OK)
        s->value += 1;
    if (series_of(find_family(m, REQ_SECONDS), (const char *)key.ptr, &s) == MOBID_OK) {
        s->value += seconds;
        s->count++;
        for (size_t i = 0; i < NBUCKETS; i++)
            s->buckets[i] += seconds <= bucket_le[i];
    }
    pthread_mutex_unlock(&m->lock);
    mobid_buf_free(&key);
}

static void append_num(mobid_buf *out, double v)
{
    char num[40];
    if (v == (double)(int64_t)v && v < 1e15 && v > -1e15)
        snprintf(num, sizeof num, "%lld", (long long)v);
    else
        snprintf(num, sizeof num, "%.9g", v);
    mobid_buf_append_str(out, num);
}

/* name{labels[,extra]} value\n */
static void sample(mobid_buf *out, const char *name, const char *suffix, const char *labels,
                   const char *extra, double v)
{
    mobid_buf_append_str(out, name);
    mobid_buf_append_str(out, suffix);
    if (*labels || extra) {
        mobid_buf_append_byte(out, '{');
        mobid_buf_append_str(out, labels);
        if (*labels && extra)
            mobid_buf_append_byte(out, ',');
        if (extra)
            mobid_buf_append_str(out, extra);
        mobid_buf_append_byte(out, '}');
    }
    mobid_buf_append_byte(out, ' ');
    append_num(out, v);
    mobid_buf_append_byte(out, '\n');
}

static void render_histogram(mobid_buf *out, const family *f, const series *s)
{
    char le[48];
    for (size_t i = 0; i < NBUCKETS; i++) {
        snprintf(le, sizeof le, "le=\"%g\"", bucket_le[i]);
        sample(out, f->name, "_bucket", s->labels, le, (double)s->buckets[i]);
    }
    sample(out, f->name, "_bucket", s->labels, "le=\"+Inf\"", (double)s->count);
    sample(out, f->name, "_sum", s->labels, NULL, s->value);
    sample(out, f->name, "_count", s->labels, NULL, (double)s->count);
}

mobid_err mobid_metrics_render(mobid_metrics *m, mobid_buf *out)
{
    static const char *type_names[] = { "", "counter", "gauge", "histogram" };
    pthread_mutex_lock(&m->lock);
    for (const family *f = m->families; f; f = f->next) {
        mobid_buf_append_str(out, "# HELP ");
        mobid_buf_append_str(out, f->name);
        mobid_buf_append_byte(out, ' ');
        for (const char *h = f->help; *h; h++) /* help escapes \\ and \n only */
            mobid_buf_append_str(out, *h == '\\' ? "\\\\" : *h == '\n' ? "\\n" : (char[2]){ *h, 0 });
        mobid_buf_append_str(out, "\n# TYPE ");
        mobid_buf_append_str(out, f->name);
        mobid_buf_append_byte(out, ' ');
        mobid_buf_append_str(out, type_names[f->type]);
        mobid_buf_append_byte(out, '\n');
        for (const series *s = f->series; s; s = s->next) {
            if (f->type == METRIC_HISTOGRAM)
                render_histogram(out, f, s);
            else
                sample(out, f->name, "", s->labels, NULL, s->value);
        }
    }
    pthread_mutex_unlock(&m->lock);
    return out->err;
}
