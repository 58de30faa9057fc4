/*
 * A writer for the Prometheus text exposition format (version 0.0.4):
 *
 *     # HELP omni_offer_impressions_total Offer impressions.
 *     # TYPE omni_offer_impressions_total counter
 *     omni_offer_impressions_total{offer="welcome"} 1027
 *
 * The writer fills a caller's buffer and, like snprintf(), keeps counting
 * what the whole output needs once the buffer is full, so a first pass
 * over a zero-sized buffer gives the size to allocate.  Errors are sticky:
 * after any number of calls, omni_prom_finish() tells whether every name
 * was valid and everything fitted.
 *
 * Metric names match [a-zA-Z_:][a-zA-Z0-9_:]*, label names
 * [a-zA-Z_][a-zA-Z0-9_]* and may not start with "__" (reserved).  Label
 * values are escaped (backslash, double quote, newline) and any byte
 * sequence that is not UTF-8 becomes U+FFFD; HELP text escapes backslash
 * and newline.  Every sample must belong to the family declared last.
 */

#ifndef OMNI_PROM_H_INCLUDED
#define OMNI_PROM_H_INCLUDED


#include <omni/omni.h>


#define OMNI_PROM_CONTENT_TYPE  "text/plain; version=0.0.4; charset=utf-8"


typedef enum {
    OMNI_PROM_COUNTER = 0,
    OMNI_PROM_GAUGE,
    OMNI_PROM_UNTYPED
} omni_prom_type_e;


typedef struct {
    const char  *name;          /* NUL-terminated */
    omni_str_t   value;
} omni_prom_label_t;


typedef struct {
    char        *buf;
    size_t       size;
    size_t       len;           /* bytes the output needs so far */
    const char  *family;        /* the family declared last */
    int          error;         /* first error, or OMNI_OK */
} omni_prom_t;


void omni_prom_init(omni_prom_t *w, char *buf, size_t size);

/* "# HELP" and "# TYPE" lines; help may be NULL */
void omni_prom_family(omni_prom_t *w, const char *name,
    omni_prom_type_e type, const char *help);

void omni_prom_sample_uint(omni_prom_t *w, const char *name,
    const omni_prom_label_t *labels, size_t nlabels, uint64_t value);
void omni_prom_sample_double(omni_prom_t *w, const char *name,
    const omni_prom_label_t *labels, size_t nlabels, double value);
/* a money amount in cents, written exactly in major units: "-12.05" */
void omni_prom_sample_cents(omni_prom_t *w, const char *name,
    const omni_prom_label_t *labels, size_t nlabels, int64_t cents);

/*
 * OMNI_OK, OMNI_EINVAL (an invalid name, or a sample outside its family)
 * or OMNI_ETOOBIG (w->len bytes are needed).
 */
int omni_prom_finish(omni_prom_t *w);

int omni_prom_metric_name_valid(const char *name, size_t len);
int omni_prom_label_name_valid(const char *name, size_t len);

/*
 * Escapes a label value into out (which may be NULL to measure) and
 * returns the length of the result: at most 3 * len bytes.
 */
size_t omni_prom_escape_label(const char *value, size_t len, char *out);


#endif /* OMNI_PROM_H_INCLUDED */
