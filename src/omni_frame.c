/*
 * Record frames: version byte, body, CRC-32C.
 */

#include <omni/wire.h>


void
omni_frame_begin(omni_writer_t *w, void *buf, size_t size, uint8_t version)
{
    omni_writer_init(w, buf, size);
    omni_write_u8(w, version);
}


int
omni_frame_end(omni_writer_t *w, void *buf, size_t *len)
{
    size_t    n;
    uint32_t  crc;

    if (w->error || w->end - w->pos < 4) {
        w->error = 1;
        return OMNI_ETOOBIG;
    }

    n = omni_writer_len(w, buf);
    crc = omni_crc32c(buf, n);

    w->pos[0] = (uint8_t) crc;
    w->pos[1] = (uint8_t) (crc >> 8);
    w->pos[2] = (uint8_t) (crc >> 16);
    w->pos[3] = (uint8_t) (crc >> 24);
    w->pos += 4;

    *len = n + 4;

    return OMNI_OK;
}


int
omni_frame_open(omni_reader_t *r, const void *data, size_t len,
    uint8_t version, size_t max)
{
    uint32_t        crc;
    const uint8_t  *p;

    if (len > max) {
        return OMNI_ETOOBIG;
    }

    if (data == NULL || len < OMNI_FRAME_OVERHEAD) {
        return OMNI_EINVAL;
    }

    p = data;

    /* a later layout may frame its records differently: look no further */
    if (p[0] != version) {
        return OMNI_EVERSION;
    }

    crc = (uint32_t) p[len - 4]
          | (uint32_t) p[len - 3] << 8
          | (uint32_t) p[len - 2] << 16
          | (uint32_t) p[len - 1] << 24;

    if (crc != omni_crc32c(p, len - 4)) {
        return OMNI_EINVAL;
    }

    omni_reader_init(r, p + 1, len - OMNI_FRAME_OVERHEAD);

    return OMNI_OK;
}


int
omni_text_ok(omni_str_t s)
{
    size_t          i;
    const uint8_t  *p;

    p = (const uint8_t *) s.data;

    for (i = 0; i < s.len; i++) {
        if (p[i] < 0x20 || p[i] == 0x7f) {
            return 0;
        }
    }

    return 1;
}
