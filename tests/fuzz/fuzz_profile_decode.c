/*
 * Profile records from arbitrary bytes: decode never reads outside the
 * input, and what it accepts encodes again to a record that decodes to
 * the same view.
 */

#include <stdlib.h>
#include <string.h>


#include <omni/profile.h>
#include <omni/wire.h>


static void
same(omni_str_t a, omni_str_t b)
{
    if (a.len != b.len || (a.len && memcmp(a.data, b.data, a.len) != 0)) {
        abort();
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t          i, len;
    uint8_t        *copy;
    uint32_t        crc;
    omni_profile_t  p, q;

    static uint8_t  buf[OMNI_PROFILE_RECORD_MAX];

    /* an exact copy: ASan sees any read past the end */
    /*
     * The input is taken as a record without its checksum, which is
     * appended: otherwise nearly every mutation stops at the checksum and
     * the body's parser is never reached.  The input as it is goes
     * through decode once too.
     */
    (void) omni_profile_decode(data, size, &p);

    copy = malloc(size + 4);
    if (copy == NULL) {
        return 0;
    }

    memcpy(copy, data, size);
    crc = omni_crc32c(data, size);
    copy[size] = (uint8_t) crc;
    copy[size + 1] = (uint8_t) (crc >> 8);
    copy[size + 2] = (uint8_t) (crc >> 16);
    copy[size + 3] = (uint8_t) (crc >> 24);
    size += 4;

    if (omni_profile_decode(copy, size, &p) == OMNI_OK) {

        if (omni_profile_encode(&p, buf, sizeof(buf), &len) != OMNI_OK
            || omni_profile_decode(buf, len, &q) != OMNI_OK)
        {
            abort();
        }

        same(p.customer_id, q.customer_id);
        same(p.first_name, q.first_name);
        same(p.locale, q.locale);
        same(p.tier, q.tier);

        if (p.points != q.points || p.consent != q.consent
            || p.updated != q.updated || p.ntags != q.ntags
            || p.nattrs != q.nattrs)
        {
            abort();
        }

        for (i = 0; i < p.ntags; i++) {
            same(p.tags[i], q.tags[i]);
        }

        for (i = 0; i < p.nattrs; i++) {
            same(p.attrs[i].key, q.attrs[i].key);
            same(p.attrs[i].value, q.attrs[i].value);
        }
    }

    free(copy);

    return 0;
}
