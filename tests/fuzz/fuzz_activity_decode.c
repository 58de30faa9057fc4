/*
 * Activity records from arbitrary bytes: decode stays inside the input,
 * and what it accepts encodes again to the same view.
 */

#include <stdlib.h>
#include <string.h>


#include <omni/activity.h>
#include <omni/wire.h>


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t           len, len2;
    uint8_t         *copy;
    uint32_t         crc;
    omni_activity_t  a, b;

    static uint8_t   buf[OMNI_ACTIVITY_RECORD_MAX];
    static uint8_t   buf2[OMNI_ACTIVITY_RECORD_MAX];

    /*
     * The input is taken as a record without its checksum, which is
     * appended: otherwise nearly every mutation stops at the checksum and
     * the body's parser is never reached.  The input as it is goes
     * through decode once too.
     */
    (void) omni_activity_decode(data, size, &a);

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

    if (omni_activity_decode(copy, size, &a) == OMNI_OK) {

        /* the canonical form: encode, decode, encode gives the same bytes */
        if (omni_activity_encode(&a, buf, sizeof(buf), &len) != OMNI_OK
            || omni_activity_decode(buf, len, &b) != OMNI_OK
            || omni_activity_encode(&b, buf2, sizeof(buf2), &len2) != OMNI_OK
            || len != len2 || memcmp(buf, buf2, len) != 0)
        {
            abort();
        }

        (void) omni_activity_abandoned(&a, 1700000000, 1800);
        (void) omni_activity_has_viewed(&a, "x", 1);
        (void) omni_activity_has_purchased(&a, "x", 1);
        (void) omni_channel_name(a.last_touch.channel);
    }

    free(copy);

    return 0;
}
