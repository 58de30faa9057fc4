/*
 * Error codes of libomni.
 */

#include <omni/omni.h>


const char *
omni_strerror(int rc)
{
    switch (rc) {

    case OMNI_OK:
        return "success";

    case OMNI_ERROR:
        return "internal error";

    case OMNI_EINVAL:
        return "malformed input";

    case OMNI_EVERSION:
        return "unknown version";

    case OMNI_EFORGED:
        return "signature mismatch";

    case OMNI_ETOOBIG:
        return "input too large";

    case OMNI_ENOTFOUND:
        return "not found";

    case OMNI_EFULL:
        return "full";

    case OMNI_AGAIN:
        return "incomplete input";
    }

    return "unknown error";
}
