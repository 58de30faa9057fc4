/*
 * omnictl gen-secret FILE: 32 random bytes, hex encoded, mode 0600.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "omnictl.h"


static const char  omnictl_gen_secret_help[] =
    "usage: omnictl gen-secret [--force] FILE\n"
    "\n"
    "Writes a new random key for the omni_secret directive: 32 bytes from\n"
    "the system's CSPRNG as 64 hex digits, readable by the owner only.\n"
    "An existing FILE is kept unless --force is given: replacing the key\n"
    "makes every visitor cookie issued with the old one invalid.\n";


int
omnictl_wants_help(int argc, char **argv)
{
    int  i;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            return 1;
        }
    }

    return 0;
}


int
omnictl_gen_secret(int argc, char **argv)
{
    int            fd, i, force, flags;
    char           hex[65];
    const char    *path;
    unsigned char  key[32];

    if (omnictl_wants_help(argc, argv)) {
        fputs(omnictl_gen_secret_help, stdout);
        return OMNICTL_OK;
    }

    force = 0;
    path = NULL;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--force") == 0) {
            force = 1;

        } else if (argv[i][0] == '-' || path != NULL) {
            fputs(omnictl_gen_secret_help, stderr);
            return OMNICTL_EUSAGE;

        } else {
            path = argv[i];
        }
    }

    if (path == NULL) {
        fputs(omnictl_gen_secret_help, stderr);
        return OMNICTL_EUSAGE;
    }

    if (RAND_bytes(key, sizeof(key)) != 1) {
        fprintf(stderr, "omnictl: the system's random generator failed\n");
        return OMNICTL_EDATA;
    }

    for (i = 0; i < 32; i++) {
        snprintf(hex + 2 * i, 3, "%02x", key[i]);
    }

    hex[64] = '\n';

    flags = O_WRONLY | O_CREAT | (force ? O_TRUNC : O_EXCL);

    fd = open(path, flags, 0600);
    if (fd == -1) {
        fprintf(stderr, "omnictl: cannot create \"%s\": %s%s\n", path,
                strerror(errno),
                errno == EEXIST ? " (use --force to replace it)" : "");
        return OMNICTL_EDATA;
    }

    if (write(fd, hex, sizeof(hex)) != (ssize_t) sizeof(hex)
        || fsync(fd) != 0)
    {
        fprintf(stderr, "omnictl: cannot write \"%s\": %s\n", path,
                strerror(errno));
        close(fd);
        return OMNICTL_EDATA;
    }

    close(fd);

    return OMNICTL_OK;
}
