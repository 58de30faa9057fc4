/*
 * Helpers shared by the store verbs.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "omnictl.h"


void
omnictl_error(const char *fmt, ...)
{
    va_list  args;

    fputs("omnictl: ", stderr);

    va_start(args, fmt);
    vfprintf(stderr, fmt, args);
    va_end(args);

    fputc('\n', stderr);
}


int
omnictl_usage_error(const char *help, const char *fmt, ...)
{
    va_list  args;

    if (fmt) {
        fputs("omnictl: ", stderr);

        va_start(args, fmt);
        vfprintf(stderr, fmt, args);
        va_end(args);

        fputs("\n\n", stderr);
    }

    fputs(help, stderr);

    return OMNICTL_EUSAGE;
}


int
omnictl_parse_size(const char *text, size_t *size)
{
    char                *end;
    unsigned             shift;
    unsigned long long   n;

    errno = 0;
    n = strtoull(text, &end, 10);

    if (errno != 0 || end == text || text[0] == '-') {
        return -1;
    }

    switch (*end) {

    case '\0':
        shift = 0;
        break;

    case 'k': case 'K':
        shift = 10;
        end++;
        break;

    case 'm': case 'M':
        shift = 20;
        end++;
        break;

    case 'g': case 'G':
        shift = 30;
        end++;
        break;

    default:
        return -1;
    }

    if (*end != '\0' || n == 0 || n > (~0ULL >> (shift + 1))) {
        return -1;
    }

    *size = (size_t) (n << shift);

    return 0;
}


int
omnictl_parse_visitor(const char *text, omni_id_t *id)
{
    size_t       len;
    const char  *p;

    len = strlen(text);

    /* the whole cookie value: v1.<id>.<mac> */
    if (len > 3 && strncmp(text, "v1.", 3) == 0) {
        text += 3;
        p = strchr(text, '.');
        len = p ? (size_t) (p - text) : strlen(text);
    }

    return omni_id_parse(text, len, id) == OMNI_OK ? 0 : -1;
}
