/*
 * lmdb_hold: holds resources of an LMDB environment, for the fault tests
 * (tests/nginx/test_faults.py), until its standard input closes.
 *
 *     lmdb_hold readers DIR     every free reader slot (read transactions
 *                               until MDB_READERS_FULL); prints "held N",
 *                               and takes every slot freed later too
 *     lmdb_hold writer DIR      the writer's lock (a write transaction);
 *                               prints "held 1"
 *
 * DIR is an environment directory (data.mdb and lock.mdb), opened as it
 * is: the slots are those of the lock file nginx's workers use.
 */

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lmdb.h>


#define HOLD_MAX  100000


int
main(int argc, char **argv)
{
    int       rc, n, writer;
    MDB_env  *env;
    MDB_txn  *txn;

    if (argc != 3
        || (strcmp(argv[1], "readers") != 0 && strcmp(argv[1], "writer") != 0))
    {
        fprintf(stderr, "usage: lmdb_hold readers|writer DIR\n");
        return 2;
    }

    writer = (strcmp(argv[1], "writer") == 0);

    rc = mdb_env_create(&env);
    if (rc == 0) {
        /* as the workers do: the first opener sizes the table */
        rc = mdb_env_set_maxreaders(env, 1024);
    }

    if (rc == 0) {
        rc = mdb_env_set_maxdbs(env, 4);
    }

    if (rc == 0) {
        rc = mdb_env_open(env, argv[2], MDB_NOTLS, 0640);
    }

    if (rc != 0) {
        fprintf(stderr, "lmdb_hold: %s: %s\n", argv[2], mdb_strerror(rc));
        return 1;
    }

    n = 0;

    if (writer) {
        rc = mdb_txn_begin(env, NULL, 0, &txn);
        if (rc != 0) {
            fprintf(stderr, "lmdb_hold: mdb_txn_begin(): %s\n",
                    mdb_strerror(rc));
            return 1;
        }

        n = 1;

    } else {
        while (n < HOLD_MAX) {
            rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn);
            if (rc != 0) {
                break;
            }

            n++;
        }

        if (rc != MDB_READERS_FULL) {
            fprintf(stderr, "lmdb_hold: after %d readers: %s\n", n,
                    mdb_strerror(rc));
            return 1;
        }
    }

    printf("held %d\n", n);
    fflush(stdout);

    for ( ;; ) {
        struct pollfd  pfd = { 0, POLLIN, 0 };
        char           buf[64];

        if (poll(&pfd, 1, 5) > 0 && read(0, buf, sizeof(buf)) <= 0) {
            break;
        }

        /* a slot a dead or leaving process freed is taken at once */
        while (!writer && n < HOLD_MAX
               && mdb_txn_begin(env, NULL, MDB_RDONLY, &txn) == 0)
        {
            n++;
        }
    }

    /* exiting frees the slots and the lock */
    return 0;
}
