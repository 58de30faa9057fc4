/*
 * The store, on real LMDB files in a temporary directory: a missing
 * store, lookups, snapshot swaps and the files a swap must refuse,
 * activity links and their index, erasure, map resizes by another
 * process, and stale reader slots.
 */

#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <cmocka.h>

#include <omni/store.h>

#include "store_support.h"


typedef struct {
    void     *last;
    size_t    size;
    int       fail;
} alloc_t;


static void *
test_alloc(void *data, size_t size)
{
    alloc_t  *a = data;

    if (a->fail) {
        return NULL;
    }

    /* one record per lookup: the previous one goes */
    free(a->last);

    a->last = malloc(size);
    a->size = size;

    return a->last;
}


static omni_str_t
str(const char *s)
{
    omni_str_t  r;

    r.data = s;
    r.len = strlen(s);

    return r;
}


static void
assert_text(omni_str_t s, const char *text)
{
    assert_int_equal(s.len, strlen(text));
    assert_memory_equal(s.data, text, s.len);
}


static omni_store_t *
open_store(const char *dir, unsigned flags, size_t map_size)
{
    omni_store_t       *s;
    omni_store_conf_t   conf;

    memset(&conf, 0, sizeof(conf));
    conf.flags = flags;
    conf.map_size = map_size;

    assert_int_equal(omni_store_open(&s, dir, &conf), OMNI_OK);

    return s;
}


/* n profiles "C0".."C<n-1>" with the given tier, through a writer */
static void
write_profiles(const char *dir, int n, const char *tier)
{
    int                   i;
    char                  id[32];
    omni_store_t         *s;
    omni_profile_t        p;
    omni_store_writer_t  *w;

    s = open_store(dir, 0, 0);

    assert_int_equal(omni_store_profiles_begin(s, 256 << 20, 0, &w),
                     OMNI_OK);

    for (i = 0; i < n; i++) {
        snprintf(id, sizeof(id), "C%d", i);

        omni_profile_init(&p);
        p.customer_id = str(id);
        p.first_name = str("Ann");
        p.tier = str(tier);
        p.points = i;
        p.tags[0] = str("vip");
        p.ntags = 1;

        assert_int_equal(omni_store_profile_put(w, &p), OMNI_OK);

        if (i % 1000 == 999) {
            assert_int_equal(omni_store_profiles_flush(w), OMNI_OK);
        }
    }

    assert_int_equal(omni_store_profiles_publish(w), OMNI_OK);

    omni_store_close(s);
}


static void
assert_tier(omni_store_t *s, const char *id, const char *tier)
{
    alloc_t         a;
    omni_profile_t  p;

    memset(&a, 0, sizeof(a));

    assert_int_equal(omni_store_get_profile(s, id, strlen(id), test_alloc,
                                            &a, &p), OMNI_OK);
    assert_text(p.tier, tier);
    assert_text(p.customer_id, id);

    free(a.last);
}


/* a file put in place the way a snapshot is shipped: temp, rename */
static void
install(const char *dir, const void *data, size_t len)
{
    int   fd;
    char  tmp[512], path[512];

    snprintf(tmp, sizeof(tmp), "%s/profiles/.incoming", dir);
    snprintf(path, sizeof(path), "%s/profiles/data.mdb", dir);

    fd = open(tmp, O_WRONLY|O_CREAT|O_TRUNC, 0644);
    assert_true(fd != -1);
    assert_int_equal(write(fd, data, len), (ssize_t) len);
    close(fd);

    assert_int_equal(rename(tmp, path), 0);
}


static void *
read_file(const char *path, size_t *len)
{
    int          fd;
    void        *buf;
    struct stat  st;

    fd = open(path, O_RDONLY);
    assert_true(fd != -1);
    assert_int_equal(fstat(fd, &st), 0);

    buf = malloc(st.st_size + 1);
    assert_non_null(buf);
    assert_int_equal(read(fd, buf, st.st_size), st.st_size);
    close(fd);

    *len = st.st_size;

    return buf;
}


static void
test_missing_store(void **state)
{
    char                *dir;
    alloc_t              a;
    omni_store_t        *s;
    omni_profile_t       p;
    omni_store_event_e   ev;

    (void) state;

    dir = test_tmpdir();
    memset(&a, 0, sizeof(a));

    s = open_store(dir, OMNI_STORE_PROFILES, 0);

    assert_false(omni_store_ready(s, OMNI_STORE_ENV_PROFILES));
    assert_non_null(strstr(omni_store_error(s, OMNI_STORE_ENV_PROFILES),
                           "no profiles store"));
    assert_int_equal(omni_store_get_profile(s, "C1", 2, test_alloc, &a, &p),
                     OMNI_ENOTFOUND);
    assert_null(a.last);

    assert_int_equal(omni_store_check(s, &ev), OMNI_OK);
    assert_int_equal(ev, OMNI_STORE_UNCHANGED);

    /* the store appears later: the next check opens it */
    write_profiles(dir, 3, "gold");

    assert_int_equal(omni_store_check(s, &ev), OMNI_OK);
    assert_int_equal(ev, OMNI_STORE_OPENED);
    assert_true(omni_store_ready(s, OMNI_STORE_ENV_PROFILES));
    assert_tier(s, "C2", "gold");

    omni_store_close(s);

    /* a store directory nobody may create is an error, not a crash */
    s = open_store("/proc/omni-no-such/store", OMNI_STORE_PROFILES
                                               | OMNI_STORE_ACTIVITY, 0);
    assert_false(omni_store_ready(s, OMNI_STORE_ENV_PROFILES));
    assert_false(omni_store_ready(s, OMNI_STORE_ENV_ACTIVITY));
    assert_non_null(strstr(omni_store_error(s, OMNI_STORE_ENV_ACTIVITY),
                           "cannot create"));
    omni_store_close(s);

    test_rmtree(dir);
    free(dir);
}


static void
test_lookup(void **state)
{
    char             *dir;
    alloc_t           a;
    omni_store_t     *s;
    omni_profile_t    p;

    (void) state;

    dir = test_tmpdir();
    write_profiles(dir, 100, "gold");

    s = open_store(dir, OMNI_STORE_PROFILES, 0);
    memset(&a, 0, sizeof(a));

    assert_int_equal(omni_store_get_profile(s, "C42", 3, test_alloc, &a, &p),
                     OMNI_OK);
    assert_text(p.first_name, "Ann");
    assert_true(p.points == 42);
    assert_true(omni_profile_has_tag(&p, "vip", 3));

    /* the view points into the caller's copy, of the record's size */
    assert_true((char *) p.first_name.data > (char *) a.last
                && (char *) p.first_name.data < (char *) a.last + a.size);

    assert_int_equal(omni_store_get_profile(s, "C100", 4, test_alloc, &a,
                                            &p), OMNI_ENOTFOUND);
    assert_int_equal(omni_store_get_profile(s, "", 0, test_alloc, &a, &p),
                     OMNI_ENOTFOUND);

    a.fail = 1;
    assert_int_equal(omni_store_get_profile(s, "C1", 2, test_alloc, &a, &p),
                     OMNI_ERROR);
    a.fail = 0;

    /* many lookups in a row: one transaction, reset each time */
    for (int i = 0; i < 10000; i++) {
        assert_int_equal(omni_store_get_profile(s, "C7", 2, test_alloc, &a,
                                                &p), OMNI_OK);
    }

    free(a.last);
    omni_store_close(s);

    test_rmtree(dir);
    free(dir);
}


static int
count_profile(void *data, const omni_profile_t *p)
{
    (void) p;
    (*(int *) data)++;

    return 0;
}


static void
test_bad_record(void **state)
{
    int                   n;
    char                 *dir;
    alloc_t               a;
    uint64_t              bad;
    omni_store_t         *s;
    omni_profile_t        p;
    omni_store_writer_t  *w;

    (void) state;

    dir = test_tmpdir();
    write_profiles(dir, 3, "gold");

    s = open_store(dir, OMNI_STORE_PROFILES, 0);
    memset(&a, 0, sizeof(a));

    assert_int_equal(omni_store_profiles_begin(s, 0, 0, &w), OMNI_OK);
    assert_int_equal(omni_store_profile_put_record(w, "C9", 2, "\001garbage",
                                                   8), OMNI_OK);
    assert_int_equal(omni_store_profile_put_record(w, "C8", 2, "garbage", 7),
                     OMNI_OK);
    assert_int_equal(omni_store_profiles_publish(w), OMNI_OK);
    assert_int_equal(omni_store_check(s, NULL), OMNI_OK);

    /* a record that does not decode is "no profile", never a crash */
    assert_int_equal(omni_store_get_profile(s, "C9", 2, test_alloc, &a, &p),
                     OMNI_EINVAL);
    assert_int_equal(omni_store_get_profile(s, "C8", 2, test_alloc, &a, &p),
                     OMNI_EVERSION);
    assert_tier(s, "C1", "gold");

    n = 0;
    assert_int_equal(omni_store_profiles_each(s, count_profile, &n, &bad),
                     OMNI_OK);
    assert_int_equal(n, 3);
    assert_int_equal(bad, 2);

    free(a.last);
    omni_store_close(s);

    test_rmtree(dir);
    free(dir);
}


static void
test_snapshot_swap(void **state)
{
    char                *dir, *dir2, path[512], snap[512];
    void                *data;
    size_t               len;
    alloc_t              a;
    struct stat          st, st2;
    omni_store_t        *s, *s2;
    omni_profile_t       old;
    omni_store_event_e   ev;

    (void) state;

    dir = test_tmpdir();
    dir2 = test_tmpdir();
    memset(&a, 0, sizeof(a));

    write_profiles(dir, 2000, "gold");

    s = open_store(dir, OMNI_STORE_PROFILES, 0);
    assert_tier(s, "C5", "gold");

    /* a view taken before the swap: it lives in our copy */
    assert_int_equal(omni_store_get_profile(s, "C5", 2, test_alloc, &a,
                                            &old), OMNI_OK);

    assert_int_equal(omni_store_check(s, &ev), OMNI_OK);
    assert_int_equal(ev, OMNI_STORE_UNCHANGED);

    write_profiles(dir, 2000, "silver");

    /* until the check, the old map serves */
    assert_tier(s, "C5", "gold");

    assert_int_equal(omni_store_check(s, &ev), OMNI_OK);
    assert_int_equal(ev, OMNI_STORE_OPENED);
    assert_tier(s, "C5", "silver");
    assert_text(old.tier, "gold");
    assert_text(old.customer_id, "C5");

    /* a snapshot is a profiles file another edge can install as is */
    snprintf(snap, sizeof(snap), "%s/snap.mdb", dir2);
    assert_int_equal(omni_store_snapshot(s, OMNI_STORE_ENV_PROFILES, snap),
                     OMNI_OK);

    snprintf(path, sizeof(path), "%s/profiles/data.mdb", dir);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(stat(snap, &st2), 0);
    assert_true(st2.st_size <= st.st_size);

    s2 = open_store(dir2, OMNI_STORE_PROFILES, 0);
    assert_false(omni_store_ready(s2, OMNI_STORE_ENV_PROFILES));

    snprintf(path, sizeof(path), "%s/profiles", dir2);
    assert_int_equal(mkdir(path, 0755), 0);
    data = read_file(snap, &len);
    install(dir2, data, len);
    free(data);

    assert_int_equal(omni_store_check(s2, &ev), OMNI_OK);
    assert_int_equal(ev, OMNI_STORE_OPENED);
    assert_tier(s2, "C1999", "silver");

    /* a directory as the destination gets DEST/data.mdb */
    assert_int_equal(omni_store_snapshot(s2, OMNI_STORE_ENV_PROFILES, dir2),
                     OMNI_OK);
    snprintf(path, sizeof(path), "%s/data.mdb", dir2);
    assert_int_equal(stat(path, &st), 0);

    assert_int_equal(omni_store_snapshot(s2, OMNI_STORE_ENV_PROFILES,
                                         "/proc/no/such/dir/x.mdb"),
                     OMNI_ERROR);

    free(a.last);
    omni_store_close(s2);
    omni_store_close(s);

    test_rmtree(dir);
    test_rmtree(dir2);
    free(dir);
    free(dir2);
}


static void
test_swap_refusals(void **state)
{
    char                *dir, path[512], snap[512];
    void                *good;
    size_t               len;
    omni_store_t        *s;
    omni_store_event_e   ev;

    (void) state;

    dir = test_tmpdir();

    write_profiles(dir, 2000, "gold");
    s = open_store(dir, OMNI_STORE_PROFILES|OMNI_STORE_ACTIVITY, 0);

    snprintf(path, sizeof(path), "%s/profiles/data.mdb", dir);
    good = read_file(path, &len);
    assert_true(len > 64 * 1024);

    /* garbage */
    install(dir, "this is not a database", 22);
    assert_int_equal(omni_store_check(s, &ev), OMNI_ERROR);
    assert_int_equal(ev, OMNI_STORE_REJECTED);
    assert_non_null(strstr(omni_store_error(s, OMNI_STORE_ENV_PROFILES),
                           "cannot open"));
    assert_tier(s, "C7", "gold");

    /* the same bad file is not tried again */
    assert_int_equal(omni_store_check(s, &ev), OMNI_OK);
    assert_int_equal(ev, OMNI_STORE_UNCHANGED);

    /* a copy cut short: mapping it would SIGBUS on the missing pages */
    install(dir, good, len / 2);
    assert_int_equal(omni_store_check(s, &ev), OMNI_ERROR);
    assert_int_equal(ev, OMNI_STORE_REJECTED);
    assert_non_null(strstr(omni_store_error(s, OMNI_STORE_ENV_PROFILES),
                           "is truncated"));
    assert_tier(s, "C1999", "gold");

    /* an LMDB file of another kind */
    snprintf(snap, sizeof(snap), "%s/activity.mdb", dir);
    assert_int_equal(omni_store_snapshot(s, OMNI_STORE_ENV_ACTIVITY, snap),
                     OMNI_OK);
    assert_int_equal(rename(snap, path), 0);
    assert_int_equal(omni_store_check(s, &ev), OMNI_ERROR);
    assert_int_equal(ev, OMNI_STORE_REJECTED);
    assert_non_null(strstr(omni_store_error(s, OMNI_STORE_ENV_PROFILES),
                           "is not a profiles store"));
    assert_tier(s, "C3", "gold");

    /* a good file again */
    install(dir, good, len);
    assert_int_equal(omni_store_check(s, &ev), OMNI_OK);
    assert_int_equal(ev, OMNI_STORE_OPENED);

    /* removal withdraws the profiles */
    assert_int_equal(unlink(path), 0);
    assert_int_equal(omni_store_check(s, &ev), OMNI_OK);
    assert_int_equal(ev, OMNI_STORE_REMOVED);
    assert_false(omni_store_ready(s, OMNI_STORE_ENV_PROFILES));

    free(good);
    omni_store_close(s);

    test_rmtree(dir);
    free(dir);
}


/* activity */

static omni_id_t
vid(int n)
{
    omni_id_t  id;

    memset(&id, 0, sizeof(id));
    id.bytes[0] = (uint8_t) n;
    id.bytes[15] = 0xee;

    return id;
}


typedef struct {
    int        n;
    omni_id_t  ids[8];
} visitors_t;


static int
collect(void *data, const omni_id_t *visitor)
{
    visitors_t  *v = data;

    if (v->n < 8) {
        v->ids[v->n] = *visitor;
    }

    v->n++;

    return 0;
}


static int
visitors_of(omni_store_t *s, const char *customer, visitors_t *v)
{
    memset(v, 0, sizeof(visitors_t));

    assert_int_equal(omni_store_customer_visitors(s, customer,
                                                  strlen(customer), collect,
                                                  v), OMNI_OK);

    return v->n;
}


static void
link_visitor(omni_store_t *s, int n, const char *customer)
{
    omni_id_t            id;
    omni_store_batch_t  *b;

    id = vid(n);

    assert_int_equal(omni_store_activity_begin(s, &b), OMNI_OK);
    assert_int_equal(omni_store_activity_link(b, &id, customer,
                                              strlen(customer)), OMNI_OK);
    assert_int_equal(omni_store_activity_commit(b), OMNI_OK);
}


/* counts visitors; a count of -1 asks to stop at the first one */
static int
count_visitor(void *data, const omni_id_t *visitor, const omni_activity_t *a)
{
    int  *n = data;

    (void) visitor;
    (void) a;

    if (*n == -1) {
        return 7;
    }

    (*n)++;

    return 0;
}


static void
test_activity(void **state)
{
    int                  n;
    char                *dir;
    alloc_t              al;
    uint64_t             bad;
    omni_id_t            id;
    visitors_t           v;
    omni_store_t        *s;
    omni_activity_t      a;
    omni_store_stat_t    st;
    omni_store_batch_t  *b;

    (void) state;

    dir = test_tmpdir();
    memset(&al, 0, sizeof(al));

    s = open_store(dir, OMNI_STORE_ACTIVITY, 0);
    assert_true(omni_store_ready(s, OMNI_STORE_ENV_ACTIVITY));

    id = vid(1);
    assert_int_equal(omni_store_get_activity(s, &id, test_alloc, &al, &a),
                     OMNI_ENOTFOUND);

    link_visitor(s, 1, "C1");
    link_visitor(s, 2, "C1");
    link_visitor(s, 3, "C2");

    assert_int_equal(omni_store_get_activity(s, &id, test_alloc, &al, &a),
                     OMNI_OK);
    assert_text(a.customer_id, "C1");

    assert_int_equal(visitors_of(s, "C1", &v), 2);
    assert_memory_equal(&v.ids[0], &id, sizeof(id));
    assert_int_equal(visitors_of(s, "C2", &v), 1);
    assert_int_equal(visitors_of(s, "C3", &v), 0);

    /* linking again changes nothing */
    link_visitor(s, 1, "C1");
    assert_int_equal(visitors_of(s, "C1", &v), 2);

    /* a put that moves a visitor to another customer moves the link */
    assert_int_equal(omni_store_activity_begin(s, &b), OMNI_OK);
    assert_int_equal(omni_store_activity_get(b, &id, &a), OMNI_OK);
    a.customer_id = str("C2");
    a.visits = 7;
    assert_int_equal(omni_store_activity_put(b, &id, &a), OMNI_OK);
    assert_int_equal(omni_store_activity_commit(b), OMNI_OK);

    assert_int_equal(visitors_of(s, "C1", &v), 1);
    assert_int_equal(visitors_of(s, "C2", &v), 2);

    assert_int_equal(omni_store_get_activity(s, &id, test_alloc, &al, &a),
                     OMNI_OK);
    assert_int_equal(a.visits, 7);

    /* a put without a customer unlinks */
    assert_int_equal(omni_store_activity_begin(s, &b), OMNI_OK);
    assert_int_equal(omni_store_activity_get(b, &id, &a), OMNI_OK);
    a.customer_id = str("");
    assert_int_equal(omni_store_activity_put(b, &id, &a), OMNI_OK);
    assert_int_equal(omni_store_activity_commit(b), OMNI_OK);
    assert_int_equal(visitors_of(s, "C2", &v), 1);

    /* delete removes the record and its link */
    id = vid(3);
    assert_int_equal(omni_store_activity_begin(s, &b), OMNI_OK);
    assert_int_equal(omni_store_activity_delete(b, &id), OMNI_OK);
    assert_int_equal(omni_store_activity_delete(b, &id), OMNI_ENOTFOUND);
    assert_int_equal(omni_store_activity_commit(b), OMNI_OK);
    assert_int_equal(visitors_of(s, "C2", &v), 0);

    /* an aborted batch leaves nothing */
    assert_int_equal(omni_store_activity_begin(s, &b), OMNI_OK);
    id = vid(9);
    assert_int_equal(omni_store_activity_link(b, &id, "C9", 2), OMNI_OK);
    assert_int_equal(omni_store_activity_link(b, &id, "", 0), OMNI_EINVAL);
    omni_store_activity_abort(b);
    assert_int_equal(visitors_of(s, "C9", &v), 0);

    /* a walk over every visitor, and a callback that stops it */
    n = 0;
    assert_int_equal(omni_store_activity_each(s, count_visitor, &n, &bad),
                     OMNI_OK);
    assert_int_equal(n, 2);
    assert_int_equal(bad, 0);

    n = -1;
    assert_int_equal(omni_store_activity_each(s, count_visitor, &n, &bad),
                     7);

    assert_int_equal(omni_store_stat(s, OMNI_STORE_ENV_ACTIVITY, &st),
                     OMNI_OK);
    assert_int_equal(st.entries, 2);
    assert_int_equal(st.links, 1);
    assert_true(st.readers >= 1);
    assert_int_equal(st.max_readers, OMNI_STORE_MAX_READERS);

    free(al.last);
    omni_store_close(s);

    test_rmtree(dir);
    free(dir);
}


static void
test_erase(void **state)
{
    int                   profile;
    char                 *dir, err[OMNI_STORE_ERR_MAX], path[512];
    void                 *data;
    size_t                n, len;
    omni_store_writer_t  *w;
    alloc_t              al;
    omni_id_t            id;
    visitors_t           v;
    omni_store_t        *s;
    omni_profile_t       p;
    omni_activity_t      a;

    (void) state;

    dir = test_tmpdir();
    memset(&al, 0, sizeof(al));

    write_profiles(dir, 3, "gold");

    s = open_store(dir, OMNI_STORE_PROFILES|OMNI_STORE_ACTIVITY, 0);

    /* a name to look for in the file afterwards */
    assert_int_equal(omni_store_profiles_begin(s, 0, 0, &w), OMNI_OK);
    omni_profile_init(&p);
    p.customer_id = str("C1");
    p.first_name = str("Zelda-Erase-Marker");
    p.tier = str("gold");
    assert_int_equal(omni_store_profile_put(w, &p), OMNI_OK);
    assert_int_equal(omni_store_profiles_publish(w), OMNI_OK);

    snprintf(path, sizeof(path), "%s/profiles/data.mdb", dir);
    data = read_file(path, &len);
    assert_non_null(memmem(data, len, "Zelda-Erase-Marker", 18));
    free(data);

    link_visitor(s, 1, "C1");
    link_visitor(s, 2, "C1");
    link_visitor(s, 3, "C2");

    memset(&v, 0, sizeof(v));
    assert_int_equal(omni_store_erase_customer(s, "C1", 2, collect, &v,
                                               &profile, &n, err), OMNI_OK);
    assert_int_equal(profile, 1);
    assert_int_equal(n, 2);
    assert_int_equal(v.n, 2);

    id = vid(1);
    assert_memory_equal(&v.ids[0], &id, sizeof(id));
    assert_int_equal(omni_store_get_activity(s, &id, test_alloc, &al, &a),
                     OMNI_ENOTFOUND);
    id = vid(2);
    assert_int_equal(omni_store_get_activity(s, &id, test_alloc, &al, &a),
                     OMNI_ENOTFOUND);
    id = vid(3);
    assert_int_equal(omni_store_get_activity(s, &id, test_alloc, &al, &a),
                     OMNI_OK);
    assert_int_equal(visitors_of(s, "C1", &v), 0);

    /* not even in a free page of the published file */
    data = read_file(path, &len);
    assert_null(memmem(data, len, "Zelda-Erase-Marker", 18));
    free(data);

    assert_int_equal(omni_store_check(s, NULL), OMNI_OK);
    assert_int_equal(omni_store_get_profile(s, "C1", 2, test_alloc, &al, &p),
                     OMNI_ENOTFOUND);
    assert_tier(s, "C0", "gold");
    assert_tier(s, "C2", "gold");

    /* twice: nothing left to remove */
    assert_int_equal(omni_store_erase_customer(s, "C1", 2, NULL, NULL,
                                               &profile, &n, err), OMNI_OK);
    assert_int_equal(profile, 0);
    assert_int_equal(n, 0);

    /* a customer with visitors and no profile */
    link_visitor(s, 4, "C77");
    assert_int_equal(omni_store_erase_customer(s, "C77", 3, NULL, NULL,
                                               &profile, &n, err), OMNI_OK);
    assert_int_equal(profile, 0);
    assert_int_equal(n, 1);

    assert_int_equal(omni_store_erase_customer(s, "", 0, NULL, NULL,
                                               &profile, &n, err),
                     OMNI_EINVAL);

    free(al.last);
    omni_store_close(s);

    test_rmtree(dir);
    free(dir);
}


/*
 * Another process grows the activity file past this process's map: the
 * next lookup and the next batch remap instead of failing.
 */
static void
test_map_resized(void **state)
{
    int                  i, status;
    char                *dir, item[32];
    pid_t                pid;
    alloc_t              al;
    omni_id_t            id;
    omni_store_t        *s, *c;
    omni_activity_t      a;
    omni_store_stat_t    st;
    omni_store_batch_t  *b;

    (void) state;

    dir = test_tmpdir();
    memset(&al, 0, sizeof(al));

    s = open_store(dir, OMNI_STORE_ACTIVITY, 256 * 1024);
    link_visitor(s, 1, "C1");

    pid = fork();
    assert_true(pid != -1);

    if (pid == 0) {
        c = open_store(dir, OMNI_STORE_ACTIVITY, 64 << 20);

        if (!omni_store_ready(c, OMNI_STORE_ENV_ACTIVITY)
            || omni_store_activity_begin(c, &b) != OMNI_OK)
        {
            _exit(1);
        }

        for (i = 0; i < 3000; i++) {
            omni_activity_init(&a);
            snprintf(item, sizeof(item), "item-%d", i);
            a.viewed[0] = str(item);
            a.nviewed = 1;
            id = vid(0);
            id.bytes[1] = (uint8_t) i;
            id.bytes[2] = (uint8_t) (i >> 8);

            if (omni_store_activity_put(b, &id, &a) != OMNI_OK) {
                _exit(2);
            }
        }

        if (omni_store_activity_commit(b) != OMNI_OK) {
            _exit(3);
        }

        omni_store_close(c);
        _exit(0);
    }

    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);

    id = vid(1);
    assert_int_equal(omni_store_get_activity(s, &id, test_alloc, &al, &a),
                     OMNI_OK);
    assert_text(a.customer_id, "C1");

    id = vid(0);
    id.bytes[1] = 2999 & 0xff;
    id.bytes[2] = 2999 >> 8;
    assert_int_equal(omni_store_get_activity(s, &id, test_alloc, &al, &a),
                     OMNI_OK);
    assert_text(a.viewed[0], "item-2999");

    link_visitor(s, 2, "C2");

    assert_int_equal(omni_store_stat(s, OMNI_STORE_ENV_ACTIVITY, &st),
                     OMNI_OK);
    assert_int_equal(st.entries, 3002);
    assert_true(st.map_size > 256 * 1024);

    free(al.last);
    omni_store_close(s);

    test_rmtree(dir);
    free(dir);
}


/* a process that dies with the store open leaves a reader slot behind */
static void
test_reader_check(void **state)
{
    int             dead, status;
    char           *dir;
    pid_t           pid;
    omni_store_t   *s, *c;

    (void) state;

    dir = test_tmpdir();

    s = open_store(dir, OMNI_STORE_ACTIVITY, 0);

    pid = fork();
    assert_true(pid != -1);

    if (pid == 0) {
        c = open_store(dir, OMNI_STORE_ACTIVITY, 0);
        (void) c;
        _exit(omni_store_ready(c, OMNI_STORE_ENV_ACTIVITY) ? 0 : 1);
    }

    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_int_equal(WEXITSTATUS(status), 0);

    assert_int_equal(omni_store_reader_check(s, &dead), OMNI_OK);
    assert_int_equal(dead, 1);

    assert_int_equal(omni_store_reader_check(s, &dead), OMNI_OK);
    assert_int_equal(dead, 0);

    omni_store_close(s);

    test_rmtree(dir);
    free(dir);
}


static void
test_stats(void **state)
{
    char               *dir;
    omni_store_t       *s;
    omni_store_stat_t   st;

    (void) state;

    dir = test_tmpdir();
    write_profiles(dir, 500, "gold");

    s = open_store(dir, OMNI_STORE_PROFILES, 0);

    assert_int_equal(omni_store_stat(s, OMNI_STORE_ENV_PROFILES, &st),
                     OMNI_OK);
    assert_true(st.ready);
    assert_int_equal(st.entries, 500);
    assert_true(st.file_size > 0);
    assert_true(st.used <= st.file_size);
    assert_int_equal(st.page_size, 4096);

    assert_int_equal(omni_store_stat(s, OMNI_STORE_ENV_ACTIVITY, &st),
                     OMNI_ENOTFOUND);
    assert_false(st.ready);

    omni_store_close(s);

    test_rmtree(dir);
    free(dir);
}


/* kB of the profiles file mapped into this process (smaps) */
static long
mapped_kb(const char *dir)
{
    FILE           *f;
    char            line[1024], path[512];
    long            kb, total;
    int             in;
    unsigned long   start, end;

    snprintf(path, sizeof(path), "%s/profiles/data.mdb", dir);

    f = fopen("/proc/self/smaps", "r");
    assert_non_null(f);

    in = 0;
    total = 0;

    while (fgets(line, sizeof(line), f)) {
        /* a mapping's first line: "start-end perms offset dev inode path" */
        if (sscanf(line, "%lx-%lx ", &start, &end) == 2) {
            in = strstr(line, path) != NULL;
            continue;
        }

        if (in && sscanf(line, "Rss: %ld kB", &kb) == 1) {
            total += kb;
        }
    }

    fclose(f);

    return total;
}


static void
test_trim(void **state)
{
    int              i;
    char            *dir, id[32];
    alloc_t          a;
    omni_store_t    *s;
    omni_profile_t   p;

    (void) state;

    dir = test_tmpdir();
    memset(&a, 0, sizeof(a));

    write_profiles(dir, 5000, "gold");
    s = open_store(dir, OMNI_STORE_PROFILES|OMNI_STORE_RANDOM, 0);

    for (i = 0; i < 5000; i += 7) {
        snprintf(id, sizeof(id), "C%d", i);
        assert_int_equal(omni_store_get_profile(s, id, strlen(id), test_alloc,
                                                &a, &p), OMNI_OK);
    }

    assert_true(mapped_kb(dir) > 0);

    assert_int_equal(omni_store_trim(s), OMNI_OK);
    assert_int_equal(mapped_kb(dir), 0);

    /* and the map still serves */
    assert_tier(s, "C4999", "gold");
    assert_true(mapped_kb(dir) > 0);

    free(a.last);
    omni_store_close(s);

    test_rmtree(dir);
    free(dir);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_missing_store),
        cmocka_unit_test(test_lookup),
        cmocka_unit_test(test_bad_record),
        cmocka_unit_test(test_snapshot_swap),
        cmocka_unit_test(test_swap_refusals),
        cmocka_unit_test(test_activity),
        cmocka_unit_test(test_erase),
        cmocka_unit_test(test_map_resized),
        cmocka_unit_test(test_reader_check),
        cmocka_unit_test(test_stats),
        cmocka_unit_test(test_trim),
    };

    return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
