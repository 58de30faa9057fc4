/*
 * Bounded readers and writers for the binary record layouts.
 *
 * Both keep a sticky error flag: after any number of calls one check of
 * ->error tells whether every read stayed inside the buffer (reader) or
 * every write fitted (writer).  Integers are unsigned LEB128 varints;
 * signed ones are zig-zag encoded first; strings are a varint length and
 * the bytes, and a reader returns them in place, pointing into its buffer.
 */

#ifndef OMNI_WIRE_H_INCLUDED
#define OMNI_WIRE_H_INCLUDED


#include <omni/omni.h>


typedef struct {
    const uint8_t  *pos;
    const uint8_t  *end;
    int             error;
} omni_reader_t;


typedef struct {
    uint8_t        *pos;
    uint8_t        *end;
    int             error;
} omni_writer_t;


void omni_reader_init(omni_reader_t *r, const void *data, size_t len);
uint8_t omni_read_u8(omni_reader_t *r);
uint64_t omni_read_uint(omni_reader_t *r);
int64_t omni_read_int(omni_reader_t *r);
/* a string longer than max is an error */
omni_str_t omni_read_str(omni_reader_t *r, size_t max);
#define omni_reader_left(r)  ((size_t) ((r)->end - (r)->pos))

void omni_writer_init(omni_writer_t *w, void *buf, size_t size);
void omni_write_u8(omni_writer_t *w, uint8_t v);
void omni_write_uint(omni_writer_t *w, uint64_t v);
void omni_write_int(omni_writer_t *w, int64_t v);
void omni_write_str(omni_writer_t *w, omni_str_t s);
#define omni_writer_len(w, buf)  ((size_t) ((w)->pos - (uint8_t *) (buf)))


/*
 * Record frames: a version byte, the body, and a CRC-32C of both,
 * little-endian.  The checksum turns a corrupted bit anywhere in a record,
 * and nearly any other damage, into a rejected record rather than a
 * different one that still parses.
 */

#define OMNI_FRAME_OVERHEAD  5

void omni_frame_begin(omni_writer_t *w, void *buf, size_t size,
    uint8_t version);
/* appends the checksum; OMNI_ETOOBIG if anything did not fit */
int omni_frame_end(omni_writer_t *w, void *buf, size_t *len);

/*
 * Checks size, version and checksum, and sets r over the body.
 * OMNI_ETOOBIG (len > max), OMNI_EVERSION or OMNI_EINVAL.
 */
int omni_frame_open(omni_reader_t *r, const void *data, size_t len,
    uint8_t version, size_t max);

/* printable text: no control byte (below 0x20, or 0x7f) */
int omni_text_ok(omni_str_t s);

/* CRC-32C (Castagnoli); the second never uses the CPU's instruction */
uint32_t omni_crc32c(const void *data, size_t len);
uint32_t omni_crc32c_portable(const void *data, size_t len);


#endif /* OMNI_WIRE_H_INCLUDED */
