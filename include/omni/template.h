/*
 * Templates: "{{field}}", "{{field|fallback}}" and filters
 * "{{field|js}}", "{{field|url}}", "{{field|number}}", parsed once at
 * configuration time and rendered per request without allocation.
 *
 * Every value is escaped for HTML (text and quoted attributes alike)
 * unless a filter names another context; a value the caller marks as
 * already safe HTML (a rendered sub-template) is inserted as is in the
 * HTML context.
 *
 * Field names are resolved at compile time through the caller's lookup,
 * so an unknown field is a compile error, with its position.
 */

#ifndef OMNI_TEMPLATE_H_INCLUDED
#define OMNI_TEMPLATE_H_INCLUDED


#include <omni/omni.h>


typedef struct omni_template_s  omni_template_t;


typedef enum {
    OMNI_ESCAPE_HTML = 0,
    OMNI_ESCAPE_JS,          /* inside a JS string literal, either quote */
    OMNI_ESCAPE_URL,         /* one URL component, percent-encoded */
    OMNI_ESCAPE_NUMBER       /* a JSON/JS number, or 0 */
} omni_escape_e;


typedef struct {
    omni_str_t  str;
    int         html_safe;   /* already escaped HTML: no second escaping */
} omni_value_t;


typedef struct {
    size_t      offset;      /* byte offset of the error in the source */
    char        text[160];
} omni_template_error_t;


/* returns a field id >= 0, or -1 for an unknown name */
typedef int (*omni_field_lookup_pt)(void *data, const char *name,
    size_t len);

/* OMNI_OK, or OMNI_ENOTFOUND to render the fallback (or nothing) */
typedef int (*omni_field_value_pt)(void *data, int field,
    omni_value_t *value);


int omni_template_compile(const char *src, size_t len,
    omni_field_lookup_pt lookup, void *data, omni_template_t **tpl,
    omni_template_error_t *err);
void omni_template_free(omni_template_t *tpl);

/*
 * Renders into buf.  OMNI_ETOOBIG when the output does not fit: *len then
 * receives the size needed.
 */
int omni_template_render(const omni_template_t *tpl,
    omni_field_value_pt value, void *data, char *buf, size_t size,
    size_t *len);

/* the escapers themselves, for callers that build markup by hand */
size_t omni_escape(omni_escape_e how, const char *src, size_t len,
    char *dst, size_t size);
/* the worst-case growth factor of an escaper */
size_t omni_escape_max(omni_escape_e how, size_t len);


#endif /* OMNI_TEMPLATE_H_INCLUDED */
