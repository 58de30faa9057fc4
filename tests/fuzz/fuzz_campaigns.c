/*
 * fuzz_campaigns: any bytes as a campaigns file.  Whatever loads is then
 * decided, rendered and traced for a few fixed visitors, so that the
 * compiled rules, offers, brands and tags are exercised too.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <omni/decide.h>


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


static void
fuzz_decide(const omni_campaigns_t *cs, omni_facts_t *f)
{
    char                  buf[4096];
    size_t                i, len;
    omni_decision_t       d;
    const omni_brand_t   *brand;

    static omni_trace_t   trace;

    if (omni_decide(cs, NULL, f, &d, &trace) != OMNI_OK) {
        abort();
    }

    omni_decision_segments(cs, &d, buf, sizeof(buf), &len);
    omni_trace_format(cs, &d, &trace, buf, sizeof(buf), &len);

    brand = omni_campaigns_default_brand(cs);

    for (i = 0; i < omni_campaigns_nbrands(cs); i++) {
        brand = omni_campaigns_brand(cs, i);
    }

    if (d.offer) {
        omni_offer_render(cs, NULL, f, &d, brand, buf, sizeof(buf), &len);
        omni_offer_render(cs, NULL, f, &d, brand, buf, 7, &len);
    }

    omni_tags_render(cs, ~0u, f, buf, sizeof(buf), &len);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    omni_id_t                id;
    omni_str_t               vars[OMNI_VARS_MAX];
    omni_facts_t             f;
    omni_profile_t           p;
    omni_activity_t          a;
    omni_campaigns_t        *cs;
    omni_campaigns_error_t   err;

    if (omni_campaigns_load((const char *) data, size, "fuzz", NULL, NULL,
                            &cs, &err) != OMNI_OK)
    {
        if (cs != NULL || strlen(err.text) >= sizeof(err.text)) {
            abort();
        }

        return 0;
    }

    memset(&id, 0x11, sizeof(id));
    memset(vars, 0, sizeof(vars));
    vars[0].data = "FR";
    vars[0].len = 2;

    /* a new visitor */
    omni_facts_init(&f);
    f.now = 1795348800;
    f.visitor = &id;
    f.vars = vars;
    f.event = OMNI_TAG_CART;
    f.event_item.data = "SKU-7";
    f.event_item.len = 5;
    f.event_value = 1999;
    fuzz_decide(cs, &f);

    /* a customer with a cart, back after a day */
    memset(&p, 0, sizeof(p));
    p.first_name.data = "Ada";
    p.first_name.len = 3;
    p.tier.data = "gold";
    p.tier.len = 4;
    p.points = 100;
    p.ntags = 1;
    p.tags[0].data = "vip";
    p.tags[0].len = 3;
    p.nattrs = 1;
    p.attrs[0].key.data = "size";
    p.attrs[0].key.len = 4;
    p.attrs[0].value.data = "42";
    p.attrs[0].value.len = 2;

    memset(&a, 0, sizeof(a));
    a.visits = 3;
    a.pageviews = 9;
    a.last_seen = f.now - 86400;
    a.ncart = 1;
    a.cart[0].item.data = "SKU-1";
    a.cart[0].item.len = 5;
    a.cart[0].qty = 2;
    a.cart_value = 12000;
    a.cart_updated = f.now - 86400;
    a.npurchased = 1;
    a.purchased[0].data = "SKU-7";
    a.purchased[0].len = 5;
    a.purchases = 1;
    a.last_purchase = f.now - 10 * 86400;

    f.profile = &p;
    f.activity = &a;
    f.channel = OMNI_CHANNEL_EMAIL;
    f.device = OMNI_DEVICE_MOBILE;
    fuzz_decide(cs, &f);

    omni_campaigns_free(cs);

    return 0;
}
