/*
 * Content-Security-Policy nonces for the elements the rewriter injects.
 *
 * A page whose policy allows inline scripts or styles only with a nonce
 * ("script-src 'nonce-r4nd0m'") would block an injected <script> or
 * <style> without one.  omni_csp_nonce() finds the nonce that governs
 * inline elements of a kind, and omni_csp_add_nonce() writes it into
 * every <script> and <style> start tag of a trusted snippet.
 */

#ifndef OMNI_CSP_H_INCLUDED
#define OMNI_CSP_H_INCLUDED


#include <omni/omni.h>


#define OMNI_CSP_NONCE_MAX  256


typedef enum {
    OMNI_CSP_SCRIPT = 0,
    OMNI_CSP_STYLE
} omni_csp_kind_e;


/*
 * The nonce of the directive that governs inline elements of the kind:
 * script-src-elem, else script-src, else default-src (style-src-elem,
 * style-src, default-src for styles), in the first policy of a header
 * value that has one (policies are separated by ",").  The nonce points
 * into policy.  OMNI_ENOTFOUND when no directive governs the kind or the
 * one that does names no nonce; OMNI_EINVAL for a nonce that is not
 * base64 or longer than OMNI_CSP_NONCE_MAX.
 */
int omni_csp_nonce(const char *policy, size_t len, omni_csp_kind_e kind,
    omni_str_t *nonce);

/*
 * Copies the snippet into buf with ' nonce="..."' after the name of every
 * <script> start tag (script nonce) and <style> start tag (style nonce);
 * an empty nonce adds nothing.  The nonces must come from
 * omni_csp_nonce(), which allows no character that needs escaping in an
 * attribute.  OMNI_ETOOBIG when buf is too small: *len then receives the
 * size needed.
 */
int omni_csp_add_nonce(const char *src, size_t len, omni_str_t script,
    omni_str_t style, char *buf, size_t size, size_t *out_len);


#endif /* OMNI_CSP_H_INCLUDED */
