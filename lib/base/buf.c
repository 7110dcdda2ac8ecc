/* Owned, bounded byte buffers with a sticky error, and the allocation hook. */
#include <mobid/base.h>

#include <stdlib.h>
#include <string.h>

static long alloc_countdown = -1;

/* The failing-allocator test mode: once the countdown reaches zero, every
 * allocation fails, so tests can walk each error path. */
static bool alloc_should_fail(void)
{
    if (alloc_countdown < 0)
        return false;
    if (alloc_countdown == 0)
        return true;
    alloc_countdown--;
    return false;
}

void mobid_alloc_fail_after(long countdown) { alloc_countdown = countdown; }

void *mobid_malloc(size_t n) { return alloc_should_fail() ? NULL : malloc(n ? n : 1); }

void *mobid_calloc(size_t count, size_t n)
{
    return alloc_should_fail() ? NULL : calloc(count ? count : 1, n ? n : 1);
}

void *mobid_realloc(void *p, size_t n) { return alloc_should_fail() ? NULL : realloc(p, n ? n : 1); }

void mobid_free(void *p) { free(p); }

/* explicit_bzero is a plain memset the compiler may not drop: a byte-at-a-time volatile
 * loop cost more than a percent of a verification (every buffer is wiped on free). */
void mobid_wipe(void *p, size_t n)
{
    if (p && n)
        explicit_bzero(p, n);
}

bool mobid_ct_eq(mobid_view a, mobid_view b)
{
    if (a.len != b.len)
        return false;
    uint8_t acc = 0;
    for (size_t i = 0; i < a.len; i++)
        acc |= a.ptr[i] ^ b.ptr[i];
    return acc == 0;
}

mobid_view mobid_view_str(const char *s)
{
    mobid_view v = { (const uint8_t *)s, s ? strlen(s) : 0 };
    return v;
}

bool mobid_view_eq(mobid_view a, mobid_view b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

bool mobid_view_eq_str(mobid_view a, const char *s) { return mobid_view_eq(a, mobid_view_str(s)); }

void mobid_buf_init(mobid_buf *b, size_t max)
{
    b->ptr = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max ? max : MOBID_BUF_DEFAULT_MAX;
    b->err = MOBID_OK;
}

void mobid_buf_free(mobid_buf *b)
{
    if (b->ptr) {
        mobid_wipe(b->ptr, b->cap);
        free(b->ptr);
    }
    size_t max = b->max;
    mobid_buf_init(b, max);
}

mobid_err mobid_buf_reserve(mobid_buf *b, size_t n)
{
    if (b->err != MOBID_OK)
        return b->err;
    if (b->max == 0)
        b->max = MOBID_BUF_DEFAULT_MAX;
    if (n > b->max || b->len > b->max - n) {
        b->err = MOBID_ERR_TOO_BIG;
        return b->err;
    }
    size_t need = b->len + n + 1; /* room for a terminating NUL */
    if (need <= b->cap)
        return MOBID_OK;
    /* A first allocation takes what is asked (rounded to 64): a decoded JWS payload then
     * gets 768 bytes, not 1024, which keeps it in malloc's small bins; growth doubles. */
    size_t cap = b->cap ? b->cap : (need + 63) & ~(size_t)63;
    if (!cap)
        cap = need; /* need rounded up past SIZE_MAX */
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    /* Grow by copy so old contents can be wiped (buffers may hold secrets). */
    uint8_t *p = mobid_malloc(cap);
    if (!p) {
        b->err = MOBID_ERR_NOMEM;
        return b->err;
    }
    if (b->ptr) {
        memcpy(p, b->ptr, b->len);
        mobid_wipe(b->ptr, b->cap);
        free(b->ptr);
    }
    b->ptr = p;
    b->cap = cap;
    return MOBID_OK;
}

mobid_err mobid_buf_append(mobid_buf *b, const void *p, size_t n)
{
    if (mobid_buf_reserve(b, n) != MOBID_OK)
        return b->err;
    if (n)
        memcpy(b->ptr + b->len, p, n);
    b->len += n;
    return MOBID_OK;
}

mobid_err mobid_buf_append_view(mobid_buf *b, mobid_view v) { return mobid_buf_append(b, v.ptr, v.len); }

mobid_err mobid_buf_append_str(mobid_buf *b, const char *s) { return mobid_buf_append(b, s, strlen(s)); }

mobid_err mobid_buf_append_byte(mobid_buf *b, uint8_t c) { return mobid_buf_append(b, &c, 1); }

mobid_err mobid_buf_terminate(mobid_buf *b)
{
    if (mobid_buf_reserve(b, 0) != MOBID_OK)
        return b->err;
    if (!b->ptr) { /* reserve(0) on an empty buffer allocates the NUL's room */
        b->err = MOBID_ERR_NOMEM;
        return b->err;
    }
    b->ptr[b->len] = 0;
    return MOBID_OK;
}

char *mobid_buf_detach_str(mobid_buf *b)
{
    if (mobid_buf_terminate(b) != MOBID_OK)
        return NULL;
    char *s = (char *)b->ptr;
    b->ptr = NULL;
    b->len = b->cap = 0;
    return s;
}

char *mobid_view_strdup(mobid_view v)
{
    char *s = mobid_malloc(v.len + 1);
    if (!s)
        return NULL;
    if (v.len)
        memcpy(s, v.ptr, v.len);
    s[v.len] = 0;
    return s;
}
