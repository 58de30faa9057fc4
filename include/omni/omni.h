/*
 * libomni: the nginx-free core of ngx_omni_module.
 *
 * Every function that can fail returns an int: OMNI_OK (0) or a negative
 * OMNI_E* code; omni_strerror() turns a code into text.  Results come back
 * through out-parameters.  Strings are (pointer, length) pairs and are not
 * NUL-terminated unless a function says so.
 */

#ifndef OMNI_OMNI_H_INCLUDED
#define OMNI_OMNI_H_INCLUDED


#include <stddef.h>
#include <stdint.h>


#define OMNI_OK          0
#define OMNI_ERROR      -1      /* out of memory, failed library call */
#define OMNI_EINVAL     -2      /* malformed input */
#define OMNI_EVERSION   -3      /* well formed, unknown version */
#define OMNI_EFORGED    -4      /* signature does not match */
#define OMNI_ETOOBIG    -5      /* input over a configured bound */
#define OMNI_ENOTFOUND  -6      /* no such record */
#define OMNI_EFULL      -7      /* a store or a queue is full */
#define OMNI_AGAIN      -8      /* need more input */


typedef struct {
    const char  *data;
    size_t       len;
} omni_str_t;


#define omni_string(s)     { s, sizeof(s) - 1 }
#define omni_null_string   { NULL, 0 }


const char *omni_strerror(int rc);


#endif /* OMNI_OMNI_H_INCLUDED */
