/*
 * Beacon bodies and content types; the events that parse are merged.
 */

#include <stdlib.h>
#include <string.h>

#include <omni/event.h>
#include <omni/merge.h>


static omni_beacon_t     beacon;
static omni_activity_t   activity;


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int          rc;
    size_t       i;
    const char  *e;

    (void) omni_beacon_content_type_ok((const char *) data, size);

    rc = omni_beacon_parse(&beacon, data, size, 1700000000);

    if (rc == OMNI_OK) {
        if (beacon.nevents == 0 || beacon.nevents > OMNI_BEACON_MAX_EVENTS) {
            abort();
        }

        memset(&activity, 0, sizeof(activity));

        for (i = 0; i < beacon.nevents; i++) {
            if (omni_merge_event(&activity, &beacon.events[i],
                                 OMNI_VISIT_TIMEOUT_DEFAULT)
                != OMNI_OK)
            {
                abort();
            }
        }

    } else {
        /* the error text is safe to put in a JSON string as it is */
        if (beacon.error[0] == '\0' || beacon.nevents != 0) {
            abort();
        }

        for (e = beacon.error; *e; e++) {
            if (*e < 0x20 || *e > 0x7e || strchr("\"\\<>&", *e) != NULL) {
                abort();
            }
        }
    }

    omni_beacon_free(&beacon);

    return 0;
}
