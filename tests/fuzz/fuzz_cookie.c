/*
 * The cookie parser: no input crashes it, and whatever it accepts is
 * exactly what the signer would have minted for that id.
 */

#include <stdlib.h>
#include <string.h>

#include <omni/cookie.h>


static omni_signer_t  *signer;


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char       again[OMNI_COOKIE_LEN];
    uint8_t    raw[512];
    omni_id_t  id;

    if (signer == NULL) {
        signer = omni_signer_new("fuzzing-secret-fuzzing-secret-32", 32);
        if (signer == NULL) {
            abort();
        }
    }

    if (omni_cookie_verify(signer, (const char *) data, size, &id)
        == OMNI_OK)
    {
        omni_cookie_mint(signer, &id, again);

        if (size != OMNI_COOKIE_LEN || memcmp(again, data, size) != 0) {
            abort();
        }
    }

    if (size <= sizeof(raw) / 4 * 3) {
        (void) omni_base64url_decode((const char *) data, size, raw);
    }

    return 0;
}
