/*
 * The KPI snapshot decoder, and the status renderers over whatever it
 * accepts.  The input is a snapshot without its trailing checksum: the
 * target appends the right one, so that the fuzzer explores the layout
 * rather than the CRC.  A snapshot that decodes must survive a round trip
 * (encode, decode again) unchanged, and render as JSON and as Prometheus
 * text.
 */

#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include <omni/kpi.h>
#include <omni/kpi_status.h>


#define ROWS  64


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


static void
render(omni_kpi_t *t)
{
    char             *json;
    size_t            len;
    omni_prom_t       w;
    omni_kpi_row_t    rows[ROWS];
    omni_kpi_view_t   view;
    omni_kpi_info_t   info = { "fuzz", 4096, 604800, "fuzz" };

    omni_kpi_view(t, 1767225600, rows, ROWS, &view);

    if (omni_kpi_status_json(&view, &info, &json, &len) != OMNI_OK) {
        abort();
    }

    free(json);

    omni_prom_init(&w, NULL, 0);
    if (omni_kpi_status_prometheus(&view, &info, &w) != OMNI_ETOOBIG) {
        abort();
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int              rc;
    size_t           len, len2;
    uint8_t         *buf, *enc, *enc2;
    uint32_t         crc;
    omni_kpi_t      *t, *t2;
    static void     *mem, *mem2;

    if (size > 65536) {
        return 0;
    }

    if (mem == NULL
        && (posix_memalign(&mem, 64, omni_kpi_size(ROWS)) != 0
            || posix_memalign(&mem2, 64, omni_kpi_size(ROWS)) != 0))
    {
        abort();
    }

    buf = malloc(size + 4);
    if (buf == NULL) {
        abort();
    }

    memcpy(buf, data, size);
    crc = (uint32_t) crc32(0, data, (uInt) size);
    buf[size] = (uint8_t) crc;
    buf[size + 1] = (uint8_t) (crc >> 8);
    buf[size + 2] = (uint8_t) (crc >> 16);
    buf[size + 3] = (uint8_t) (crc >> 24);

    if (omni_kpi_init(mem, omni_kpi_size(ROWS), 1767225600, &t) != OMNI_OK) {
        abort();
    }

    rc = omni_kpi_decode(t, buf, size + 4);
    free(buf);

    if (rc != OMNI_OK) {
        /* a refused snapshot changes nothing */
        if (omni_kpi_used(t) != 0) {
            abort();
        }

        return 0;
    }

    render(t);

    if (omni_kpi_encode(t, 1767225600, &enc, &len) != OMNI_OK) {
        abort();
    }

    if (omni_kpi_init(mem2, omni_kpi_size(ROWS), 1767225600, &t2) != OMNI_OK
        || omni_kpi_decode(t2, enc, len) != OMNI_OK
        || omni_kpi_encode(t2, 1767225600, &enc2, &len2) != OMNI_OK)
    {
        abort();
    }

    /* a second round trip gives the same bytes */
    if (len2 != len || memcmp(enc, enc2, len) != 0) {
        abort();
    }

    free(enc);
    free(enc2);

    return 0;
}
