/*
 * omni_id_generate() draws ids from a per-thread pool of CSPRNG output:
 * every id must still be unique, across pool refills, threads and fork().
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <omni/cookie.h>


/* more than one pool (64 ids) so that refills are crossed several times */
#define IDS        1000
#define FORK_IDS   100
#define THREAD_IDS 300


static int
id_compare(const void *a, const void *b)
{
    return memcmp(a, b, OMNI_ID_SIZE);
}


/* sorts and returns the number of adjacent equal ids */
static size_t
count_duplicates(omni_id_t *ids, size_t n)
{
    size_t  i, dups;

    qsort(ids, n, sizeof(omni_id_t), id_compare);

    dups = 0;

    for (i = 1; i < n; i++) {
        dups += memcmp(&ids[i - 1], &ids[i], OMNI_ID_SIZE) == 0;
    }

    return dups;
}


static void
test_ids_are_unique_and_not_wiped(void **state)
{
    size_t     i;
    omni_id_t  ids[IDS];
    static const omni_id_t  zero;

    (void) state;

    for (i = 0; i < IDS; i++) {
        assert_int_equal(omni_id_generate(&ids[i]), OMNI_OK);

        /* the pool wipes what it hands out: never after copying too late */
        assert_memory_not_equal(&ids[i], &zero, OMNI_ID_SIZE);
    }

    assert_int_equal(count_duplicates(ids, IDS), 0);
}


static void
test_ids_look_random(void **state)
{
    size_t     i, ones, bit;
    omni_id_t  id;

    (void) state;

    /* 1000 ids of 128 bits: about 64000 ones, far from 0 or 128000 */
    ones = 0;

    for (i = 0; i < IDS; i++) {
        assert_int_equal(omni_id_generate(&id), OMNI_OK);

        for (bit = 0; bit < OMNI_ID_SIZE * 8; bit++) {
            ones += (id.bytes[bit / 8] >> (bit % 8)) & 1;
        }
    }

    assert_in_range(ones, 62000, 66000);
}


static void
test_fork_child_never_reuses_parent_pool(void **state)
{
    int        fds[2], status;
    pid_t      pid;
    size_t     i, got;
    ssize_t    n;
    omni_id_t  ids[2 * FORK_IDS + 1];

    (void) state;

    /* the parent's pool is now full of ids the child must not see */
    assert_int_equal(omni_id_generate(&ids[0]), OMNI_OK);

    assert_int_equal(pipe(fds), 0);

    pid = fork();
    assert_true(pid >= 0);

    if (pid == 0) {
        close(fds[0]);

        for (i = 0; i < FORK_IDS; i++) {
            if (omni_id_generate(&ids[i]) != OMNI_OK) {
                _exit(1);
            }
        }

        n = write(fds[1], ids, FORK_IDS * sizeof(omni_id_t));
        _exit(n == (ssize_t) (FORK_IDS * sizeof(omni_id_t)) ? 0 : 1);
    }

    close(fds[1]);

    for (i = 1; i <= FORK_IDS; i++) {
        assert_int_equal(omni_id_generate(&ids[i]), OMNI_OK);
    }

    got = 0;

    while (got < FORK_IDS * sizeof(omni_id_t)) {
        n = read(fds[0], (char *) &ids[FORK_IDS + 1] + got,
                 FORK_IDS * sizeof(omni_id_t) - got);
        if (n <= 0) {
            break;
        }

        got += n;
    }

    close(fds[0]);

    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_int_equal(got, FORK_IDS * sizeof(omni_id_t));

    assert_int_equal(count_duplicates(ids, 2 * FORK_IDS + 1), 0);
}


static void *
thread_draw(void *arg)
{
    size_t     i;
    omni_id_t  *ids = arg;

    for (i = 0; i < THREAD_IDS; i++) {
        if (omni_id_generate(&ids[i]) != OMNI_OK) {
            return arg;
        }
    }

    return NULL;
}


static void
test_threads_draw_distinct_ids(void **state)
{
    void       *rv;
    size_t      t;
    pthread_t   th[3];
    omni_id_t  *ids;

    (void) state;

    ids = calloc(3 * THREAD_IDS, sizeof(omni_id_t));
    assert_non_null(ids);

    for (t = 0; t < 3; t++) {
        assert_int_equal(pthread_create(&th[t], NULL, thread_draw,
                                        ids + t * THREAD_IDS), 0);
    }

    for (t = 0; t < 3; t++) {
        assert_int_equal(pthread_join(th[t], &rv), 0);
        assert_null(rv);
    }

    assert_int_equal(count_duplicates(ids, 3 * THREAD_IDS), 0);

    free(ids);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_ids_are_unique_and_not_wiped),
        cmocka_unit_test(test_ids_look_random),
        cmocka_unit_test(test_fork_child_never_reuses_parent_pool),
        cmocka_unit_test(test_threads_draw_distinct_ids),
    };

    return cmocka_run_group_tests_name("id_generate", tests, NULL, NULL);
}
