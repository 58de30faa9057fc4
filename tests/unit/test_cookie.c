/*
 * Signed visitor cookies and base64url.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>

#include <cmocka.h>

#include <omni/cookie.h>


static const char  secret[] = "0123456789abcdef0123456789abcdef";
static const char  other_secret[] = "fedcba9876543210fedcba9876543210";


static int
setup(void **state)
{
    *state = omni_signer_new(secret, sizeof(secret) - 1);
    return *state == NULL;
}


static int
teardown(void **state)
{
    omni_signer_free(*state);
    return 0;
}


static void
mint(omni_signer_t *signer, omni_id_t *id, char *cookie)
{
    assert_int_equal(omni_id_generate(id), OMNI_OK);
    omni_cookie_mint(signer, id, cookie);
}


static void
test_round_trip(void **state)
{
    int        i;
    char       cookie[OMNI_COOKIE_LEN];
    omni_id_t  id, got;

    for (i = 0; i < 1000; i++) {
        mint(*state, &id, cookie);

        assert_memory_equal(cookie, "v1.", 3);
        assert_int_equal(cookie[3 + OMNI_ID_TEXT_LEN], '.');

        memset(&got, 0xee, sizeof(got));
        assert_int_equal(omni_cookie_verify(*state, cookie, OMNI_COOKIE_LEN,
                                            &got),
                         OMNI_OK);
        assert_memory_equal(&id, &got, sizeof(id));
    }
}


/* an HMAC test vector computed independently (openssl dgst -hmac) */
static void
test_known_vector(void **state)
{
    char       cookie[OMNI_COOKIE_LEN + 1];
    omni_id_t  id;

    memset(&id, 0, sizeof(id));
    omni_cookie_mint(*state, &id, cookie);
    cookie[OMNI_COOKIE_LEN] = '\0';

    assert_string_equal(cookie,
                        "v1.AAAAAAAAAAAAAAAAAAAAAA._1wRLOlWod9vUyTWtHSLuw");
}


static void
test_ids_differ(void **state)
{
    omni_id_t  a, b;

    (void) state;

    assert_int_equal(omni_id_generate(&a), OMNI_OK);
    assert_int_equal(omni_id_generate(&b), OMNI_OK);
    assert_memory_not_equal(&a, &b, sizeof(a));
}


static void
test_every_byte_tampered(void **state)
{
    int        rc;
    char       cookie[OMNI_COOKIE_LEN], bad[OMNI_COOKIE_LEN];
    size_t     i;
    unsigned   c;
    omni_id_t  id, got;

    mint(*state, &id, cookie);

    for (i = 0; i < OMNI_COOKIE_LEN; i++) {
        for (c = 0; c < 256; c++) {
            if ((char) c == cookie[i]) {
                continue;
            }

            memcpy(bad, cookie, sizeof(bad));
            bad[i] = (char) c;

            rc = omni_cookie_verify(*state, bad, sizeof(bad), &got);

            if (rc == OMNI_OK) {
                fail_msg("cookie accepted with byte %zu set to 0x%02x", i, c);
            }
        }
    }
}


static void
test_every_truncation(void **state)
{
    char       cookie[OMNI_COOKIE_LEN + 8];
    size_t     len;
    omni_id_t  id, got;

    mint(*state, &id, cookie);

    for (len = 0; len < OMNI_COOKIE_LEN; len++) {
        assert_int_not_equal(omni_cookie_verify(*state, cookie, len, &got),
                             OMNI_OK);
    }

    /* and every extension */
    memcpy(cookie + OMNI_COOKIE_LEN, "AAAAAAAA", 8);

    for (len = OMNI_COOKIE_LEN + 1; len <= OMNI_COOKIE_LEN + 8; len++) {
        assert_int_equal(omni_cookie_verify(*state, cookie, len, &got),
                         OMNI_EINVAL);
    }
}


static void
test_wrong_key(void **state)
{
    char            cookie[OMNI_COOKIE_LEN];
    omni_id_t       id, got;
    omni_signer_t  *other;

    other = omni_signer_new(other_secret, sizeof(other_secret) - 1);
    assert_non_null(other);

    mint(other, &id, cookie);

    assert_int_equal(omni_cookie_verify(*state, cookie, OMNI_COOKIE_LEN,
                                        &got),
                     OMNI_EFORGED);
    assert_int_equal(omni_cookie_verify(other, cookie, OMNI_COOKIE_LEN,
                                        &got),
                     OMNI_OK);

    omni_signer_free(other);
}


static void
test_short_secret_refused(void **state)
{
    (void) state;

    assert_null(omni_signer_new(secret, OMNI_SECRET_MIN - 1));
}


static void
test_long_secret(void **state)
{
    char            big[200], cookie[OMNI_COOKIE_LEN];
    omni_id_t       id, got;
    omni_signer_t  *signer;

    (void) state;

    memset(big, 'k', sizeof(big));
    signer = omni_signer_new(big, sizeof(big));
    assert_non_null(signer);

    mint(signer, &id, cookie);
    assert_int_equal(omni_cookie_verify(signer, cookie, OMNI_COOKIE_LEN,
                                        &got),
                     OMNI_OK);

    omni_signer_free(signer);
}


static void
test_versions(void **state)
{
    char       cookie[OMNI_COOKIE_LEN];
    omni_id_t  id, got;

    mint(*state, &id, cookie);

    cookie[1] = '2';
    assert_int_equal(omni_cookie_verify(*state, cookie, OMNI_COOKIE_LEN,
                                        &got),
                     OMNI_EVERSION);

    assert_int_equal(omni_cookie_verify(*state, "v12.abc", 7, &got),
                     OMNI_EVERSION);
    assert_int_equal(omni_cookie_verify(*state, "v.abc", 5, &got),
                     OMNI_EINVAL);
    assert_int_equal(omni_cookie_verify(*state, "v1", 2, &got), OMNI_EINVAL);
    assert_int_equal(omni_cookie_verify(*state, "x1.abc", 6, &got),
                     OMNI_EINVAL);
    assert_int_equal(omni_cookie_verify(*state, "", 0, &got), OMNI_EINVAL);
}


static void
test_oversized(void **state)
{
    char       big[4096];
    omni_id_t  got;

    memset(big, 'A', sizeof(big));
    memcpy(big, "v1.", 3);

    assert_int_equal(omni_cookie_verify(*state, big, sizeof(big), &got),
                     OMNI_ETOOBIG);
}


static void
test_base64url_vectors(void **state)
{
    /* RFC 4648 section 10, unpadded, with the url alphabet */
    static const struct {
        const char  *plain;
        const char  *encoded;
    } v[] = {
        { "", "" },
        { "f", "Zg" },
        { "fo", "Zm8" },
        { "foo", "Zm9v" },
        { "foob", "Zm9vYg" },
        { "fooba", "Zm9vYmE" },
        { "foobar", "Zm9vYmFy" },
        { "\xfb\xff\xbf", "-_-_" },
        { "\xff\xfe", "__4" },
    };

    char     out[32];
    size_t   i, n, plen;
    uint8_t  back[32];

    (void) state;

    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        plen = strlen(v[i].plain);

        n = omni_base64url_encode((const uint8_t *) v[i].plain, plen, out);
        assert_int_equal(n, strlen(v[i].encoded));
        assert_int_equal(n, omni_base64url_encoded_len(plen));
        assert_memory_equal(out, v[i].encoded, n);

        assert_int_equal(omni_base64url_decode(v[i].encoded, n, back),
                         (long) plen);
        assert_memory_equal(back, v[i].plain, plen);
    }
}


static void
test_base64url_strict(void **state)
{
    uint8_t  out[32];

    (void) state;

    /* padding, the standard alphabet, impossible lengths */
    assert_int_equal(omni_base64url_decode("Zg==", 4, out), -1);
    assert_int_equal(omni_base64url_decode("+/+/", 4, out), -1);
    assert_int_equal(omni_base64url_decode("Z", 1, out), -1);
    assert_int_equal(omni_base64url_decode("Zm9vY", 5, out), -1);
    assert_int_equal(omni_base64url_decode("Zm 9", 4, out), -1);
    assert_int_equal(omni_base64url_decode("Zm\x009", 4, out), -1);
    assert_int_equal(omni_base64url_decode("Zm\xc3\xa9", 4, out), -1);

    /* non-zero trailing bits: a second spelling of "f" and "fo" */
    assert_int_equal(omni_base64url_decode("Zh", 2, out), -1);
    assert_int_equal(omni_base64url_decode("Zm8", 3, out), 2);
    assert_int_equal(omni_base64url_decode("Zm9", 3, out), -1);
    assert_int_equal(omni_base64url_decode("Zm-", 3, out), -1);
}


static void
test_id_text(void **state)
{
    char       text[OMNI_ID_TEXT_LEN];
    omni_id_t  id, back;

    (void) state;

    assert_int_equal(omni_id_generate(&id), OMNI_OK);
    omni_id_format(&id, text);

    assert_int_equal(omni_id_parse(text, sizeof(text), &back), OMNI_OK);
    assert_memory_equal(&id, &back, sizeof(id));

    assert_int_equal(omni_id_parse(text, sizeof(text) - 1, &back),
                     OMNI_EINVAL);
    text[21] = '=';
    assert_int_equal(omni_id_parse(text, sizeof(text), &back), OMNI_EINVAL);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_known_vector),
        cmocka_unit_test(test_ids_differ),
        cmocka_unit_test(test_every_byte_tampered),
        cmocka_unit_test(test_every_truncation),
        cmocka_unit_test(test_wrong_key),
        cmocka_unit_test(test_short_secret_refused),
        cmocka_unit_test(test_long_secret),
        cmocka_unit_test(test_versions),
        cmocka_unit_test(test_oversized),
        cmocka_unit_test(test_base64url_vectors),
        cmocka_unit_test(test_base64url_strict),
        cmocka_unit_test(test_id_text),
    };

    return cmocka_run_group_tests_name("cookie", tests, setup, teardown);
}
