/*
 * Profile JSON lines: the mapping both ways, and the import loop (line
 * errors, strict mode, upserts, batches, the writers' lock).
 */

#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include <inttypes.h>
#include <jansson.h>

#include <omni/import.h>
#include <omni/record_json.h>
#include <omni/store.h>
#include <omni/wire.h>

#include "store_support.h"


typedef struct {
    const char  *line;
    int          rc;
    const char  *reason;
} bad_line_t;


/* the lookups' allocator: one record at a time, freed by the test */
static void *
test_alloc(void *data, size_t size)
{
    void  **last = data;

    *last = test_malloc(size);

    return *last;
}


static int
parse(const char *line, omni_profile_t *p, char *buf,
    omni_json_error_t *err)
{
    return omni_profile_from_json(line, strlen(line), p, buf,
                                  OMNI_PROFILE_RECORD_MAX, err);
}


static void
assert_text(omni_str_t s, const char *text)
{
    assert_int_equal(s.len, strlen(text));
    assert_memory_equal(s.data, text, s.len);
}


static void
test_parse(void **state)
{
    char               buf[OMNI_PROFILE_RECORD_MAX];
    omni_profile_t     p;
    omni_json_error_t  err;

    (void) state;

    assert_int_equal(parse("{\"customer_id\": \"C1\", \"first_name\": \"Ann\", "
                           "\"tier\": \"gold\", \"points\": 1200, "
                           "\"tags\": [\"vip\", \"b2b\", \"vip\"], "
                           "\"attrs\": {\"city\": \"Oslo\", \"age\": 41, "
                           "\"member\": true, \"gone\": null}, "
                           "\"locale\": \"nb-NO\", "
                           "\"consent\": [\"email\", \"ads\"], "
                           "\"updated\": 1700000000}",
                           &p, buf, &err), OMNI_OK);

    assert_text(p.customer_id, "C1");
    assert_text(p.first_name, "Ann");
    assert_text(p.tier, "gold");
    assert_text(p.locale, "nb-NO");
    assert_true(p.points == 1200);
    assert_true(p.updated == 1700000000);
    assert_int_equal(p.consent, OMNI_CONSENT_EMAIL | OMNI_CONSENT_ADS);

    /* a tag given twice is kept once */
    assert_int_equal(p.ntags, 2);
    assert_text(p.tags[0], "vip");
    assert_text(p.tags[1], "b2b");

    /* null attributes are left out, others kept as text */
    assert_int_equal(p.nattrs, 3);
    assert_text(omni_profile_attr(&p, "city", 4), "Oslo");
    assert_text(omni_profile_attr(&p, "age", 3), "41");
    assert_text(omni_profile_attr(&p, "member", 6), "true");
    assert_null(omni_profile_attr(&p, "gone", 4).data);

    /* strings live in buf, not in the parser's memory */
    assert_true(p.first_name.data >= buf
                && p.first_name.data < buf + sizeof(buf));

    /* nulls and a lone id */
    assert_int_equal(parse("{\"customer_id\":\"x\",\"first_name\":null,"
                           "\"points\":null,\"tags\":null,\"attrs\":null,"
                           "\"consent\":null,\"updated\":null}",
                           &p, buf, &err), OMNI_OK);
    assert_int_equal(p.first_name.len, 0);
    assert_int_equal(p.ntags, 0);
}


static void
test_line_errors(void **state)
{
    int                i, rc;
    char               buf[OMNI_PROFILE_RECORD_MAX], line[2048];
    omni_profile_t     p;
    omni_json_error_t  err;

    static const bad_line_t  cases[] = {
        { "not json", OMNI_EINVAL, "invalid JSON at column" },
        { "[1, 2]", OMNI_EINVAL, "not a JSON object" },
        { "\"C1\"", OMNI_EINVAL, "invalid JSON" },
        { "{}", OMNI_EINVAL, "no \"customer_id\"" },
        { "{\"first_name\": \"Ann\"}", OMNI_EINVAL, "no \"customer_id\"" },
        { "{\"customer_id\": \"\"}", OMNI_EINVAL, "\"customer_id\" is empty" },
        { "{\"customer_id\": null}", OMNI_EINVAL, "must be a string" },
        { "{\"customer_id\": 5}", OMNI_EINVAL,
          "\"customer_id\" must be a string" },
        { "{\"customer_id\": \"C\", \"customer_id\": \"D\"}", OMNI_EINVAL,
          "duplicate object key" },
        { "{\"customer_id\": \"C\", \"nick\": \"x\"}", OMNI_EINVAL,
          "unknown field \"nick\"" },
        { "{\"customer_id\": \"C\", \"points\": 1.5}", OMNI_EINVAL,
          "\"points\" must be an integer" },
        { "{\"customer_id\": \"C\", \"points\": \"12\"}", OMNI_EINVAL,
          "\"points\" must be an integer" },
        { "{\"customer_id\": \"C\", \"updated\": -1}", OMNI_EINVAL,
          "\"updated\" must be unix seconds" },
        { "{\"customer_id\": \"C\", \"tier\": [\"gold\"]}", OMNI_EINVAL,
          "\"tier\" must be a string" },
        { "{\"customer_id\": \"C\", \"tags\": \"vip\"}", OMNI_EINVAL,
          "\"tags\" must be an array" },
        { "{\"customer_id\": \"C\", \"tags\": [\"a\", 1]}", OMNI_EINVAL,
          "tag 2 is not a string" },
        { "{\"customer_id\": \"C\", \"tags\": [\"a,b\"]}", OMNI_EINVAL,
          "without a comma" },
        { "{\"customer_id\": \"C\", \"tags\": [\"\"]}", OMNI_EINVAL,
          "tag 1 must be 1 to 64" },
        { "{\"customer_id\": \"C\", \"attrs\": [\"x\"]}", OMNI_EINVAL,
          "\"attrs\" must be an object" },
        { "{\"customer_id\": \"C\", \"attrs\": {\"a-b\": \"x\"}}", OMNI_EINVAL,
          "attribute name \"a-b\"" },
        { "{\"customer_id\": \"C\", \"attrs\": {\"a\": [1]}}", OMNI_EINVAL,
          "attribute \"a\" must be a string, an integer or a boolean" },
        { "{\"customer_id\": \"C\", \"attrs\": {\"a\": 1.5}}", OMNI_EINVAL,
          "attribute \"a\" must be" },
        { "{\"customer_id\": \"C\", \"attrs\": {\"a\": \"x\\u0007\"}}",
          OMNI_EINVAL, "attribute \"a\" holds a control character" },
        { "{\"customer_id\": \"C\", \"first_name\": \"A\\r\\nB\"}",
          OMNI_EINVAL, "\"first_name\" holds a control character" },
        { "{\"customer_id\": \"C\\u0000\"}", OMNI_EINVAL,
          "is not allowed" },
        { "{\"customer_id\": \"C\\u001b\"}", OMNI_EINVAL,
          "\"customer_id\" holds a control character" },
        { "{\"customer_id\": \"C\", \"consent\": [\"mail\"]}", OMNI_EINVAL,
          "consent 1 is not one of" },
        { "{\"customer_id\": \"C\", \"consent\": \"email\"}", OMNI_EINVAL,
          "\"consent\" must be an array" },
        { "{\"customer_id\": \"C\"} x", OMNI_EINVAL, "invalid JSON" },
        { "{\"customer_id\": \"C\xff\"}", OMNI_EINVAL, "invalid JSON" },
        { NULL, 0, NULL }
    };

    (void) state;

    for (i = 0; cases[i].line; i++) {
        rc = parse(cases[i].line, &p, buf, &err);

        if (rc != cases[i].rc || strstr(err.text, cases[i].reason) == NULL) {
            fail_msg("line %s: got %d \"%s\", expected %d \"%s\"",
                     cases[i].line, rc, err.text, cases[i].rc,
                     cases[i].reason);
        }
    }

    /* the limits */
    snprintf(line, sizeof(line), "{\"customer_id\": \"%0129d\"}", 0);
    assert_int_equal(parse(line, &p, buf, &err), OMNI_ETOOBIG);
    assert_non_null(strstr(err.text, "longer than 128 bytes"));

    snprintf(line, sizeof(line), "{\"customer_id\": \"%0128d\"}", 0);
    assert_int_equal(parse(line, &p, buf, &err), OMNI_OK);

    snprintf(line, sizeof(line), "{\"customer_id\": \"C\", "
             "\"first_name\": \"%0256d\"}", 0);
    assert_int_equal(parse(line, &p, buf, &err), OMNI_ETOOBIG);
    assert_non_null(strstr(err.text, "\"first_name\" is longer than 255"));

    strcpy(line, "{\"customer_id\": \"C\", \"tags\": [");
    for (i = 0; i < 33; i++) {
        sprintf(line + strlen(line), "%s\"t%d\"", i ? "," : "", i);
    }
    strcat(line, "]}");
    assert_int_equal(parse(line, &p, buf, &err), OMNI_ETOOBIG);
    assert_string_equal(err.text, "more than 32 tags");

    strcpy(line, "{\"customer_id\": \"C\", \"attrs\": {");
    for (i = 0; i < 33; i++) {
        sprintf(line + strlen(line), "%s\"a%d\": %d", i ? "," : "", i, i);
    }
    strcat(line, "}}");
    assert_int_equal(parse(line, &p, buf, &err), OMNI_ETOOBIG);
    assert_string_equal(err.text, "more than 32 attributes");

    /* an arena too small is an error, not an overflow */
    assert_int_equal(omni_profile_from_json("{\"customer_id\": \"C123\"}", 23,
                                            &p, buf, 3, &err),
                     OMNI_ETOOBIG);
}


static void
test_json_round_trip(void **state)
{
    char               buf[OMNI_PROFILE_RECORD_MAX], *out, *out2;
    size_t             len, rlen, rlen2;
    uint8_t            rec[OMNI_PROFILE_RECORD_MAX];
    uint8_t            rec2[OMNI_PROFILE_RECORD_MAX];
    omni_profile_t     p, q;
    omni_json_error_t  err;

    (void) state;

    assert_int_equal(parse("{\"tags\": [\"vip\"], "
                           "\"customer_id\": \"C\\u00e9\","
                           "\"first_name\": \"Zo\\u00eb \\\"Z\\\"\","
                           "\"points\": -3, \"attrs\": {\"b\": \"2\", "
                           "\"a\": \"<1>\"}, \"consent\": [\"analytics\", "
                           "\"sms\"], \"updated\": 12}",
                           &p, buf, &err), OMNI_OK);
    assert_int_equal(omni_profile_encode(&p, rec, sizeof(rec), &rlen),
                     OMNI_OK);
    assert_int_equal(omni_profile_decode(rec, rlen, &q), OMNI_OK);

    out = omni_profile_to_json(&q, &len);
    assert_non_null(out);
    assert_int_equal(strlen(out), len);
    assert_string_equal(out, "{\"customer_id\":\"C\xc3\xa9\","
                        "\"first_name\":\"Zo\xc3\xab \\\"Z\\\"\","
                        "\"points\":-3,\"consent\":[\"sms\",\"analytics\"],"
                        "\"updated\":12,\"tags\":[\"vip\"],"
                        "\"attrs\":{\"b\":\"2\",\"a\":\"<1>\"}}");

    /* the export imports back to the very same record */
    assert_int_equal(parse(out, &p, buf, &err), OMNI_OK);
    assert_int_equal(omni_profile_encode(&p, rec2, sizeof(rec2), &rlen2),
                     OMNI_OK);
    assert_int_equal(rlen, rlen2);
    assert_memory_equal(rec, rec2, rlen);

    out2 = omni_profile_to_json(&p, NULL);
    assert_string_equal(out, out2);

    free(out);
    free(out2);

    /* bytes that are not UTF-8 (a record from elsewhere) are replaced */
    omni_profile_init(&p);
    p.customer_id.data = "C\xff" "1";
    p.customer_id.len = 3;
    out = omni_profile_to_json(&p, NULL);
    assert_non_null(out);
    assert_string_equal(out, "{\"customer_id\":\"C\xef\xbf\xbd" "1\","
                        "\"points\":0}");
    free(out);
}


static void
test_activity_json(void **state)
{
    char             *out;
    omni_id_t         id;
    omni_activity_t   a;

    (void) state;

    memset(&id, 0, sizeof(id));
    omni_activity_init(&a);
    a.customer_id.data = "C1";
    a.customer_id.len = 2;
    a.visits = 2;
    a.viewed[0].data = "sku-1";
    a.viewed[0].len = 5;
    a.nviewed = 1;
    a.last_touch.channel = OMNI_CHANNEL_EMAIL;

    out = omni_activity_to_json(&id, &a, NULL);
    assert_non_null(out);
    assert_non_null(strstr(out, "\"visitor\":\"AAAAAAAAAAAAAAAAAAAAAA\""));
    assert_non_null(strstr(out, "\"customer_id\":\"C1\""));
    assert_non_null(strstr(out, "\"visits\":2"));
    assert_non_null(strstr(out, "\"viewed\":[\"sku-1\"]"));
    assert_non_null(strstr(out, "\"last_touch\":{\"channel\":\"email\""));
    free(out);
}


/*
 * The reference: the same mapping through jansson, which the reader in
 * omni_profile_json.c must agree with on every line (accepted or not,
 * and the record when accepted).
 */

static int
ref_copy(char **pos, char *last, const char *s, size_t len, omni_str_t *out)
{
    if ((size_t) (last - *pos) < len) {
        return -1;
    }

    memcpy(*pos, s, len);
    out->data = *pos;
    out->len = len;
    *pos += len;

    return 0;
}


static int
ref_text(json_t *v, size_t min, size_t max, char **pos, char *last,
    omni_str_t *out)
{
    omni_str_t  s;

    if (json_is_null(v) && min == 0) {
        return 0;
    }

    if (!json_is_string(v)) {
        return -1;
    }

    s.data = json_string_value(v);
    s.len = json_string_length(v);

    if (s.len < min || s.len > max || !omni_text_ok(s)) {
        return -1;
    }

    return ref_copy(pos, last, s.data, s.len, out);
}


static int
ref_parse(const char *text, size_t len, omni_profile_t *p, char *buf,
    size_t size)
{
    int           rc, has_id, n;
    char         *pos, *last, num[24];
    size_t        i, nkeys;
    json_t       *root, *v, *e;
    uint32_t      flag;
    omni_str_t    s;
    const char   *key, *k;
    json_error_t  jerr;

    omni_profile_init(p);

    root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        return -1;
    }

    pos = buf;
    last = buf + size;
    rc = json_is_object(root) ? 0 : -1;
    has_id = 0;

    json_object_foreach(root, key, v) {
        if (rc != 0) {
            break;
        }

        if (strcmp(key, "customer_id") == 0) {
            rc = ref_text(v, 1, OMNI_KEY_MAX, &pos, last, &p->customer_id);
            has_id = 1;

        } else if (strcmp(key, "first_name") == 0) {
            rc = ref_text(v, 0, OMNI_SHORT_MAX, &pos, last, &p->first_name);

        } else if (strcmp(key, "locale") == 0) {
            rc = ref_text(v, 0, OMNI_SHORT_MAX, &pos, last, &p->locale);

        } else if (strcmp(key, "tier") == 0) {
            rc = ref_text(v, 0, OMNI_SHORT_MAX, &pos, last, &p->tier);

        } else if (strcmp(key, "points") == 0) {
            if (json_is_integer(v)) {
                p->points = json_integer_value(v);

            } else if (!json_is_null(v)) {
                rc = -1;
            }

        } else if (strcmp(key, "updated") == 0) {
            if (json_is_integer(v) && json_integer_value(v) >= 0) {
                p->updated = json_integer_value(v);

            } else if (!json_is_null(v)) {
                rc = -1;
            }

        } else if (strcmp(key, "consent") == 0) {
            if (json_is_array(v)) {
                json_array_foreach(v, i, e) {
                    flag = json_is_string(e)
                           ? omni_consent_by_name(json_string_value(e),
                                                  json_string_length(e))
                           : 0;
                    rc |= (flag == 0) ? -1 : 0;
                    p->consent |= flag;
                }

            } else if (!json_is_null(v)) {
                rc = -1;
            }

        } else if (strcmp(key, "tags") == 0) {
            if (json_is_array(v)) {
                json_array_foreach(v, i, e) {
                    if (rc != 0 || !json_is_string(e)
                        || !omni_profile_tag_ok(json_string_value(e),
                                                json_string_length(e)))
                    {
                        rc = -1;
                        break;
                    }

                    if (omni_profile_has_tag(p, json_string_value(e),
                                             json_string_length(e)))
                    {
                        continue;
                    }

                    if (p->ntags == OMNI_PROFILE_MAX_TAGS
                        || ref_copy(&pos, last, json_string_value(e),
                                    json_string_length(e),
                                    &p->tags[p->ntags]) != 0)
                    {
                        rc = -1;
                        break;
                    }

                    p->ntags++;
                }

            } else if (!json_is_null(v)) {
                rc = -1;
            }

        } else if (strcmp(key, "attrs") == 0) {
            if (json_is_object(v)) {
                nkeys = 0;

                json_object_foreach(v, k, e) {
                    if (rc != 0 || ++nkeys > OMNI_PROFILE_MAX_ATTRS
                        || !omni_profile_attr_key_ok(k, strlen(k)))
                    {
                        rc = -1;
                        break;
                    }

                    if (json_is_null(e)) {
                        continue;
                    }

                    if (json_is_string(e)) {
                        s.data = json_string_value(e);
                        s.len = json_string_length(e);

                    } else if (json_is_integer(e)) {
                        n = snprintf(num, sizeof(num), "%" PRId64,
                                     (int64_t) json_integer_value(e));
                        s.data = num;
                        s.len = (size_t) n;

                    } else if (json_is_boolean(e)) {
                        s.data = json_is_true(e) ? "true" : "false";
                        s.len = strlen(s.data);

                    } else {
                        rc = -1;
                        break;
                    }

                    if (s.len > OMNI_SHORT_MAX || !omni_text_ok(s)
                        || ref_copy(&pos, last, k, strlen(k),
                                    &p->attrs[p->nattrs].key) != 0
                        || ref_copy(&pos, last, s.data, s.len,
                                    &p->attrs[p->nattrs].value) != 0)
                    {
                        rc = -1;
                        break;
                    }

                    p->nattrs++;
                }

            } else if (!json_is_null(v)) {
                rc = -1;
            }

        } else {
            rc = -1;
        }
    }

    json_decref(root);

    return (rc == 0 && has_id) ? 0 : -1;
}


static const char  *seed_lines[] = {
    "{\"customer_id\": \"C1\", \"first_name\": \"Ann\", \"tier\": \"gold\", "
    "\"points\": 1200, \"tags\": [\"vip\"], \"attrs\": {\"city\": \"Oslo\"}}",

    "{\"customer_id\":\"C\\u00e9\\ud83d\\ude00\",\"first_name\":\"Zo\\u00eb "
    "\\\"Z\\\"\",\"locale\":\"nb-NO\",\"points\":-9223372036854775808,"
    "\"consent\":[\"email\",\"ads\"],\"updated\":0,\"tags\":[\"a\",\"b\","
    "\"a\"],\"attrs\":{\"n\":-0,\"t\":true,\"f\":false,\"z\":null,"
    "\"s\":\"x\\/y\\t\"}}",

    " { \"customer_id\" : \"x\" , \"attrs\" : { } , \"tags\" : [ ] ,"
    " \"consent\" : [ ] , \"updated\" : 9223372036854775807 }\t",

    "{\"customer_id\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\","
    "\"first_name\":null,\"locale\":null,\"tier\":null,\"points\":null,"
    "\"updated\":null,\"consent\":null,\"tags\":null,\"attrs\":null}",

    "{\"attrs\":{\"a1\":1,\"a2\":\"2\",\"B_3\":\"\\u0041\"},"
    "\"customer_id\":\"\\u0043\\u0031\",\"points\":0,\"tags\":[\"x y\"]}",

    NULL
};


/* bytes the mutations insert: JSON syntax, digits, escapes, UTF-8 */
static const char  mutation_bytes[] =
    "{}[]\":,\\ tfnrulse0123456789-+.eEabu/\x01\x1f\x7f\xc3\xa9\xed\xa0"
    "\x80\xbf\xf4\x90\xff";


static void
test_reader_matches_jansson(void **state)
{
    int                i, k, ops, op, ours, ref;
    char               line[512], buf[OMNI_PROFILE_RECORD_MAX];
    char               buf2[OMNI_PROFILE_RECORD_MAX];
    size_t             len, at, n1, n2, accepted;
    uint8_t            r1[OMNI_PROFILE_RECORD_MAX], r2[OMNI_PROFILE_RECORD_MAX];
    const char        *seed;
    omni_profile_t     p, q;
    omni_json_error_t  err;

    (void) state;

    srandom(777);
    accepted = 0;

    for (i = 0; i < 300000; i++) {
        seed = seed_lines[i % 5];
        len = strlen(seed);
        memcpy(line, seed, len);

        ops = (i < 5) ? 0 : 1 + (int) (random() % 3);

        for (k = 0; k < ops; k++) {
            op = (int) (random() % 3);
            at = len ? (size_t) random() % len : 0;

            if (op == 0 && len > 0) {
                memmove(line + at, line + at + 1, len - at - 1);
                len--;

            } else if (op == 1 && len < sizeof(line) - 1) {
                memmove(line + at + 1, line + at, len - at);
                line[at] = mutation_bytes[random()
                                          % (sizeof(mutation_bytes) - 1)];
                len++;

            } else if (len > 0) {
                line[at] = mutation_bytes[random()
                                          % (sizeof(mutation_bytes) - 1)];
            }
        }

        ours = omni_profile_from_json(line, len, &p, buf, sizeof(buf), &err);
        ref = ref_parse(line, len, &q, buf2, sizeof(buf2));

        if ((ours == OMNI_OK) != (ref == 0)) {
            line[len] = '\0';
            fail_msg("reader %s, jansson %s: %s (%s)",
                     ours == OMNI_OK ? "accepts" : "rejects",
                     ref == 0 ? "accepts" : "rejects", line, err.text);
        }

        if (ours != OMNI_OK) {
            continue;
        }

        accepted++;

        assert_int_equal(omni_profile_encode(&p, r1, sizeof(r1), &n1),
                         OMNI_OK);
        assert_int_equal(omni_profile_encode(&q, r2, sizeof(r2), &n2),
                         OMNI_OK);

        if (n1 != n2 || memcmp(r1, r2, n1) != 0) {
            line[len] = '\0';
            fail_msg("reader and jansson disagree on the record of %s", line);
        }
    }

    /* the mutations hit both sides of the line */
    assert_true(accepted > 10000);
    assert_true(accepted < 290000);
}


/* the import loop */

typedef struct {
    int        n;
    uint64_t   lines[16];
    char       reasons[16][128];
    int        batches;
} report_t;


static void
on_error(void *data, uint64_t line, const char *reason)
{
    report_t  *r = data;

    if (r->n < 16) {
        r->lines[r->n] = line;
        snprintf(r->reasons[r->n], sizeof(r->reasons[0]), "%s", reason);
    }

    r->n++;
}


static void
on_batch(void *data, const omni_import_stats_t *st)
{
    report_t  *r = data;

    (void) st;
    r->batches++;
}


static int
import_text(const char *dir, const char *text, int strict, size_t batch,
    report_t *r, omni_import_stats_t *st)
{
    int                 rc;
    FILE               *in;
    char                err[256];
    omni_store_t       *s;
    omni_import_conf_t  conf;

    memset(r, 0, sizeof(report_t));
    memset(&conf, 0, sizeof(conf));
    conf.strict = strict;
    conf.batch = batch;
    conf.map_size = 64 << 20;
    conf.on_error = on_error;
    conf.on_batch = on_batch;
    conf.data = r;

    in = fmemopen((void *) text, strlen(text), "r");
    assert_non_null(in);

    assert_int_equal(omni_store_open(&s, dir, NULL), OMNI_OK);

    rc = omni_import_profiles(s, in, &conf, st, err, sizeof(err));

    omni_store_close(s);
    fclose(in);

    return rc;
}


/* the profile's tier, or "-" when there is no profile */
static void
assert_tier(const char *dir, const char *id, const char *tier)
{
    int                rc;
    void              *rec;
    omni_store_t      *s;
    omni_profile_t     p;
    omni_store_conf_t  conf;

    memset(&conf, 0, sizeof(conf));
    conf.flags = OMNI_STORE_PROFILES;

    assert_int_equal(omni_store_open(&s, dir, &conf), OMNI_OK);

    rec = NULL;
    rc = omni_store_get_profile(s, id, strlen(id), test_alloc, &rec, &p);

    if (strcmp(tier, "-") == 0) {
        assert_int_equal(rc, OMNI_ENOTFOUND);

    } else {
        assert_int_equal(rc, OMNI_OK);
        assert_text(p.tier, tier);
        test_free(rec);
    }

    omni_store_close(s);
}


static void
test_import_lines(void **state)
{
    char                *dir, *text, path[512];
    size_t               n;
    report_t             r;
    struct stat          st;
    omni_import_stats_t  stats;

    (void) state;

    dir = test_tmpdir();

    n = 70000;
    text = malloc(n + 1024);
    assert_non_null(text);

    strcpy(text, "{\"customer_id\": \"C1\", \"tier\": \"gold\"}\n"
                 "{\"customer_id\": \"C2\", \"tier\": \"silver\"}\r\n"
                 "{\"customer_id\": \"C3\", \"tier\": 7}\n"
                 "\n"
                 "{\"customer_id\": \"C4\", \"first_name\": \"");
    memset(text + strlen(text), 'x', n);
    text[strlen("{\"customer_id\": \"C1\", \"tier\": \"gold\"}\n"
                "{\"customer_id\": \"C2\", \"tier\": \"silver\"}\r\n"
                "{\"customer_id\": \"C3\", \"tier\": 7}\n"
                "\n"
                "{\"customer_id\": \"C4\", \"first_name\": \"") + n] = '\0';
    strcat(text, "\"}\n"
                 "{\"customer_id\": \"C5\", \"tier\": \"bronze\"}");

    assert_int_equal(import_text(dir, text, 0, 0, &r, &stats), OMNI_EINVAL);

    assert_int_equal(stats.lines, 6);
    assert_int_equal(stats.imported, 3);
    assert_int_equal(stats.bad, 2);

    assert_int_equal(r.n, 2);
    assert_int_equal(r.lines[0], 3);
    assert_string_equal(r.reasons[0], "\"tier\" must be a string");
    assert_int_equal(r.lines[1], 5);
    assert_string_equal(r.reasons[1], "line longer than 65536 bytes");

    assert_tier(dir, "C1", "gold");
    assert_tier(dir, "C2", "silver");
    assert_tier(dir, "C3", "-");
    assert_tier(dir, "C5", "bronze");

    /* no temporary file is left behind */
    snprintf(path, sizeof(path), "%s/profiles", dir);
    assert_int_equal(stat(path, &st), 0);

    test_rmtree(dir);
    free(dir);
    free(text);
}


static void
test_import_strict_and_upsert(void **state)
{
    char                *dir, path[512];
    report_t             r;
    struct stat          st;
    omni_import_stats_t  stats;

    (void) state;

    dir = test_tmpdir();

    /* strict into an empty store: nothing is created */
    assert_int_equal(import_text(dir, "{\"customer_id\": \"C1\"}\n"
                                      "{\"customer_id\": 1}\n"
                                      "{\"customer_id\": \"C2\"}\n"
                                      "oops\n", 1, 0, &r, &stats),
                     OMNI_EINVAL);

    /* every bad line is still reported */
    assert_int_equal(r.n, 2);
    assert_int_equal(r.lines[0], 2);
    assert_int_equal(r.lines[1], 4);
    assert_int_equal(stats.bad, 2);

    snprintf(path, sizeof(path), "%s/profiles/data.mdb", dir);
    assert_int_not_equal(stat(path, &st), 0);

    assert_int_equal(import_text(dir, "{\"customer_id\": \"C1\", "
                                      "\"tier\": \"gold\"}\n"
                                      "{\"customer_id\": \"C2\", "
                                      "\"tier\": \"gold\"}\n", 0, 0,
                                 &r, &stats), OMNI_OK);
    assert_int_equal(stats.imported, 2);
    assert_int_equal(r.n, 0);

    /* strict over a store: the store stays as it was */
    assert_int_equal(import_text(dir, "{\"customer_id\": \"C1\", "
                                      "\"tier\": \"silver\"}\n"
                                      "{\"bad\": 1}\n", 1, 0, &r, &stats),
                     OMNI_EINVAL);
    assert_tier(dir, "C1", "gold");

    /* an upsert replaces one profile and keeps the others */
    assert_int_equal(import_text(dir, "{\"customer_id\": \"C1\", "
                                      "\"tier\": \"silver\"}\n"
                                      "{\"customer_id\": \"C3\", "
                                      "\"tier\": \"new\"}\n", 0, 0,
                                 &r, &stats), OMNI_OK);
    assert_tier(dir, "C1", "silver");
    assert_tier(dir, "C2", "gold");
    assert_tier(dir, "C3", "new");

    /* later lines win within one file too */
    assert_int_equal(import_text(dir, "{\"customer_id\": \"C2\", "
                                      "\"tier\": \"a\"}\n"
                                      "{\"customer_id\": \"C2\", "
                                      "\"tier\": \"b\"}\n", 0, 1,
                                 &r, &stats), OMNI_OK);
    assert_tier(dir, "C2", "b");

    test_rmtree(dir);
    free(dir);
}


static void
test_import_batches(void **state)
{
    int                  i;
    char                *dir, text[4096];
    report_t             r;
    omni_import_stats_t  stats;

    (void) state;

    dir = test_tmpdir();

    text[0] = '\0';

    for (i = 0; i < 25; i++) {
        sprintf(text + strlen(text), "{\"customer_id\": \"C%d\", "
                "\"tier\": \"t%d\"}\n", i, i);
    }

    assert_int_equal(import_text(dir, text, 0, 10, &r, &stats), OMNI_OK);
    assert_int_equal(stats.imported, 25);

    /* two full batches, and the rest at the end */
    assert_int_equal(r.batches, 3);

    assert_tier(dir, "C0", "t0");
    assert_tier(dir, "C24", "t24");

    test_rmtree(dir);
    free(dir);
}


static void
test_import_lock(void **state)
{
    int                   rc;
    char                 *dir, err[256];
    FILE                 *in;
    omni_store_t         *s, *s2;
    omni_import_conf_t    conf;
    omni_import_stats_t   stats;
    omni_store_writer_t  *w;

    (void) state;

    dir = test_tmpdir();

    assert_int_equal(omni_store_open(&s, dir, NULL), OMNI_OK);
    assert_int_equal(omni_store_profiles_begin(s, 1 << 20, 0, &w), OMNI_OK);

    assert_int_equal(omni_store_open(&s2, dir, NULL), OMNI_OK);

    memset(&conf, 0, sizeof(conf));
    in = fmemopen((void *) "{\"customer_id\": \"C1\"}\n", 22, "r");
    assert_non_null(in);

    rc = omni_import_profiles(s2, in, &conf, &stats, err, sizeof(err));
    assert_int_equal(rc, OMNI_AGAIN);
    assert_non_null(strstr(err, "another process is writing"));
    fclose(in);

    omni_store_profiles_abort(w);

    in = fmemopen((void *) "{\"customer_id\": \"C1\"}\n", 22, "r");
    rc = omni_import_profiles(s2, in, &conf, &stats, err, sizeof(err));
    assert_int_equal(rc, OMNI_OK);
    fclose(in);

    omni_store_close(s2);
    omni_store_close(s);

    test_rmtree(dir);
    free(dir);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_line_errors),
        cmocka_unit_test(test_json_round_trip),
        cmocka_unit_test(test_activity_json),
        cmocka_unit_test(test_reader_matches_jansson),
        cmocka_unit_test(test_import_lines),
        cmocka_unit_test(test_import_strict_and_upsert),
        cmocka_unit_test(test_import_batches),
        cmocka_unit_test(test_import_lock),
    };

    return cmocka_run_group_tests_name("import", tests, NULL, NULL);
}
