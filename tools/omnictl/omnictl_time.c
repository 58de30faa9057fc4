/*
 * Durations on the command line, in nginx's units: "90", "30s", "30m",
 * "24h", "7d", "2w".
 */

#include <errno.h>
#include <stdlib.h>

#include "omnictl.h"


int
omnictl_parse_duration(const char *text, int64_t *seconds)
{
    char                *end;
    int64_t              unit;
    unsigned long long   n;

    errno = 0;
    n = strtoull(text, &end, 10);

    if (errno != 0 || end == text || text[0] == '-' || text[0] == '+') {
        return -1;
    }

    switch (*end) {

    case '\0':
    case 's':
        unit = 1;
        break;

    case 'm':
        unit = 60;
        break;

    case 'h':
        unit = 3600;
        break;

    case 'd':
        unit = 86400;
        break;

    case 'w':
        unit = 7 * 86400;
        break;

    default:
        return -1;
    }

    if (*end != '\0' && end[1] != '\0') {
        return -1;
    }

    /* a hundred years is plenty, and keeps every sum far from overflow */
    if (n > (unsigned long long) (100LL * 366 * 86400) / unit) {
        return -1;
    }

    *seconds = (int64_t) n * unit;

    return 0;
}
