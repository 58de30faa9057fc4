/*
 * Erasing a customer from both environments.
 */

#include <stdio.h>
#include <string.h>

#include "omni_store_int.h"


int
omni_store_erase_customer(omni_store_t *s, const char *id, size_t len,
    omni_store_visitor_pt cb, void *data, int *profile, size_t *visitors,
    char *err)
{
    int                   rc;
    omni_store_batch_t   *b;
    omni_store_writer_t  *w;

    *profile = 0;
    *visitors = 0;
    err[0] = '\0';

    if (len == 0 || len > OMNI_KEY_MAX) {
        omni_store_err(err, "a customer id is 1 to %d bytes", OMNI_KEY_MAX);
        return OMNI_EINVAL;
    }

    /* the links go first: a visitor never outlives its customer's erasure */

    if (s->aenv) {
        rc = omni_store_activity_begin(s, &b);
        if (rc != OMNI_OK) {
            omni_store_err(err, "%s", omni_store_activity_error(s));
            return rc;
        }

        rc = omni_store_activity_erase_customer(b, id, len, cb, data,
                                                visitors);
        if (rc != OMNI_OK) {
            omni_store_err(err, "%s", omni_store_batch_error(b));
            omni_store_activity_abort(b);
            *visitors = 0;
            return rc;
        }

        rc = omni_store_activity_commit(b);
        if (rc != OMNI_OK) {
            omni_store_err(err, "%s", omni_store_activity_error(s));
            *visitors = 0;
            return rc;
        }
    }

    rc = omni_store_profiles_begin(s, 0, 1, &w);
    if (rc != OMNI_OK) {
        omni_store_err(err, "%s", w ? omni_store_writer_error(w)
                                    : "out of memory");
        omni_store_profiles_abort(w);
        return rc;
    }

    rc = omni_store_profile_delete(w, id, len);

    if (rc == OMNI_ENOTFOUND) {
        omni_store_profiles_abort(w);
        return OMNI_OK;
    }

    if (rc == OMNI_OK) {
        rc = omni_store_profiles_publish(w);

        if (rc == OMNI_OK) {
            *profile = 1;
            return OMNI_OK;
        }
    }

    omni_store_err(err, "%s", omni_store_writer_error(w));
    omni_store_profiles_abort(w);

    return rc;
}
