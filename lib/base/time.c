/* RFC 3339 date-times and full-dates, civil calendar arithmetic, the clock. */
#include <mobid/base.h>

#include <stdio.h>
#include <time.h>

static bool clock_pinned;
static mobid_time clock_value;

mobid_time mobid_now(void) { return clock_pinned ? clock_value : (mobid_time)time(NULL); }

void mobid_clock_pin(mobid_time t)
{
    clock_pinned = true;
    clock_value = t;
}

void mobid_clock_unpin(void) { clock_pinned = false; }

/* Days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant's algorithm). */
int64_t mobid_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void mobid_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static bool leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static unsigned month_days(int64_t y, unsigned m)
{
    static const unsigned days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    return m == 2 && leap(y) ? 29 : days[m - 1];
}

/* Read exactly n decimal digits at s[*i]. */
static bool digits(mobid_view s, size_t *i, unsigned n, unsigned *out)
{
    if (s.len - *i < n)
        return false;
    unsigned v = 0;
    for (unsigned k = 0; k < n; k++) {
        uint8_t c = s.ptr[*i + k];
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (c - '0');
    }
    *i += n;
    *out = v;
    return true;
}

static bool expect(mobid_view s, size_t *i, char c)
{
    if (*i >= s.len || (s.ptr[*i] != (uint8_t)c))
        return false;
    (*i)++;
    return true;
}

static bool parse_date_at(mobid_view s, size_t *i, int64_t *days)
{
    unsigned y = 0, m = 0, d = 0;
    if (!digits(s, i, 4, &y) || !expect(s, i, '-') || !digits(s, i, 2, &m) || !expect(s, i, '-') ||
        !digits(s, i, 2, &d))
        return false;
    if (m < 1 || m > 12 || d < 1 || d > month_days(y, m))
        return false;
    *days = mobid_days_from_civil(y, m, d);
    return true;
}

mobid_err mobid_date_parse(mobid_view s, int64_t *days)
{
    size_t i = 0;
    if (!parse_date_at(s, &i, days) || i != s.len)
        return MOBID_ERR_BAD_TIME;
    return MOBID_OK;
}

mobid_err mobid_time_parse_rfc3339(mobid_view s, mobid_time *out, bool *has_fraction)
{
    size_t i = 0;
    int64_t days;
    unsigned hh = 0, mm = 0, ss = 0;
    if (has_fraction)
        *has_fraction = false;
    if (!parse_date_at(s, &i, &days))
        return MOBID_ERR_BAD_TIME;
    if (i >= s.len || (s.ptr[i] != 'T' && s.ptr[i] != 't'))
        return MOBID_ERR_BAD_TIME;
    i++;
    if (!digits(s, &i, 2, &hh) || !expect(s, &i, ':') || !digits(s, &i, 2, &mm) ||
        !expect(s, &i, ':') || !digits(s, &i, 2, &ss))
        return MOBID_ERR_BAD_TIME;
    if (hh > 23 || mm > 59 || ss > 60)
        return MOBID_ERR_BAD_TIME;
    if (ss == 60) /* a leap second is read as the last second of its minute */
        ss = 59;
    if (i < s.len && s.ptr[i] == '.') {
        size_t start = ++i;
        while (i < s.len && s.ptr[i] >= '0' && s.ptr[i] <= '9')
            i++;
        if (i == start)
            return MOBID_ERR_BAD_TIME;
        if (has_fraction)
            *has_fraction = true;
    }
    int64_t offset = 0;
    if (i < s.len && (s.ptr[i] == 'Z' || s.ptr[i] == 'z')) {
        i++;
    } else if (i < s.len && (s.ptr[i] == '+' || s.ptr[i] == '-')) {
        int sign = s.ptr[i] == '-' ? -1 : 1;
        unsigned oh = 0, om = 0;
        i++;
        if (!digits(s, &i, 2, &oh) || !expect(s, &i, ':') || !digits(s, &i, 2, &om) || oh > 23 ||
            om > 59)
            return MOBID_ERR_BAD_TIME;
        offset = sign * (int64_t)(oh * 3600 + om * 60);
    } else {
        return MOBID_ERR_BAD_TIME;
    }
    if (i != s.len)
        return MOBID_ERR_BAD_TIME;
    *out = days * 86400 + hh * 3600 + mm * 60 + ss - offset;
    return MOBID_OK;
}

mobid_err mobid_time_format_rfc3339(mobid_time t, char out[21])
{
    int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
    int64_t secs = t - days * 86400;
    int64_t y;
    unsigned m, d;
    mobid_civil_from_days(days, &y, &m, &d);
    if (y < 0 || y > 9999)
        return MOBID_ERR_BAD_TIME;
    snprintf(out, 21, "%04d-%02u-%02uT%02u:%02u:%02uZ", (int)y, m, d, (unsigned)(secs / 3600),
             (unsigned)(secs / 60 % 60), (unsigned)(secs % 60));
    return MOBID_OK;
}

mobid_err mobid_date_format(int64_t days, char out[11])
{
    int64_t y;
    unsigned m, d;
    mobid_civil_from_days(days, &y, &m, &d);
    if (y < 0 || y > 9999)
        return MOBID_ERR_BAD_TIME;
    snprintf(out, 11, "%04d-%02u-%02u", (int)y, m, d);
    return MOBID_OK;
}

int64_t mobid_age_years(int64_t birth, int64_t today)
{
    int64_t by, ty;
    unsigned bm, bd, tm, td;

    mobid_civil_from_days(birth, &by, &bm, &bd);
    mobid_civil_from_days(today, &ty, &tm, &td);
    /* not yet had this year's birthday: a 29 February birthday falls after
     * 28 February, so it is first had on 1 March in a common year */
    return ty - by - ((tm < bm || (tm == bm && td < bd)) ? 1 : 0);
}
