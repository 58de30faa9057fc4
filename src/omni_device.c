/*
 * Device classes from a User-Agent header, by the markers browsers and
 * crawlers put in it.  Bots first: crawlers for phones also say "Mobile".
 */

#include <string.h>

#include <omni/campaigns.h>


static int omni_ua_has(const char *ua, size_t len, const char *marker);


static const char *const  omni_ua_bots[] = {
    "bot/", "bot;", "bot-", "bot ", "bot)", "bot+", "crawler", "spider",
    "slurp", "facebookexternalhit", "headlesschrome", "lighthouse",
    "curl/", "wget/", "python-", "go-http-client", "java/", "httpclient",
    NULL
};

static const char *const  omni_ua_tablets[] = {
    "ipad", "tablet", "kindle", "silk/", "playbook", NULL
};

static const char *const  omni_ua_mobiles[] = {
    "mobi", "iphone", "ipod", "windows phone", "opera mini", "blackberry",
    "iemobile", NULL
};


/* ASCII case-insensitive search; markers are lower case */

static int
omni_ua_has(const char *ua, size_t len, const char *marker)
{
    char    c;
    size_t  i, j, n;

    n = strlen(marker);

    for (i = 0; i + n <= len; i++) {
        for (j = 0; j < n; j++) {
            c = ua[i + j];

            if (c >= 'A' && c <= 'Z') {
                c |= 0x20;
            }

            if (c != marker[j]) {
                break;
            }
        }

        if (j == n) {
            return 1;
        }
    }

    return 0;
}


omni_device_e
omni_device_classify(const char *ua, size_t len)
{
    size_t  i;

    if (ua == NULL || len == 0) {
        return OMNI_DEVICE_UNKNOWN;
    }

    for (i = 0; omni_ua_bots[i]; i++) {
        if (omni_ua_has(ua, len, omni_ua_bots[i])
            && !omni_ua_has(ua, len, "cubot"))
        {
            return OMNI_DEVICE_BOT;
        }
    }

    /* a string ending in "bot", as in "Googlebot" alone */
    if (len >= 3 && omni_ua_has(ua + len - 3, 3, "bot")) {
        return OMNI_DEVICE_BOT;
    }

    for (i = 0; omni_ua_tablets[i]; i++) {
        if (omni_ua_has(ua, len, omni_ua_tablets[i])) {
            return OMNI_DEVICE_TABLET;
        }
    }

    for (i = 0; omni_ua_mobiles[i]; i++) {
        if (omni_ua_has(ua, len, omni_ua_mobiles[i])) {
            return OMNI_DEVICE_MOBILE;
        }
    }

    /* Android phones say "Mobile", Android tablets do not */
    if (omni_ua_has(ua, len, "android")) {
        return OMNI_DEVICE_TABLET;
    }

    return OMNI_DEVICE_DESKTOP;
}
