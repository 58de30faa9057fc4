/*
 * CSP nonces under libFuzzer: any policy, either kind; a nonce found lies
 * inside the policy and holds only base64 characters; adding nonces to
 * any snippet writes exactly the size it first reports.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <omni/csp.h>


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int          rc, kind;
    char        *buf;
    size_t       i, len, len2;
    omni_str_t   n[2];
    const char  *p;

    p = (const char *) data;

    for (kind = 0; kind < 2; kind++) {
        n[kind].data = NULL;
        n[kind].len = 0;

        rc = omni_csp_nonce(p, size, (omni_csp_kind_e) kind, &n[kind]);

        if (rc != OMNI_OK) {
            n[kind].data = NULL;
            n[kind].len = 0;
            continue;
        }

        if (n[kind].len == 0 || n[kind].len > OMNI_CSP_NONCE_MAX
            || n[kind].data < p || n[kind].data + n[kind].len > p + size)
        {
            abort();
        }

        for (i = 0; i < n[kind].len; i++) {
            if (strchr("\"'<>& \t\r\n", n[kind].data[i])) {
                abort();
            }
        }
    }

    /* the input as a snippet, with whatever nonces it named */

    rc = omni_csp_add_nonce(p, size, n[0], n[1], NULL, 0, &len);

    if (rc != OMNI_OK && rc != OMNI_ETOOBIG) {
        abort();
    }

    buf = malloc(len ? len : 1);
    if (buf == NULL) {
        return 0;
    }

    if (omni_csp_add_nonce(p, size, n[0], n[1], buf, len, &len2) != OMNI_OK
        || len2 != len || len < size)
    {
        abort();
    }

    free(buf);

    return 0;
}
