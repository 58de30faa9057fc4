/*
 * The "brands" and "tags" sections.
 *
 * A brand's visitor-independent part is compiled into its final markup
 * at load time:
 *
 *     <style data-omni-brand="NAME">:root{--omni-primary:#0b5fff;...;
 *     --omni-font:Inter, sans-serif;--omni-logo:url("/logo.svg")}</style>
 *     <meta name="theme-color" content="#0b5fff">
 *
 * Colors, the font and the logo are checked strictly (hex colors or CSS
 * color names; a restricted alphabet for the font and the logo URL), so
 * that no value can end the declaration, the rule, the style element or
 * the attribute it is written into.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "omni_campaigns_int.h"


#define OMNI_BRAND_HEAD_MAX  4096


static int omni_brand_load(omni_load_t *ld, json_t *b, uint32_t node,
    omni_brand_t *brand);
static int omni_brand_color(const char *s, size_t len);
static int omni_brand_font(const char *s, size_t len);
static int omni_brand_url(const char *s, size_t len);
static int omni_tag_load(omni_load_t *ld, json_t *t, uint32_t node,
    omni_tag_t *tag);


static const char *const  omni_brand_keys[] = {
    "name", "colors", "font", "logo", "greeting", "description", NULL
};

static const char *const  omni_tag_keys[] = {
    "id", "consent", "head", "events", "description", NULL
};

static const char *const  omni_event_keys[] = {
    "view", "cart", "purchase", NULL
};

static const char *const  omni_consent_names[] = {
    "ads", "analytics", "necessary", NULL
};

static const uint32_t  omni_consent_bits[] = {
    OMNI_CONSENT_ADS, OMNI_CONSENT_ANALYTICS, 0
};


/* CSS Color Module level 4 named colors */
static const char *const  omni_css_colors[] = {
    "aliceblue", "antiquewhite", "aqua", "aquamarine", "azure", "beige",
    "bisque", "black", "blanchedalmond", "blue", "blueviolet", "brown",
    "burlywood", "cadetblue", "chartreuse", "chocolate", "coral",
    "cornflowerblue", "cornsilk", "crimson", "cyan", "darkblue", "darkcyan",
    "darkgoldenrod", "darkgray", "darkgreen", "darkgrey", "darkkhaki",
    "darkmagenta", "darkolivegreen", "darkorange", "darkorchid", "darkred",
    "darksalmon", "darkseagreen", "darkslateblue", "darkslategray",
    "darkslategrey", "darkturquoise", "darkviolet", "deeppink",
    "deepskyblue", "dimgray", "dimgrey", "dodgerblue", "firebrick",
    "floralwhite", "forestgreen", "fuchsia", "gainsboro", "ghostwhite",
    "gold", "goldenrod", "gray", "green", "greenyellow", "grey", "honeydew",
    "hotpink", "indianred", "indigo", "ivory", "khaki", "lavender",
    "lavenderblush", "lawngreen", "lemonchiffon", "lightblue", "lightcoral",
    "lightcyan", "lightgoldenrodyellow", "lightgray", "lightgreen",
    "lightgrey", "lightpink", "lightsalmon", "lightseagreen",
    "lightskyblue", "lightslategray", "lightslategrey", "lightsteelblue",
    "lightyellow", "lime", "limegreen", "linen", "magenta", "maroon",
    "mediumaquamarine", "mediumblue", "mediumorchid", "mediumpurple",
    "mediumseagreen", "mediumslateblue", "mediumspringgreen",
    "mediumturquoise", "mediumvioletred", "midnightblue", "mintcream",
    "mistyrose", "moccasin", "navajowhite", "navy", "oldlace", "olive",
    "olivedrab", "orange", "orangered", "orchid", "palegoldenrod",
    "palegreen", "paleturquoise", "palevioletred", "papayawhip",
    "peachpuff", "peru", "pink", "plum", "powderblue", "purple",
    "rebeccapurple", "red", "rosybrown", "royalblue", "saddlebrown",
    "salmon", "sandybrown", "seagreen", "seashell", "sienna", "silver",
    "skyblue", "slateblue", "slategray", "slategrey", "snow", "springgreen",
    "steelblue", "tan", "teal", "thistle", "tomato", "transparent",
    "turquoise", "violet", "wheat", "white", "whitesmoke", "yellow",
    "yellowgreen", NULL
};


int
omni_brands_load(omni_load_t *ld, json_t *brands, uint32_t node)
{
    int                rc;
    size_t             i, n, len;
    uint32_t           child;
    const char        *key;
    void              *it;
    omni_campaigns_t  *cs;

    cs = ld->cs;

    if (!json_is_object(brands)) {
        omni_load_error(ld, node, 0, "\"brands\" must be an object, "
                        "{ \"name\": { \"colors\": ..., ... } }");
        return OMNI_OK;
    }

    n = json_object_size(brands);

    cs->brands = omni_arena_alloc(cs, (n + 1) * sizeof(omni_brand_t));
    if (cs->brands == NULL) {
        ld->oom = 1;
        return OMNI_ERROR;
    }

    i = 0;
    child = omni_jpos_child(&ld->jp, node, 0);

    for (it = json_object_iter(brands); it;
         it = json_object_iter_next(brands, it))
    {
        key = json_object_iter_key(it);
        len = strlen(key);

        snprintf(ld->ctx, sizeof(ld->ctx), "brand \"%.64s\"", key);

        if (len == 0 || len > OMNI_NAME_MAX
            || strspn(key, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV"
                           "WXYZ0123456789_-.") != len)
        {
            omni_load_error(ld, child, 1, "a brand name must be 1 to %d "
                            "letters, digits, \"_\", \"-\" or \".\"",
                            OMNI_NAME_MAX);

        } else {
            if (omni_load_str(ld, &cs->brands[i].name, key, len) != OMNI_OK) {
                return OMNI_ERROR;
            }

            rc = omni_brand_load(ld, json_object_iter_value(it), child,
                                 &cs->brands[i]);
            if (rc == OMNI_ERROR) {
                return OMNI_ERROR;
            }
        }

        i++;

        if (child != OMNI_JPOS_NONE) {
            child = ld->jp.nodes[child].next;
        }
    }

    cs->nbrands = n;
    ld->ctx[0] = '\0';

    return OMNI_OK;
}


static int
omni_brand_load(omni_load_t *ld, json_t *b, uint32_t node,
    omni_brand_t *brand)
{
    int          n, bad;
    char        *head;
    size_t       len, size;
    json_t      *v, *colors;
    uint32_t     vnode, cnode;
    const char  *s, *key, *primary, *font, *logo;
    void        *it;

    /* absent strings are empty, never NULL */
    brand->title.data = "";
    brand->logo.data = "";
    brand->head.data = "";

    if (!json_is_object(b)) {
        omni_load_error(ld, node, 0, "a brand must be an object "
                        "{ \"colors\": ..., \"font\": ..., ... }");
        return OMNI_EINVAL;
    }

    omni_load_keys(ld, b, node, omni_brand_keys);

    bad = 0;

    v = json_object_get(b, "name");
    if (v) {
        if (!json_is_string(v) || json_string_length(v) > 200) {
            omni_load_error(ld, omni_load_member(ld, b, node, "name"), 0,
                            "\"name\" must be text in quotes, up to 200 "
                            "characters");

        } else if (omni_load_str(ld, &brand->title, json_string_value(v),
                                 json_string_length(v)) != OMNI_OK)
        {
            return OMNI_ERROR;
        }
    }

    font = NULL;
    v = json_object_get(b, "font");
    if (v) {
        vnode = omni_load_member(ld, b, node, "font");
        font = json_string_value(v);

        if (font == NULL || !omni_brand_font(font, json_string_length(v))) {
            omni_load_error(ld, vnode, 0, "\"font\" must be a CSS font list "
                            "such as \"Inter, system-ui, sans-serif\": "
                            "letters, digits, spaces, commas, \"-\", \"_\", "
                            "\".\" and matching quotes only");
            font = NULL;
            bad++;
        }
    }

    logo = NULL;
    v = json_object_get(b, "logo");
    if (v) {
        vnode = omni_load_member(ld, b, node, "logo");
        logo = json_string_value(v);

        if (logo == NULL || !omni_brand_url(logo, json_string_length(v))) {
            omni_load_error(ld, vnode, 0, "\"logo\" must be a path such as "
                            "\"/static/logo.svg\" or an https:// address, "
                            "without spaces, quotes, parentheses or \"\\\"");
            logo = NULL;
            bad++;

        } else if (omni_load_str(ld, &brand->logo, logo,
                                 json_string_length(v)) != OMNI_OK)
        {
            return OMNI_ERROR;
        }
    }

    colors = json_object_get(b, "colors");
    cnode = omni_load_member(ld, b, node, "colors");

    if (colors && !json_is_object(colors)) {
        omni_load_error(ld, cnode, 0, "\"colors\" must be an object such as "
                        "{ \"primary\": \"#0b5fff\" }");
        colors = NULL;
        bad++;
    }

    primary = NULL;

    for (it = colors ? json_object_iter(colors) : NULL; it;
         it = json_object_iter_next(colors, it))
    {
        key = json_object_iter_key(it);
        v = json_object_iter_value(it);
        vnode = omni_load_member(ld, colors, cnode, key);
        len = strlen(key);

        if (len == 0 || len > 32 || key[0] < 'a' || key[0] > 'z'
            || strspn(key, "abcdefghijklmnopqrstuvwxyz0123456789-") != len)
        {
            omni_load_error(ld, vnode, 1, "a color name must be 1 to 32 "
                            "lower-case letters, digits or \"-\", starting "
                            "with a letter (it becomes --omni-NAME)");
            bad++;
            continue;
        }

        s = json_string_value(v);

        if (s == NULL || !omni_brand_color(s, json_string_length(v))) {
            omni_load_error(ld, vnode, 0, "\"%s\" is not a color: write "
                            "\"#rgb\", \"#rrggbb\" (\"#0b5fff\") or a CSS "
                            "color name such as \"navy\"", s ? s : key);
            bad++;
            continue;
        }

        if (strcmp(key, "primary") == 0) {
            primary = s;
        }
    }

    v = json_object_get(b, "greeting");
    if (v) {
        switch (omni_load_template(ld, v, omni_load_member(ld, b, node,
                                                           "greeting"),
                                   OMNI_IN_GREETING, &brand->greeting))
        {
        case OMNI_OK:
            break;
        case OMNI_ERROR:
            return OMNI_ERROR;
        default:
            bad++;
        }
    }

    if (bad) {
        return OMNI_EINVAL;
    }

    /* the static head block */

    head = malloc(OMNI_BRAND_HEAD_MAX);
    if (head == NULL) {
        ld->oom = 1;
        return OMNI_ERROR;
    }

    size = OMNI_BRAND_HEAD_MAX;
    len = 0;

    n = snprintf(head, size, "<style data-omni-brand=\"%s\">:root{",
                 brand->name.data);
    len += (n > 0) ? (size_t) n : 0;

    for (it = colors ? json_object_iter(colors) : NULL; it && len < size;
         it = json_object_iter_next(colors, it))
    {
        n = snprintf(head + len, size - len, "--omni-%s:%s;",
                     json_object_iter_key(it),
                     json_string_value(json_object_iter_value(it)));
        len += (n > 0) ? (size_t) n : 0;
    }

    if (font && len < size) {
        n = snprintf(head + len, size - len, "--omni-font:%s;", font);
        len += (n > 0) ? (size_t) n : 0;
    }

    if (logo && len < size) {
        n = snprintf(head + len, size - len, "--omni-logo:url(\"%s\");",
                     logo);
        len += (n > 0) ? (size_t) n : 0;
    }

    if (len < size) {
        n = snprintf(head + len, size - len, "}</style>");
        len += (n > 0) ? (size_t) n : 0;
    }

    if (primary && len < size) {
        n = snprintf(head + len, size - len,
                     "<meta name=\"theme-color\" content=\"%s\">", primary);
        len += (n > 0) ? (size_t) n : 0;
    }

    if (len >= size) {
        free(head);
        omni_load_error(ld, node, 0, "the brand's style block is longer "
                        "than %d bytes", OMNI_BRAND_HEAD_MAX);
        return OMNI_EINVAL;
    }

    n = omni_load_str(ld, &brand->head, head, len);
    free(head);

    return n;
}


static int
omni_brand_color(const char *s, size_t len)
{
    size_t  i;

    if (len && s[0] == '#') {
        if (len != 4 && len != 5 && len != 7 && len != 9) {
            return 0;
        }

        for (i = 1; i < len; i++) {
            if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')
                  || (s[i] >= 'A' && s[i] <= 'F')))
            {
                return 0;
            }
        }

        return 1;
    }

    for (i = 0; omni_css_colors[i]; i++) {
        if (strlen(omni_css_colors[i]) == len
            && memcmp(omni_css_colors[i], s, len) == 0)
        {
            return 1;
        }
    }

    return 0;
}


static int
omni_brand_font(const char *s, size_t len)
{
    char    quote;
    size_t  i;

    if (len == 0 || len > 200) {
        return 0;
    }

    quote = 0;

    for (i = 0; i < len; i++) {
        if (s[i] == '"' || s[i] == '\'') {
            if (quote == 0) {
                quote = s[i];

            } else if (quote == s[i]) {
                quote = 0;

            } else {
                return 0;
            }

            continue;
        }

        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')
              || (s[i] >= '0' && s[i] <= '9') || s[i] == ' ' || s[i] == ','
              || s[i] == '-' || s[i] == '_' || s[i] == '.'))
        {
            return 0;
        }
    }

    return quote == 0;
}


static int
omni_brand_url(const char *s, size_t len)
{
    size_t  i;

    if (len == 0 || len > OMNI_LINK_MAX
        || !((s[0] == '/' && (len == 1 || s[1] != '/'))
             || (len > 8 && strncmp(s, "https://", 8) == 0)
             || (len > 7 && strncmp(s, "http://", 7) == 0)))
    {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')
              || (s[i] >= '0' && s[i] <= '9')
              || strchr("-._~:/?#[]@!$&*+,;=%", s[i]) != NULL)
            || s[i] == '\0')
        {
            return 0;
        }
    }

    return 1;
}


/* tags */

int
omni_tags_load(omni_load_t *ld, json_t *tags, uint32_t node)
{
    int                rc;
    size_t             i, k, n;
    json_t            *t;
    uint32_t           child;
    omni_campaigns_t  *cs;

    cs = ld->cs;

    if (!json_is_array(tags)) {
        omni_load_error(ld, node, 0, "\"tags\" must be a list, [ { \"id\": "
                        "..., \"consent\": \"ads\", ... } ]");
        return OMNI_OK;
    }

    n = json_array_size(tags);

    cs->tags = omni_arena_alloc(cs, (n + 1) * sizeof(omni_tag_t));
    if (cs->tags == NULL) {
        ld->oom = 1;
        return OMNI_ERROR;
    }

    for (i = 0; i < n; i++) {
        t = json_array_get(tags, i);
        child = omni_jpos_child(&ld->jp, node, i);

        snprintf(ld->ctx, sizeof(ld->ctx), "tag %zu", i + 1);

        rc = omni_tag_load(ld, t, child, &cs->tags[i]);
        if (rc == OMNI_ERROR) {
            return OMNI_ERROR;
        }

        if (rc != OMNI_OK) {
            continue;
        }

        for (k = 0; k < i; k++) {
            if (cs->tags[k].id.len == cs->tags[i].id.len
                && memcmp(cs->tags[k].id.data, cs->tags[i].id.data,
                          cs->tags[i].id.len) == 0)
            {
                omni_load_error(ld, omni_load_member(ld, t, child, "id"), 0,
                                "the id \"%s\" is used by two tags",
                                cs->tags[i].id.data);
                break;
            }
        }
    }

    cs->ntags = n;
    ld->ctx[0] = '\0';

    return OMNI_OK;
}


static int
omni_tag_load(omni_load_t *ld, json_t *t, uint32_t node, omni_tag_t *tag)
{
    int          idx, bad;
    size_t       i;
    json_t      *v, *events;
    uint32_t     vnode, enode;
    const char  *s, *hint;

    tag->head.data = "";
    tag->consent_name.data = "";

    if (!json_is_object(t)) {
        omni_load_error(ld, node, 0, "a tag must be an object { \"id\": ..., "
                        "\"consent\": \"ads\", \"head\": ... }");
        return OMNI_EINVAL;
    }

    omni_load_keys(ld, t, node, omni_tag_keys);

    v = json_object_get(t, "id");
    if (v == NULL) {
        omni_load_error(ld, node, 0, "\"id\" is missing");
        return OMNI_EINVAL;
    }

    if (omni_load_name(ld, v, omni_load_member(ld, t, node, "id"), "the id",
                       &tag->id) != OMNI_OK)
    {
        return ld->oom ? OMNI_ERROR : OMNI_EINVAL;
    }

    snprintf(ld->ctx, sizeof(ld->ctx), "tag \"%s\"", tag->id.data);

    bad = 0;

    v = json_object_get(t, "consent");
    vnode = omni_load_member(ld, t, node, "consent");
    s = json_string_value(v);
    idx = s ? omni_name_lookup(omni_consent_names, s, json_string_length(v))
            : -1;

    if (v == NULL) {
        omni_load_error(ld, node, 0, "\"consent\" is missing: the consent "
                        "category the visitor must have accepted, \"ads\", "
                        "\"analytics\" or \"necessary\"");
        bad++;

    } else if (idx < 0) {
        hint = s ? omni_suggest(s, json_string_length(v), omni_consent_names,
                                3)
                 : NULL;

        omni_load_error(ld, vnode, 0, "unknown consent category%s%s%s; the "
                        "categories are \"ads\", \"analytics\" and "
                        "\"necessary\"", hint ? " (did you mean \"" : "",
                        hint ? hint : "", hint ? "\"?)" : "");
        bad++;

    } else {
        tag->consent = omni_consent_bits[idx];

        if (omni_load_str(ld, &tag->consent_name, omni_consent_names[idx],
                          strlen(omni_consent_names[idx])) != OMNI_OK)
        {
            return OMNI_ERROR;
        }
    }

    /* the head snippet is the marketer's own markup, trusted as is */

    v = json_object_get(t, "head");
    if (v) {
        if (!json_is_string(v)) {
            omni_load_error(ld, omni_load_member(ld, t, node, "head"), 0,
                            "\"head\" must be the snippet's HTML in quotes");
            bad++;

        } else if (omni_load_str(ld, &tag->head, json_string_value(v),
                                 json_string_length(v)) != OMNI_OK)
        {
            return OMNI_ERROR;
        }
    }

    events = json_object_get(t, "events");
    enode = omni_load_member(ld, t, node, "events");

    if (events && !json_is_object(events)) {
        omni_load_error(ld, enode, 0, "\"events\" must be an object "
                        "{ \"view\": ..., \"cart\": ..., \"purchase\": ... }");
        return OMNI_EINVAL;
    }

    if (events) {
        bad += omni_load_keys(ld, events, enode, omni_event_keys);

        for (i = 0; omni_event_keys[i]; i++) {
            v = json_object_get(events, omni_event_keys[i]);
            if (v == NULL) {
                continue;
            }

            switch (omni_load_template(ld, v,
                                       omni_load_member(ld, events, enode,
                                                        omni_event_keys[i]),
                                       OMNI_IN_TAG, &tag->events[i + 1]))
            {
            case OMNI_OK:
                break;
            case OMNI_ERROR:
                return OMNI_ERROR;
            default:
                bad++;
            }
        }
    }

    return bad ? OMNI_EINVAL : OMNI_OK;
}
