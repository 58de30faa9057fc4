/*
 * ISO 8601 dates of the campaigns file, to unix seconds.
 *
 *     2026-11-01T00:00:00Z            UTC
 *     2026-11-01T09:30:00+01:00       with an offset ("+0100" too)
 *     2026-11-01T09:30Z               seconds may be left out
 *     2026-11-01T00:00:00.000Z        fractions are ignored
 *     2026-11-01                      a whole day, UTC: its first second,
 *                                     or with end_of_day its last
 *
 * A time of day needs its zone: "2026-11-01T09:00:00" alone is refused
 * rather than guessed.
 */

#include "omni_campaigns_int.h"


static int omni_date_digits(const char *s, size_t n, int *v);
static int64_t omni_days_from_civil(int64_t y, int m, int d);


static int
omni_date_digits(const char *s, size_t n, int *v)
{
    size_t  i;

    *v = 0;

    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return 0;
        }

        *v = *v * 10 + (s[i] - '0');
    }

    return 1;
}


/* days since 1970-01-01 of a proleptic Gregorian date */

static int64_t
omni_days_from_civil(int64_t y, int m, int d)
{
    int64_t  era, yoe, doy, doe;

    y -= (m <= 2);
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

    return era * 146097 + doe - 719468;
}


int
omni_date_parse(const char *s, size_t len, int end_of_day, int64_t *t)
{
    int      y, mo, d, h, mi, sec, oh, om, sign, leap;
    size_t   i;
    int64_t  v;

    static const int  mdays[] = {
        31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
    };

    if (len < 10
        || !omni_date_digits(s, 4, &y) || s[4] != '-'
        || !omni_date_digits(s + 5, 2, &mo) || s[7] != '-'
        || !omni_date_digits(s + 8, 2, &d))
    {
        return OMNI_EINVAL;
    }

    leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

    if (y < 1970 || mo < 1 || mo > 12 || d < 1
        || d > mdays[mo - 1] + (mo == 2 && leap))
    {
        return OMNI_EINVAL;
    }

    v = omni_days_from_civil(y, mo, d) * 86400;

    if (len == 10) {
        *t = end_of_day ? v + 86399 : v;
        return OMNI_OK;
    }

    if ((s[10] != 'T' && s[10] != 't' && s[10] != ' ') || len < 17
        || !omni_date_digits(s + 11, 2, &h) || s[13] != ':'
        || !omni_date_digits(s + 14, 2, &mi))
    {
        return OMNI_EINVAL;
    }

    i = 16;
    sec = 0;

    if (s[i] == ':') {
        if (len < i + 3 || !omni_date_digits(s + i + 1, 2, &sec)) {
            return OMNI_EINVAL;
        }

        i += 3;

        if (i < len && s[i] == '.') {
            for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
                /* void */
            }

            if (s[i - 1] == '.') {
                return OMNI_EINVAL;
            }
        }
    }

    if (h > 23 || mi > 59 || sec > 59 || i >= len) {
        return OMNI_EINVAL;
    }

    v += h * 3600 + mi * 60 + sec;

    if ((s[i] == 'Z' || s[i] == 'z') && i + 1 == len) {
        *t = v;
        return OMNI_OK;
    }

    if (s[i] != '+' && s[i] != '-') {
        return OMNI_EINVAL;
    }

    sign = (s[i] == '-') ? -1 : 1;
    i++;

    if (len == i + 5 && s[i + 2] == ':') {
        if (!omni_date_digits(s + i, 2, &oh)
            || !omni_date_digits(s + i + 3, 2, &om))
        {
            return OMNI_EINVAL;
        }

    } else if (len == i + 4) {
        if (!omni_date_digits(s + i, 2, &oh)
            || !omni_date_digits(s + i + 2, 2, &om))
        {
            return OMNI_EINVAL;
        }

    } else {
        return OMNI_EINVAL;
    }

    if (oh > 14 || om > 59) {
        return OMNI_EINVAL;
    }

    /* local time = UTC + offset */
    *t = v - sign * (oh * 3600 + om * 60);

    return OMNI_OK;
}


int
omni_time_parse(const char *s, size_t len, int64_t *t)
{
    size_t   i;
    int64_t  v;

    for (i = 0, v = 0; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
        if (v > (INT64_MAX - 9) / 10) {
            return OMNI_EINVAL;
        }

        v = v * 10 + (s[i] - '0');
    }

    if (len > 0 && i == len) {
        *t = v;
        return OMNI_OK;
    }

    return omni_date_parse(s, len, 0, t);
}
