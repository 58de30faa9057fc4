/*
 * fuzz_template: the first bytes choose a value and a buffer size, the
 * rest is a template.  Whatever compiles is rendered with a value taken
 * from the input, and every escaper runs on the input: the output must
 * never contain a byte that could end its context.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <omni/template.h>


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


typedef struct {
    omni_str_t  value;
    int         safe;
} fuzz_ctx_t;


static int
fuzz_lookup(void *data, const char *name, size_t len)
{
    (void) data;

    if (len == 1 && (name[0] == 'a' || name[0] == 'b')) {
        return name[0] - 'a';
    }

    if (len == 4 && memcmp(name, "safe", 4) == 0) {
        return 2;
    }

    if (len == 7 && memcmp(name, "missing", 7) == 0) {
        return 3;
    }

    return -1;
}


static int
fuzz_value(void *data, int field, omni_value_t *v)
{
    fuzz_ctx_t  *ctx = data;

    if (field == 3) {
        return OMNI_ENOTFOUND;
    }

    v->str = ctx->value;
    v->html_safe = (field == 2) && ctx->safe;

    return OMNI_OK;
}


static void
fuzz_escapers(const char *s, size_t len)
{
    char           *out;
    size_t          i, n, how;
    unsigned char   c;

    for (how = OMNI_ESCAPE_HTML; how <= OMNI_ESCAPE_NUMBER; how++) {
        out = malloc(omni_escape_max(how, len) + 1);
        if (out == NULL) {
            return;
        }

        n = omni_escape(how, s, len, out, omni_escape_max(how, len));

        if (n > omni_escape_max(how, len)) {
            abort();
        }

        for (i = 0; i < n; i++) {
            c = (unsigned char) out[i];

            if (c >= 0x80 || c == '<' || c == '>' || c == '"' || c == '\''
                || c == '`' || (c < 0x20 && (how != OMNI_ESCAPE_HTML
                                            || (c != '\t' && c != '\n'
                                                && c != '\r'))))
            {
                abort();
            }

            if (how == OMNI_ESCAPE_JS && c == '&') {
                abort();
            }

            if (how == OMNI_ESCAPE_URL && !(c == '%' || c == '-' || c == '.'
                                            || c == '_' || c == '~'
                                            || (c >= '0' && c <= '9')
                                            || (c >= 'A' && c <= 'Z')
                                            || (c >= 'a' && c <= 'z')))
            {
                abort();
            }
        }

        /* a short buffer never gets more than its size */
        if (n > 2) {
            out[n - 1] = 0x7f;

            if (omni_escape(how, s, len, out, n - 1) != n
                || (unsigned char) out[n - 1] != 0x7f)
            {
                abort();
            }
        }

        free(out);
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char                   *buf;
    size_t                  vlen, bsize, len, len2;
    fuzz_ctx_t              ctx;
    omni_template_t        *tpl;
    omni_template_error_t   err;

    if (size < 3) {
        return 0;
    }

    vlen = data[0] % 32;
    bsize = data[1] * 4;
    ctx.safe = data[2] & 1;
    data += 3;
    size -= 3;

    if (vlen > size) {
        vlen = size;
    }

    ctx.value.data = (const char *) data;
    ctx.value.len = vlen;

    fuzz_escapers((const char *) data, size);

    if (omni_template_compile((const char *) data + vlen, size - vlen,
                              fuzz_lookup, NULL, &tpl, &err) != OMNI_OK)
    {
        if (tpl != NULL || err.offset > size - vlen) {
            abort();
        }

        return 0;
    }

    buf = malloc(bsize + 1);
    if (buf == NULL) {
        omni_template_free(tpl);
        return 0;
    }

    buf[bsize] = 0x7f;

    switch (omni_template_render(tpl, fuzz_value, &ctx, buf, bsize, &len)) {

    case OMNI_OK:
        if (len > bsize) {
            abort();
        }
        break;

    case OMNI_ETOOBIG:
        if (len <= bsize) {
            abort();
        }
        break;

    default:
        abort();
    }

    if (buf[bsize] != 0x7f) {
        abort();
    }

    /* the size it asked for is enough */
    free(buf);
    buf = malloc(len + 1);

    if (buf != NULL) {
        if (omni_template_render(tpl, fuzz_value, &ctx, buf, len, &len2)
            != OMNI_OK || len2 != len)
        {
            abort();
        }

        free(buf);
    }

    omni_template_free(tpl);

    return 0;
}
