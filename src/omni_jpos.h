/*
 * Positions of the values of a JSON text, for error messages.
 *
 * jansson reports a position only for syntax errors.  Once it has parsed
 * a text, omni_jpos_build() tokenizes the same text again and records,
 * in document order, the line and column of every value and of the key
 * it belongs to, as a tree that mirrors the json_t one: with
 * JSON_PRESERVE_ORDER and JSON_REJECT_DUPLICATES, the n-th member that
 * jansson iterates in an object is the n-th child here.
 *
 * Lines and columns start at 1; columns count characters (UTF-8 code
 * points), as jansson and editors do.
 */

#ifndef OMNI_JPOS_H_INCLUDED
#define OMNI_JPOS_H_INCLUDED


#include <omni/omni.h>


#define OMNI_JPOS_NONE  ((uint32_t) -1)


typedef struct {
    uint32_t     line;
    uint32_t     col;
    uint32_t     key_line;          /* 0 outside objects */
    uint32_t     key_col;
    size_t       offset;            /* of the value's first byte */
    uint32_t     first;             /* first child, or OMNI_JPOS_NONE */
    uint32_t     next;              /* next sibling, or OMNI_JPOS_NONE */
} omni_jpos_node_t;


typedef struct {
    const char        *text;
    size_t             len;
    omni_jpos_node_t  *nodes;
    size_t             n;
} omni_jpos_t;


/*
 * The text must be one JSON value that jansson accepted.  OMNI_ERROR when
 * out of memory, OMNI_EINVAL when the text is not what it was said to be.
 */
int omni_jpos_build(omni_jpos_t *jp, const char *text, size_t len);
void omni_jpos_free(omni_jpos_t *jp);

/* the i-th child of a node, or OMNI_JPOS_NONE */
uint32_t omni_jpos_child(const omni_jpos_t *jp, uint32_t node, size_t i);

/*
 * The column of the byte at offset "at" of the decoded value of a string
 * node: escapes such as \" or \u00e9 are wider in the file than in the
 * value.
 */
uint32_t omni_jpos_string_col(const omni_jpos_t *jp, uint32_t node,
    size_t at);


#endif /* OMNI_JPOS_H_INCLUDED */
