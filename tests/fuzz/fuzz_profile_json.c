/*
 * Profile JSON lines from arbitrary bytes: the reader stays inside the
 * line and its buffer, what it accepts always encodes, and the export of
 * that record reads back to the very same record.
 */

#include <stdlib.h>
#include <string.h>

#include <omni/record_json.h>


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char               *line, *out;
    size_t              len, len2;
    omni_profile_t      p, q;
    omni_json_error_t   err;

    static char         strings[OMNI_PROFILE_RECORD_MAX];
    static char         strings2[OMNI_PROFILE_RECORD_MAX];
    static uint8_t      rec[OMNI_PROFILE_RECORD_MAX];
    static uint8_t      rec2[OMNI_PROFILE_RECORD_MAX];

    line = malloc(size ? size : 1);
    if (line == NULL) {
        return 0;
    }

    memcpy(line, data, size);

    if (omni_profile_from_json(line, size, &p, strings, sizeof(strings), &err)
        == OMNI_OK)
    {
        if (omni_profile_encode(&p, rec, sizeof(rec), &len) != OMNI_OK) {
            abort();
        }

        out = omni_profile_to_json(&p, NULL);
        if (out == NULL) {
            abort();
        }

        if (omni_profile_from_json(out, strlen(out), &q, strings2,
                                   sizeof(strings2), &err) != OMNI_OK
            || omni_profile_encode(&q, rec2, sizeof(rec2), &len2) != OMNI_OK
            || len != len2 || memcmp(rec, rec2, len) != 0)
        {
            abort();
        }

        free(out);

    } else if (err.text[0] == '\0') {
        /* every refusal says why */
        abort();
    }

    free(line);

    return 0;
}
