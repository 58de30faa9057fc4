/*
 * Channel classification and device classes.  The input is split on the
 * first two newlines into query string, Referer and Host.
 */

#include <stdlib.h>
#include <string.h>

#include <omni/channel.h>


static omni_channel_rules_t  *rules;
static unsigned               runs;


/* well-formed UTF-8, by the same rules as the classifier's repair */
static int
utf8(omni_str_t s)
{
    size_t          i, k, len;
    const uint8_t  *p = (const uint8_t *) s.data;

    for (i = 0; i < s.len; i += len) {
        len = p[i] < 0x80 ? 1 : p[i] >= 0xc2 && p[i] <= 0xdf ? 2
              : p[i] >= 0xe0 && p[i] <= 0xef ? 3
              : p[i] >= 0xf0 && p[i] <= 0xf4 ? 4 : 0;

        if (len == 0 || i + len > s.len) {
            return 0;
        }

        for (k = 1; k < len; k++) {
            if ((p[i + k] & 0xc0) != 0x80) {
                return 0;
            }
        }
    }

    return 1;
}


static int
inside(omni_str_t s, const char *buf)
{
    return s.len == 0
           || (s.data >= buf && s.data + s.len <= buf + OMNI_CHANNEL_BUF_SIZE)
           || s.len < 32;       /* a static name (source, medium) */
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char                     buf[OMNI_CHANNEL_BUF_SIZE];
    const char              *p, *end, *nl;
    omni_touch_t             t;
    omni_channel_request_t   req;

    /* configured rules accumulate: start afresh now and then */
    if (++runs % 4096 == 0) {
        omni_channel_rules_free(rules);
        rules = NULL;
    }

    if (rules == NULL) {
        rules = omni_channel_rules_new();
        if (rules == NULL) {
            abort();
        }
    }

    p = (const char *) data;
    end = p + size;

    (void) omni_device_classify(p, size);

    memset(&req, 0, sizeof(req));

    nl = memchr(p, '\n', size);
    req.args.data = p;
    req.args.len = nl ? (size_t) (nl - p) : size;

    if (nl != NULL) {
        p = nl + 1;
        nl = memchr(p, '\n', (size_t) (end - p));
        req.referer.data = p;
        req.referer.len = nl ? (size_t) (nl - p) : (size_t) (end - p);

        if (nl != NULL) {
            req.host.data = nl + 1;
            req.host.len = (size_t) (end - nl - 1);
        }
    }

    omni_channel_classify(rules, &req, &t, buf);

    if ((unsigned) t.channel >= OMNI_CHANNEL_MAX
        || t.source.len > OMNI_HOST_MAX || t.medium.len > OMNI_UTM_MAX
        || t.campaign.len > OMNI_UTM_MAX
        || !inside(t.source, buf) || !inside(t.medium, buf)
        || !inside(t.campaign, buf)
        || !utf8(t.source) || !utf8(t.medium) || !utf8(t.campaign))
    {
        abort();
    }

    (void) omni_channel_rules_add(rules, req.host.data, req.host.len,
                                  OMNI_CHANNEL_AFFILIATE);

    return 0;
}
