/*
 * CSP nonces: which directive governs, malformed nonces, several
 * policies, and the nonce written into injected start tags.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <omni/csp.h>


static int
nonce_of(const char *policy, omni_csp_kind_e kind, char *out)
{
    int         rc;
    omni_str_t  n;

    rc = omni_csp_nonce(policy, strlen(policy), kind, &n);

    if (rc == OMNI_OK) {
        memcpy(out, n.data, n.len);
        out[n.len] = '\0';

    } else {
        out[0] = '\0';
    }

    return rc;
}


static void
test_nonce_directives(void **state)
{
    char  n[300];

    (void) state;

    assert_int_equal(nonce_of("script-src 'self' 'nonce-abc123'",
                              OMNI_CSP_SCRIPT, n), OMNI_OK);
    assert_string_equal(n, "abc123");

    /* no style-src: default-src governs styles */
    assert_int_equal(nonce_of("default-src 'NONCE-x+/y=='; script-src 'self'",
                              OMNI_CSP_STYLE, n), OMNI_OK);
    assert_string_equal(n, "x+/y==");

    /* script-src governs scripts, and names no nonce */
    assert_int_equal(nonce_of("default-src 'nonce-d'; script-src 'self'",
                              OMNI_CSP_SCRIPT, n), OMNI_ENOTFOUND);

    /* the -elem directive wins over the others */
    assert_int_equal(nonce_of("style-src 'nonce-a';style-src-elem 'nonce-b'",
                              OMNI_CSP_STYLE, n), OMNI_OK);
    assert_string_equal(n, "b");

    /* directive names in any case, tabs, empty directives */
    assert_int_equal(nonce_of(";; \tScript-Src\t'nonce-Q_-z' ;",
                              OMNI_CSP_SCRIPT, n), OMNI_OK);
    assert_string_equal(n, "Q_-z");

    /* a longer name is another directive */
    assert_int_equal(nonce_of("script-srcx 'nonce-a'", OMNI_CSP_SCRIPT, n),
                     OMNI_ENOTFOUND);
    assert_int_equal(nonce_of("img-src 'nonce-a'", OMNI_CSP_SCRIPT, n),
                     OMNI_ENOTFOUND);
    assert_int_equal(nonce_of("", OMNI_CSP_SCRIPT, n), OMNI_ENOTFOUND);
}


static void
test_nonce_policies(void **state)
{
    char  n[300];

    (void) state;

    /* the first policy allows inline scripts; the second needs a nonce */
    assert_int_equal(nonce_of("script-src 'unsafe-inline', "
                              "script-src 'nonce-second'",
                              OMNI_CSP_SCRIPT, n), OMNI_OK);
    assert_string_equal(n, "second");

    /* a policy that says nothing about scripts is skipped */
    assert_int_equal(nonce_of("img-src *, default-src 'nonce-d'",
                              OMNI_CSP_SCRIPT, n), OMNI_OK);
    assert_string_equal(n, "d");
}


static void
test_nonce_malformed(void **state)
{
    char  n[300], big[400];

    (void) state;

    assert_int_equal(nonce_of("script-src 'nonce-'", OMNI_CSP_SCRIPT, n),
                     OMNI_ENOTFOUND);
    assert_int_equal(nonce_of("script-src 'nonce-a\"b'", OMNI_CSP_SCRIPT, n),
                     OMNI_EINVAL);
    assert_int_equal(nonce_of("script-src 'nonce-a<b'", OMNI_CSP_SCRIPT, n),
                     OMNI_EINVAL);
    assert_int_equal(nonce_of("script-src 'nonce-a=b'", OMNI_CSP_SCRIPT, n),
                     OMNI_EINVAL);
    assert_int_equal(nonce_of("script-src 'nonce-a==='", OMNI_CSP_SCRIPT, n),
                     OMNI_EINVAL);
    assert_int_equal(nonce_of("script-src 'nonce-=='", OMNI_CSP_SCRIPT, n),
                     OMNI_EINVAL);
    assert_int_equal(nonce_of("script-src 'nonce-abc", OMNI_CSP_SCRIPT, n),
                     OMNI_ENOTFOUND);

    strcpy(big, "script-src 'nonce-");
    memset(big + 18, 'a', OMNI_CSP_NONCE_MAX + 1);
    strcpy(big + 18 + OMNI_CSP_NONCE_MAX + 1, "'");
    assert_int_equal(nonce_of(big, OMNI_CSP_SCRIPT, n), OMNI_EINVAL);

    big[18 + OMNI_CSP_NONCE_MAX] = '\'';
    big[18 + OMNI_CSP_NONCE_MAX + 1] = '\0';
    assert_int_equal(nonce_of(big, OMNI_CSP_SCRIPT, n), OMNI_OK);
    assert_int_equal(strlen(n), OMNI_CSP_NONCE_MAX);
}


static void
check_add(const char *src, const char *script, const char *style,
    const char *expect)
{
    int         rc;
    char        buf[512];
    size_t      len;
    omni_str_t  sn, tn;

    sn.data = script;
    sn.len = strlen(script);
    tn.data = style;
    tn.len = strlen(style);

    rc = omni_csp_add_nonce(src, strlen(src), sn, tn, buf, sizeof(buf),
                            &len);
    assert_int_equal(rc, OMNI_OK);
    assert_int_equal(len, strlen(expect));
    assert_memory_equal(buf, expect, len);

    /* too small by one byte: the size needed comes back */
    if (len > 0) {
        rc = omni_csp_add_nonce(src, strlen(src), sn, tn, buf, len - 1,
                                &len);
        assert_int_equal(rc, OMNI_ETOOBIG);
        assert_int_equal(len, strlen(expect));
    }
}


static void
test_add_nonce(void **state)
{
    (void) state;

    check_add("<style data-omni-brand=\"n\">:root{}</style><meta a=b>",
              "s1", "t1",
              "<style nonce=\"t1\" data-omni-brand=\"n\">:root{}</style>"
              "<meta a=b>");
    check_add("<script>a<b</script><SCRIPT src=x></SCRIPT><script/>",
              "s1", "",
              "<script nonce=\"s1\">a<b</script><SCRIPT nonce=\"s1\" src=x>"
              "</SCRIPT><script nonce=\"s1\"/>");
    check_add("<scripts><styles><stylex x>", "s", "t",
              "<scripts><styles><stylex x>");
    check_add("<style>x</style>", "", "", "<style>x</style>");
    check_add("no tags at all <", "s", "t", "no tags at all <");
    check_add("<script", "s", "t", "<script");
    check_add("", "s", "t", "");
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_nonce_directives),
        cmocka_unit_test(test_nonce_policies),
        cmocka_unit_test(test_nonce_malformed),
        cmocka_unit_test(test_add_nonce),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
