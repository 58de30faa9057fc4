/*
 * Channel of arrival and device class.
 *
 * omni_channel_classify() turns the facts of a request (query string,
 * Referer, own host) into a touch: the channel, and the source, medium and
 * campaign behind it.  The rules, first match wins:
 *
 *   1. utm_medium, mapped by name (email, cpc, social, display, ...); a
 *      paid medium with a social utm_source is paid social;
 *   2. a click id: gclid, gbraid, wbraid, msclkid, yclid: paid search;
 *      dclid: display; fbclid, igshid: social; ttclid, twclid, li_fat_id,
 *      epik, sccid: paid social; mc_cid, _hsenc: email;
 *   3. utm_source alone, by name (a social network, a search engine,
 *      "newsletter"/"email"), else referral;
 *   4. the Referer's host: the rules table (built in: search engines,
 *      social networks, webmail; extended from the configuration), else
 *      referral; a same-site Referer (the request's host, or one of them a
 *      subdomain of the other, "www." aside) is no new touch;
 *   5. no Referer at all: direct.
 *
 * A touch with channel OMNI_CHANNEL_NONE means "nothing new": the request
 * continues the visit it belongs to.
 *
 * Cost: a request without a query string and with a same-site Referer
 * (most requests of a visit) takes one scan of the Referer's host.
 */

#ifndef OMNI_CHANNEL_H_INCLUDED
#define OMNI_CHANNEL_H_INCLUDED


#include <omni/omni.h>
#include <omni/device.h>
#include <omni/activity.h>


#define OMNI_UTM_MAX            128     /* a decoded utm value, bytes */
#define OMNI_HOST_MAX           253
/* room for the decoded utm values and the referrer host of one touch */
#define OMNI_CHANNEL_BUF_SIZE   (3 * OMNI_UTM_MAX + OMNI_HOST_MAX + 3)




/* referrer host rules: the built-in table plus configured ones */
typedef struct omni_channel_rules_s  omni_channel_rules_t;


/* The built-in table; NULL when out of memory. */
omni_channel_rules_t *omni_channel_rules_new(void);
void omni_channel_rules_free(omni_channel_rules_t *rules);

/*
 * Adds or replaces a rule: referrers from host, or any subdomain of it,
 * are of the given channel.  "name.*" matches the label "name" under any
 * one- or two-label suffix (google.* is google.com, www.google.co.uk).
 * OMNI_CHANNEL_NONE makes the host count as the site itself (a payment
 * provider sending the buyer back, a sister domain): no new touch.  A
 * host rule wins over a "name.*" rule, a longer host over a shorter one.
 * Returns OMNI_OK, OMNI_EINVAL (not a host name) or OMNI_ERROR (memory).
 */
int omni_channel_rules_add(omni_channel_rules_t *rules, const char *host,
    size_t len, omni_channel_e channel);

/*
 * The channel of a host alone, by the rules (OMNI_CHANNEL_REFERRAL when
 * none matches), for tools and tests.  host must be lower case.
 */
omni_channel_e omni_channel_of_host(const omni_channel_rules_t *rules,
    const char *host, size_t len);


typedef struct {
    omni_str_t  args;       /* the query string, without "?" */
    omni_str_t  referer;    /* the Referer header, as sent */
    omni_str_t  host;       /* the request's own host, without port */
} omni_channel_request_t;


/*
 * Classifies a request into *touch (touch->at is left 0).  The strings of
 * the touch point into buf (decoded utm values, the lower-cased
 * referrer host), into static storage, or into nothing (empty), never
 * into the request: buf must hold OMNI_CHANNEL_BUF_SIZE bytes and live as
 * long as the touch.  utm values are percent-decoded ("+" is a space),
 * control characters become "_", and each is cut to OMNI_UTM_MAX bytes
 * on a UTF-8 character boundary.  Never fails.
 */
void omni_channel_classify(const omni_channel_rules_t *rules,
    const omni_channel_request_t *req, omni_touch_t *touch, char *buf);

/*
 * Channel names, as in $omni_channel and the campaigns file: none,
 * direct, search, paid_search, social, paid_social, email, sms, push,
 * display, affiliate, referral.  omni_channel_name() and
 * omni_channel_by_name() are declared in activity.h; this one tells an
 * unknown name (OMNI_EINVAL) from "none".
 */
int omni_channel_parse(const char *name, size_t len, omni_channel_e *channel);




#endif /* OMNI_CHANNEL_H_INCLUDED */
