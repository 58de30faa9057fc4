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
 *
 * Filters and fallbacks combine as "{{field|FILTER|fallback}}": the word
 * after the first bar is a filter only when it is "html", "js", "url" or
 * "number", otherwise it starts the fallback ("{{x|html|js}}" writes the
 * fallback text "js").  A fallback is text, escaped like a value.  With
 * "number" a fallback must itself be a number, and a missing value
 * without one renders "0", so the output is always a valid JS literal.
 * Spaces around the name, the filter and the fallback are ignored.
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

/*
 * OMNI_OK, or OMNI_ENOTFOUND to render the fallback (or nothing); an
 * empty value counts as missing.  Any other code stops the rendering and
 * is returned by omni_template_render().  The value must stay valid
 * until the callback is called again.
 */
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

/*
 * The escapers themselves, for callers that build markup by hand.  The
 * output is pure ASCII (non-ASCII text becomes character references or
 * \u escapes, invalid UTF-8 becomes U+FFFD).  Returns the length of the
 * whole output and writes the longest prefix of whole escape sequences
 * that fits in size bytes: a return value over size means truncation.
 * dst may be NULL with size 0 to measure.
 */
size_t omni_escape(omni_escape_e how, const char *src, size_t len,
    char *dst, size_t size);
/* the worst-case growth factor of an escaper */
size_t omni_escape_max(omni_escape_e how, size_t len);


#endif /* OMNI_TEMPLATE_H_INCLUDED */
