/*
 * The first-response cookie: no value crashes omni_first_open(), one it
 * accepts seals back to the same bytes, and a payload signed with the key
 * (as if the key had leaked, or a bug had signed junk) is decoded within
 * its bounds: the input is tried both as a cookie value and as a payload.
 */

#include <stdlib.h>
#include <string.h>

#include <omni/first.h>


#define NOW  1700000000


static omni_signer_t  *signer;


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


static void
walk(const omni_first_t *f)
{
    size_t        pos, n;
    omni_event_t  ev;

    pos = 0;
    n = 0;

    while (omni_first_next(f, &pos, &ev) == OMNI_OK) {
        if (!(ev.flags & OMNI_EVENT_FIRST)
            || ((ev.flags & OMNI_EVENT_FIRST_START) != 0) != (n == 0))
        {
            abort();
        }

        n++;
    }

    if (n != f->n) {
        abort();
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char          again[OMNI_FIRST_COOKIE_MAX];
    size_t        len;
    omni_id_t     id;
    omni_first_t  f, g;

    if (signer == NULL) {
        signer = omni_signer_new("fuzzing-secret-fuzzing-secret-32", 32);
        if (signer == NULL) {
            abort();
        }
    }

    memset(&id, 0x5a, sizeof(id));

    /* as a cookie value */

    if (omni_first_open(signer, &id, (const char *) data, size, NOW, &f)
        == OMNI_OK)
    {
        walk(&f);

        len = omni_first_seal(signer, &id, &f, again);

        if (len != size || memcmp(again, data, size) != 0) {
            abort();
        }
    }

    /* as a payload signed with the key */

    if (size > OMNI_FIRST_MAX) {
        return 0;
    }

    memcpy(f.data, data, size);
    f.len = size;
    f.n = 0;
    f.start = 0;
    f.made = 0;

    len = omni_first_seal(signer, &id, &f, again);

    if (len > OMNI_FIRST_COOKIE_MAX) {
        abort();
    }

    if (omni_first_open(signer, &id, again, len, NOW, &g) == OMNI_OK) {
        walk(&g);
    }

    return 0;
}
