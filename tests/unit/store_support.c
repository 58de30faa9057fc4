/*
 * Helpers for the record and store tests.
 */

#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <omni/wire.h>

#include "store_support.h"


char *
test_tmpdir(void)
{
    char  tmpl[] = "/tmp/omni-unit-XXXXXX";
    char *dir;

    dir = mkdtemp(tmpl);
    if (dir == NULL) {
        perror("mkdtemp");
        abort();
    }

    return strdup(dir);
}


void
test_rmtree(const char *dir)
{
    char  cmd[512];

    /* only what test_tmpdir() made */
    if (strncmp(dir, "/tmp/omni-unit-", 15) != 0 || strchr(dir, '\'')) {
        return;
    }

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);

    if (system(cmd) != 0) {
        fprintf(stderr, "cannot remove %s\n", dir);
    }
}


void
test_reseal(uint8_t *rec, size_t len)
{
    uint32_t  crc;

    crc = omni_crc32c(rec, len - 4);

    rec[len - 4] = (uint8_t) crc;
    rec[len - 3] = (uint8_t) (crc >> 8);
    rec[len - 2] = (uint8_t) (crc >> 16);
    rec[len - 1] = (uint8_t) (crc >> 24);
}
