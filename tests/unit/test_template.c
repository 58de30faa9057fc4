/*
 * Templates: syntax, fallbacks and filters, errors with their offsets,
 * rendering into short buffers.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <omni/template.h>


enum {
    F_NAME = 0,
    F_EMPTY,
    F_MISSING,
    F_SAFE,
    F_NUM,
    F_FAIL,
    F_AMOUNT
};


static const char  *field_names[] = {
    "name", "empty", "missing", "safe", "num", "fail", "attr.amount-due"
};


static int
lookup(void *data, const char *name, size_t len)
{
    size_t  i;

    (void) data;

    for (i = 0; i < sizeof(field_names) / sizeof(field_names[0]); i++) {
        if (strlen(field_names[i]) == len
            && memcmp(field_names[i], name, len) == 0)
        {
            return (int) i;
        }
    }

    return -1;
}


static int
value(void *data, int field, omni_value_t *v)
{
    int  *calls = data;

    if (calls) {
        (*calls)++;
    }

    switch (field) {

    case F_NAME:
        v->str.data = "Zo\xc3\xab <O'Hara>";
        v->str.len = strlen(v->str.data);
        return OMNI_OK;

    case F_EMPTY:
        v->str.data = "";
        v->str.len = 0;
        return OMNI_OK;

    case F_SAFE:
        v->str.data = "Hi <b>you</b>";
        v->str.len = strlen(v->str.data);
        v->html_safe = 1;
        return OMNI_OK;

    case F_NUM:
        v->str.data = "12.50";
        v->str.len = 5;
        return OMNI_OK;

    case F_FAIL:
        return OMNI_ERROR;

    case F_AMOUNT:
        v->str.data = "a&b";
        v->str.len = 3;
        return OMNI_OK;

    default:
        return OMNI_ENOTFOUND;
    }
}


static void
render_ok(const char *src, const char *want)
{
    char                    out[512];
    size_t                  n;
    omni_template_t        *tpl;
    omni_template_error_t   err;

    assert_int_equal(omni_template_compile(src, strlen(src), lookup, NULL,
                                           &tpl, &err), OMNI_OK);
    assert_non_null(tpl);
    assert_int_equal(omni_template_render(tpl, value, NULL, out,
                                          sizeof(out), &n), OMNI_OK);
    out[n] = '\0';
    assert_string_equal(out, want);

    omni_template_free(tpl);
}


static void
compile_fails(const char *src, size_t offset, const char *text)
{
    omni_template_t        *tpl;
    omni_template_error_t   err;

    tpl = (omni_template_t *) 1;
    memset(&err, 0, sizeof(err));

    assert_int_equal(omni_template_compile(src, strlen(src), lookup, NULL,
                                           &tpl, &err), OMNI_EINVAL);
    assert_null(tpl);
    assert_int_equal(err.offset, offset);
    assert_string_equal(err.text, text);
}


static void
test_render(void **state)
{
    (void) state;

    render_ok("", "");
    render_ok("plain <b>text</b> { } }} {x}", "plain <b>text</b> { } }} {x}");
    render_ok("Hi {{name}}!", "Hi Zo&#x00EB; &lt;O&#39;Hara&gt;!");
    render_ok("{{ name }}", "Zo&#x00EB; &lt;O&#39;Hara&gt;");
    render_ok("{{name}}{{name}}",
              "Zo&#x00EB; &lt;O&#39;Hara&gt;Zo&#x00EB; &lt;O&#39;Hara&gt;");
    render_ok("{{name|js}}", "Zo\\u00EB \\x3CO\\x27Hara\\x3E");
    render_ok("{{name|url}}", "Zo%C3%AB%20%3CO%27Hara%3E");
    render_ok("{{name|number}}", "0");
    render_ok("{{num|number}}", "12.50");
    render_ok("{{num}}", "12.50");
    render_ok("{{attr.amount-due}}", "a&amp;b");
}


static void
test_fallbacks(void **state)
{
    (void) state;

    render_ok("Hi {{missing|there}}", "Hi there");
    render_ok("Hi {{missing | there friend }}.", "Hi there friend.");
    render_ok("Hi {{empty|there}}", "Hi there");
    render_ok("Hi {{missing}}.", "Hi .");
    render_ok("Hi {{missing|}}.", "Hi .");
    render_ok("{{missing|<b>&</b>}}", "&lt;b&gt;&amp;&lt;/b&gt;");
    render_ok("{{missing|a|b}}", "a|b");
    render_ok("{{missing|html|js}}", "js");
    render_ok("{{missing|js|it's}}", "it\\x27s");
    render_ok("{{missing|js}}", "");
    render_ok("{{missing|url|a b}}", "a%20b");
    render_ok("{{missing|url}}", "");
    render_ok("{{missing|number}}", "0");
    render_ok("{{missing|number|-1.5}}", "-1.5");
    render_ok("{{missing|number| 7 }}", "7");
    render_ok("{{name|there}}", "Zo&#x00EB; &lt;O&#39;Hara&gt;");
    render_ok("{{missing|jsx}}", "jsx");
}


static void
test_html_safe(void **state)
{
    (void) state;

    /* a rendered sub-template goes in as is, except into another context */
    render_ok("<p>{{safe}}</p>", "<p>Hi <b>you</b></p>");
    render_ok("{{safe|html}}", "Hi <b>you</b>");
    render_ok("'{{safe|js}}'", "'Hi \\x3Cb\\x3Eyou\\x3C/b\\x3E'");
    render_ok("{{safe|url}}", "Hi%20%3Cb%3Eyou%3C%2Fb%3E");
}


static void
test_errors(void **state)
{
    (void) state;

    compile_fails("Hi {{name", 3, "\"{{\" without a closing \"}}\"");
    compile_fails("Hi {{name}", 3, "\"{{\" without a closing \"}}\"");
    compile_fails("{{", 0, "\"{{\" without a closing \"}}\"");
    compile_fails("ab{{}}", 2, "empty placeholder \"{{}}\"");
    compile_fails("ab{{  |x}}", 2, "empty placeholder \"{{}}\"");
    compile_fails("Hi {{ frist_name }}", 6, "unknown field \"frist_name\"");
    compile_fails("{{name}} {{nme|x}}", 11, "unknown field \"nme\"");
    compile_fails("{{na me}}", 2, "\"na me\" is not a field name");
    compile_fails("{{a<b}}", 2, "\"a<b\" is not a field name");
    compile_fails("{{num|number|abc}}", 13,
                  "the fallback \"abc\" of a number is not a number");
    compile_fails("{{num|number|}}", 13,
                  "the fallback \"\" of a number is not a number");
    compile_fails("{{num|number|07}}", 13,
                  "the fallback \"07\" of a number is not a number");
    compile_fails("{{a{{name}}", 2, "\"a{{name\" is not a field name");
}


static void
test_short_buffer(void **state)
{
    char                    out[64];
    size_t                  n, full, size;
    omni_template_t        *tpl;
    omni_template_error_t   err;
    static const char       src[] = "Hi {{name}}, {{safe}} {{missing|x}}";

    (void) state;

    assert_int_equal(omni_template_compile(src, sizeof(src) - 1, lookup,
                                           NULL, &tpl, &err), OMNI_OK);
    assert_int_equal(omni_template_render(tpl, value, NULL, out, sizeof(out),
                                          &full), OMNI_OK);

    for (size = 0; size < full; size++) {
        n = 0;
        memset(out, '#', sizeof(out));
        assert_int_equal(omni_template_render(tpl, value, NULL, out, size,
                                              &n), OMNI_ETOOBIG);
        assert_int_equal(n, full);
        assert_int_equal(out[size], '#');
    }

    assert_int_equal(omni_template_render(tpl, value, NULL, NULL, 0, &n),
                     full ? OMNI_ETOOBIG : OMNI_OK);
    assert_int_equal(n, full);

    omni_template_free(tpl);
}


static void
test_value_error(void **state)
{
    int                     calls;
    char                    out[64];
    size_t                  n;
    omni_template_t        *tpl;
    omni_template_error_t   err;
    static const char       src[] = "{{name}}{{fail}}{{name}}";

    (void) state;

    assert_int_equal(omni_template_compile(src, sizeof(src) - 1, lookup,
                                           NULL, &tpl, &err), OMNI_OK);

    calls = 0;
    assert_int_equal(omni_template_render(tpl, value, &calls, out,
                                          sizeof(out), &n), OMNI_ERROR);
    assert_int_equal(calls, 2);

    omni_template_free(tpl);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_render),
        cmocka_unit_test(test_fallbacks),
        cmocka_unit_test(test_html_safe),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_short_buffer),
        cmocka_unit_test(test_value_error),
    };

    return cmocka_run_group_tests_name("template", tests, NULL, NULL);
}
