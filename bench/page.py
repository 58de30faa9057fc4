"""The benchmark page: a storefront category page of about 30 KB.

Deterministic (same bytes on every run and machine) and shaped like what
the rewriter meets in the wild: a head with meta tags, a stylesheet link,
an inline style block and scripts, then a body with navigation, a hero
section holding a `<!--omni:slot hero-->` marker, a grid of product cards
with many small tags and attributes, and a footer.
"""

import random

TARGET_SIZE = 30 * 1024

CSS = """
:root{--brand:#0b5cad;--accent:#f0a500;--ink:#1d1d1f;--muted:#6e6e73}
*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,sans-serif;
color:var(--ink);background:#fafafa}header{display:flex;align-items:center;
justify-content:space-between;padding:12px 24px;background:#fff;
border-bottom:1px solid #e5e5ea}nav ul{display:flex;gap:18px;list-style:none;
margin:0;padding:0}nav a{color:var(--ink);text-decoration:none}
.hero{padding:48px 24px;background:linear-gradient(90deg,var(--brand),#3a8dde);
color:#fff}.grid{display:grid;grid-template-columns:repeat(auto-fill,
minmax(220px,1fr));gap:20px;padding:24px}.card{background:#fff;
border-radius:10px;box-shadow:0 1px 3px rgba(0,0,0,.08);overflow:hidden}
.card img{width:100%;aspect-ratio:4/3;object-fit:cover}.card h3{font-size:
1rem;margin:8px 12px}.price{font-weight:600;margin:0 12px}.was{color:
var(--muted);text-decoration:line-through;margin-left:6px}.btn{display:block;
margin:12px;padding:8px;border:0;border-radius:6px;background:var(--accent);
color:#000;cursor:pointer}footer{padding:32px 24px;color:var(--muted);
font-size:.875rem}
"""

SCRIPT = """
window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments)}
document.addEventListener('DOMContentLoaded',function(){
  var b=document.querySelectorAll('.btn[data-sku]');
  for(var i=0;i<b.length;i++){b[i].addEventListener('click',function(e){
    var s=e.currentTarget.getAttribute('data-sku');
    fetch('/cart/add',{method:'POST',body:JSON.stringify({sku:s,qty:1}),
      headers:{'Content-Type':'application/json'}});});}
});
"""

WORDS = ("linen cotton merino organic classic slim relaxed cropped "
         "oversized tailored washed vintage everyday travel weekend "
         "recycled soft stretch heavyweight lightweight").split()
ITEMS = ("shirt tee sweater cardigan jacket coat chinos jeans shorts dress "
         "skirt scarf beanie sneakers boots tote").split()
COLORS = "navy sand olive black white rust sky charcoal cream".split()


def _card(rng, n):
    name = "%s %s %s" % (rng.choice(WORDS).title(), rng.choice(COLORS),
                         rng.choice(ITEMS))
    sku = "SKU-%05d" % (10000 + n * 37 % 90000)
    price = rng.randrange(1900, 19900) / 100.0
    was = ("<span class=\"was\">&euro;%.2f</span>" % (price * 1.3)
           if n % 3 == 0 else "")
    slug = name.lower().replace(" ", "-")
    return (
        "<article class=\"card\" itemscope "
        "itemtype=\"https://schema.org/Product\" data-sku=\"%(sku)s\">\n"
        "  <a href=\"/p/%(slug)s\" itemprop=\"url\">"
        "<img src=\"/img/%(sku)s-400.webp\" srcset=\"/img/%(sku)s-400.webp "
        "400w, /img/%(sku)s-800.webp 800w\" alt=\"%(name)s\" "
        "loading=\"lazy\" width=\"400\" height=\"300\"></a>\n"
        "  <h3 itemprop=\"name\"><a href=\"/p/%(slug)s\">%(name)s</a></h3>\n"
        "  <p class=\"price\" itemprop=\"offers\" itemscope "
        "itemtype=\"https://schema.org/Offer\"><meta itemprop=\"priceCurrency\" "
        "content=\"EUR\"><span itemprop=\"price\">&euro;%(price).2f</span>"
        "%(was)s</p>\n"
        "  <button class=\"btn\" data-sku=\"%(sku)s\" type=\"button\">"
        "Add to cart</button>\n"
        "</article>\n"
    ) % {"sku": sku, "slug": slug, "name": name, "price": price, "was": was}


def generate(size=TARGET_SIZE):
    """Returns the page as bytes, within a few bytes of size."""
    rng = random.Random(20240601)

    head = (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
        "<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, "
        "initial-scale=1\">\n"
        "<title>New in: autumn essentials | Northwind Outfitters</title>\n"
        "<meta name=\"description\" content=\"Shop the new autumn "
        "essentials: knitwear, outerwear and everyday basics.\">\n"
        "<link rel=\"canonical\" href=\"https://shop.example/c/new-in\">\n"
        "<link rel=\"preconnect\" href=\"https://cdn.shop.example\">\n"
        "<link rel=\"stylesheet\" href=\"/assets/site.3f9a2c.css\">\n"
        "<style>" + CSS + "</style>\n"
        "<script src=\"/assets/vendor.a81f0e.js\" defer></script>\n"
        "<script src=\"/assets/site.77d2b4.js\" defer></script>\n"
        "<script>" + SCRIPT + "</script>\n"
        "</head>\n"
    )

    top = (
        "<body class=\"category new-in\">\n"
        "<header>\n  <a class=\"logo\" href=\"/\"><img src=\"/logo.svg\" "
        "alt=\"Northwind Outfitters\" width=\"160\" height=\"32\"></a>\n"
        "  <nav aria-label=\"Main\"><ul>\n"
        + "".join("    <li><a href=\"/c/%s\">%s</a></li>\n"
                  % (c.lower(), c) for c in
                  ("Women", "Men", "Kids", "Home", "Sale", "New in"))
        + "  </ul></nav>\n  <a class=\"cart\" href=\"/cart\" "
        "aria-label=\"Cart\">Cart (<span id=\"cart-count\">0</span>)</a>\n"
        "</header>\n<main>\n"
        "<section class=\"hero\">\n  <h1>Autumn essentials</h1>\n"
        "  <p>Layers that work from the first cold morning to the last "
        "warm evening.</p>\n  <!--omni:slot hero-->\n</section>\n"
        "<section class=\"grid\" aria-label=\"Products\">\n"
    )

    bottom = (
        "</section>\n</main>\n<footer>\n  <p>&copy; Northwind Outfitters. "
        "Free returns within 30 days.</p>\n"
        "  <p><a href=\"/privacy\">Privacy</a> &middot; "
        "<a href=\"/terms\">Terms</a> &middot; "
        "<a href=\"/contact\">Contact</a></p>\n</footer>\n</body>\n</html>\n"
    )

    cards = []
    total = len(head) + len(top) + len(bottom)
    n = 0
    while True:
        card = _card(rng, n)
        if total + len(card) > size:
            break
        cards.append(card)
        total += len(card)
        n += 1

    # the remainder goes into a comment, as build tools leave them
    pad = size - total
    filler = ""
    if pad >= len("<!--  -->\n"):
        filler = "<!-- " + "b" * (pad - len("<!--  -->\n")) + " -->\n"

    page = head + top + "".join(cards) + filler + bottom
    return page.encode("ascii")


if __name__ == "__main__":
    import sys
    sys.stdout.buffer.write(generate())
