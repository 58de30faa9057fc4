/*
 * Device classes, from the User-Agent: rules can target "device", and
 * tracking skips bots.
 */

#ifndef OMNI_DEVICE_H_INCLUDED
#define OMNI_DEVICE_H_INCLUDED


#include <omni/omni.h>


typedef enum {
    OMNI_DEVICE_UNKNOWN = 0,        /* not looked at (a message, say) */
    OMNI_DEVICE_DESKTOP,
    OMNI_DEVICE_MOBILE,
    OMNI_DEVICE_TABLET,
    OMNI_DEVICE_BOT,
    OMNI_DEVICE_MAX
} omni_device_e;


/*
 * The device class of a User-Agent, in one pass: bot (crawlers, HTTP
 * libraries, headless browsers, and an empty User-Agent), tablet (iPad,
 * Android without "Mobile", Kindle, "Tablet"), mobile ("Mobi", iPhone,
 * iPod, Android, Windows Phone, Opera Mini, BlackBerry), else desktop.
 */
omni_device_e omni_device_classify(const char *ua, size_t len);

/* "unknown", "desktop", ...; "" for a value out of range */
const char *omni_device_name(omni_device_e device);


#endif /* OMNI_DEVICE_H_INCLUDED */
