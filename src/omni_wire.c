/*
 * Bounded varint and string coding for the record layouts.
 */

#include <string.h>

#include <omni/wire.h>


void
omni_reader_init(omni_reader_t *r, const void *data, size_t len)
{
    r->pos = data;
    r->end = r->pos + len;
    r->error = (data == NULL && len != 0);
}


uint8_t
omni_read_u8(omni_reader_t *r)
{
    if (r->error || r->pos >= r->end) {
        r->error = 1;
        return 0;
    }

    return *r->pos++;
}


uint64_t
omni_read_uint(omni_reader_t *r)
{
    uint8_t   b;
    uint64_t  v;
    unsigned  shift;

    if (r->error) {
        return 0;
    }

    v = 0;

    for (shift = 0; shift < 64; shift += 7) {

        if (r->pos >= r->end) {
            break;
        }

        b = *r->pos++;

        /* the tenth byte may carry only the top bit of a 64-bit value */
        if (shift == 63 && b > 1) {
            break;
        }

        v |= (uint64_t) (b & 0x7f) << shift;

        if ((b & 0x80) == 0) {
            return v;
        }
    }

    r->error = 1;
    return 0;
}


int64_t
omni_read_int(omni_reader_t *r)
{
    uint64_t  v;

    v = omni_read_uint(r);

    return (int64_t) (v >> 1) ^ -(int64_t) (v & 1);
}


omni_str_t
omni_read_str(omni_reader_t *r, size_t max)
{
    uint64_t    len;
    omni_str_t  s = omni_null_string;

    len = omni_read_uint(r);

    if (r->error || len > max || len > omni_reader_left(r)) {
        r->error = 1;
        return s;
    }

    s.data = (const char *) r->pos;
    s.len = (size_t) len;
    r->pos += len;

    return s;
}


void
omni_writer_init(omni_writer_t *w, void *buf, size_t size)
{
    w->pos = buf;
    w->end = w->pos + size;
    w->error = (buf == NULL && size != 0);
}


void
omni_write_u8(omni_writer_t *w, uint8_t v)
{
    if (w->error || w->pos >= w->end) {
        w->error = 1;
        return;
    }

    *w->pos++ = v;
}


void
omni_write_uint(omni_writer_t *w, uint64_t v)
{
    while (v >= 0x80) {
        omni_write_u8(w, (uint8_t) (v | 0x80));
        v >>= 7;
    }

    omni_write_u8(w, (uint8_t) v);
}


void
omni_write_int(omni_writer_t *w, int64_t v)
{
    omni_write_uint(w, ((uint64_t) v << 1) ^ (uint64_t) (v >> 63));
}


void
omni_write_str(omni_writer_t *w, omni_str_t s)
{
    omni_write_uint(w, s.len);

    if (w->error || s.len > (size_t) (w->end - w->pos)) {
        w->error = 1;
        return;
    }

    if (s.len) {
        memcpy(w->pos, s.data, s.len);
        w->pos += s.len;
    }
}
