#!/usr/bin/env python3
"""Northwind Outfitters: the demo shop behind nginx.

    shop.py PORT

A small storefront application of the kind ngx_omni_module sits in front
of: it knows nothing of visitors, offers or brands. Like a real shop
backend it tells the edge what happened, in response headers:

    X-Omni-Event: cart; item=SKU-7; qty=1; price=119.90
    X-Omni-Event: purchase; order=O-1001; value=139.80; items=SKU-7,SKU-9
    X-Omni-Customer: C1

Its own state (the cart, the signed-in customer) lives in its own cookies,
as in any shop. Pages carry <!--omni:slot hero--> where the marketing team
wants the personal offer, and style themselves with the brand's CSS custom
properties (--omni-primary, ...), which the edge injects.
"""

import html
import itertools
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, unquote, urlsplit

PRODUCTS = {
    "SKU-7": ("Trail Shoe X", "shoes", 119.90, "#0b5fff",
              "Grippy, light and back in every size."),
    "SKU-9": ("Merino Hiking Socks", "accessories", 19.90, "#6f42c1",
              "Soft merino that stays fresh for days on the trail."),
    "SKU-3": ("Alpine Shell Jacket", "jackets", 249.00, "#d63384",
              "Three-layer shell for wind, rain and snow."),
    "SKU-12": ("Daypack 24L", "packs", 89.00, "#198754",
               "Room for a day out, a vented back and a rain cover."),
    "SKU-15": ("Carbon Trekking Poles", "accessories", 69.50, "#fd7e14",
               "Two poles, 430 grams, folded in a second."),
    "SKU-21": ("Insulated Bottle 750ml", "accessories", 29.00, "#20c997",
               "Hot for twelve hours, cold for twenty-four."),
}

CATEGORIES = {
    "shoes": "Shoes", "jackets": "Jackets", "packs": "Packs",
    "accessories": "Accessories",
}

CUSTOMERS = {"C1": "Ann (VIP, gold tier)", "C2": "Ben (member)",
             "C3": "Chloe (platinum)"}

orders = itertools.count(1001)


def money(v):
    return "%.2f" % v


def product_image(sku, size=220):
    name, _, _, color, _ = PRODUCTS[sku]
    return (
        '<svg class="pic" viewBox="0 0 220 160" width="%d" role="img" '
        'aria-label="%s"><rect width="220" height="160" rx="14" fill="%s" '
        'opacity=".12"/><circle cx="110" cy="80" r="46" fill="%s" '
        'opacity=".85"/><text x="110" y="88" text-anchor="middle" '
        'font-size="22" fill="#fff" font-family="sans-serif">%s</text>'
        '</svg>' % (size, html.escape(name), color, color, sku))


def page(title, body, customer=None, cart_count=0):
    who = ('Signed in as <b>%s</b> · <a href="/logout">Sign out</a>'
           % html.escape(customer) if customer
           else '<a href="/login">Sign in</a>')
    return """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>%s · Northwind Outfitters</title>
<link rel="stylesheet" href="/static/shop.css">
</head>
<body>
<header class="top">
  <a class="brand" href="/"><span class="logo"></span>Northwind Outfitters</a>
  <nav>%s</nav>
  <div class="account">%s · <a class="cart" href="/cart">Cart (%d)</a></div>
</header>
<main>
%s
</main>
<footer>Northwind Outfitters is a demo shop. Its pages are personalized at
the edge by ngx_omni_module; the shop itself knows nothing about offers.
</footer>
</body>
</html>
""" % (html.escape(title),
       " ".join('<a href="/c/%s">%s</a>' % (k, v)
                for k, v in CATEGORIES.items()),
       who, cart_count, body)


def grid(skus):
    cards = []
    for sku in skus:
        name, _, price, _, _ = PRODUCTS[sku]
        cards.append(
            '<a class="card" href="/p/%s">%s<h3>%s</h3>'
            '<p class="price">€%s</p></a>'
            % (sku, product_image(sku), html.escape(name), money(price)))
    return '<div class="grid">%s</div>' % "".join(cards)


def parse_cart(value):
    cart = []
    for part in (value or "").split("|"):
        sku, _, qty = part.partition(":")
        if sku in PRODUCTS and qty.isdigit() and 0 < int(qty) < 100:
            cart.append((sku, int(qty)))
    return cart


def format_cart(cart):
    return "|".join("%s:%d" % (sku, qty) for sku, qty in cart)


class Shop(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def cookies(self):
        jar = {}
        for part in self.headers.get("Cookie", "").split(";"):
            name, _, value = part.strip().partition("=")
            if name:
                jar[name] = unquote(value)
        return jar

    def do_HEAD(self):
        self.do_GET()

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        form = parse_qs(self.rfile.read(min(length, 4096)).decode())
        self.route({k: v[-1] for k, v in form.items()})

    def do_GET(self):
        self.route({})

    def route(self, form):
        url = urlsplit(self.path)
        q = {k: v[-1] for k, v in parse_qs(url.query).items()}
        q.update(form)
        jar = self.cookies()
        customer = jar.get("shop_customer")
        cart = parse_cart(jar.get("shop_cart"))
        count = sum(qty for _, qty in cart)
        path = url.path

        if path == "/":
            body = ("""<section class="hero">
  <div><h1>Gear for the long way round</h1>
  <p>Shoes, shells and packs tested on real trails.</p></div>
  <!--omni:slot hero-->
</section>
<h2>Bestsellers</h2>""" + grid(["SKU-7", "SKU-3", "SKU-12", "SKU-9"]))
            return self.html(page("Home", body, customer, count))

        if path.startswith("/c/") and path[3:] in CATEGORIES:
            cat = path[3:]
            skus = [s for s, p in PRODUCTS.items() if p[1] == cat]
            body = ('<h1>%s</h1><!--omni:slot hero-->' % CATEGORIES[cat]
                    + grid(skus))
            return self.html(page(CATEGORIES[cat], body, customer, count))

        if path.startswith("/p/") and path[3:] in PRODUCTS:
            sku = path[3:]
            name, cat, price, _, blurb = PRODUCTS[sku]
            body = """<!--omni:slot hero-->
<article class="product">
  %s
  <div>
    <p class="crumbs"><a href="/c/%s">%s</a></p>
    <h1>%s</h1>
    <p class="price big">€%s</p>
    <p>%s</p>
    <form method="post" action="/cart/add">
      <input type="hidden" name="sku" value="%s">
      <button class="buy" type="submit">Add to cart</button>
    </form>
  </div>
</article>""" % (product_image(sku, 360), cat, CATEGORIES[cat],
                 html.escape(name), money(price), html.escape(blurb), sku)
            return self.html(page(name, body, customer, count))

        if path == "/cart/add" and q.get("sku") in PRODUCTS:
            sku = q["sku"]
            qty = max(1, min(9, int(q.get("qty", "1") or 1)))
            items = dict(cart)
            items[sku] = items.get(sku, 0) + qty
            cart = list(items.items())
            return self.redirect("/cart", [
                ("X-Omni-Event", "cart; item=%s; qty=%d; price=%s"
                 % (sku, qty, money(PRODUCTS[sku][2]))),
                ("Set-Cookie", "shop_cart=%s; Path=/; HttpOnly"
                 % quote(format_cart(cart))),
            ])

        if path == "/cart/remove" and q.get("sku") in PRODUCTS:
            cart = [(s, n) for s, n in cart if s != q["sku"]]
            return self.redirect("/cart", [
                ("X-Omni-Event", "remove; item=%s" % q["sku"]),
                ("Set-Cookie", "shop_cart=%s; Path=/; HttpOnly"
                 % quote(format_cart(cart))),
            ])

        if path == "/cart":
            rows = "".join(
                '<tr><td>%s</td><td>%d</td><td>€%s</td><td><a href="'
                '/cart/remove?sku=%s">remove</a></td></tr>'
                % (html.escape(PRODUCTS[s][0]), n,
                   money(PRODUCTS[s][2] * n), s) for s, n in cart)
            total = sum(PRODUCTS[s][2] * n for s, n in cart)
            if cart:
                body = ("""<h1>Your cart</h1><!--omni:slot hero-->
<table class="cart"><tr><th>Item</th><th>Qty</th><th>Price</th><th></th></tr>
%s<tr class="total"><td>Total</td><td></td><td>€%s</td><td></td></tr></table>
<form method="post" action="/checkout"><button class="buy">Place order</button>
</form>""" % (rows, money(total)))
            else:
                body = ('<h1>Your cart is empty</h1><!--omni:slot hero-->'
                        + grid(["SKU-7", "SKU-12"]))
            return self.html(page("Cart", body, customer, count))

        if path == "/checkout" and cart:
            order = "O-%d" % next(orders)
            total = sum(PRODUCTS[s][2] * n for s, n in cart)
            return self.redirect("/order/" + order, [
                ("X-Omni-Event", "purchase; order=%s; value=%s; items=%s"
                 % (order, money(total), ",".join(s for s, _ in cart))),
                ("Set-Cookie", "shop_cart=; Path=/; Max-Age=0"),
            ])

        if path.startswith("/order/O-"):
            body = ("""<h1>Thank you!</h1><p>Your order <b>%s</b> is on its
way.</p><!--omni:slot hero-->""" % html.escape(path[7:]))
            return self.html(page("Order confirmed", body, customer, 0))

        if path == "/login":
            if q.get("customer") in CUSTOMERS:
                cid = q["customer"]
                return self.redirect(q.get("next", "/"), [
                    ("X-Omni-Customer", cid),
                    ("Set-Cookie", "shop_customer=%s; Path=/; HttpOnly"
                     % quote(CUSTOMERS[cid].split()[0])),
                ])
            body = "<h1>Sign in</h1><ul class=\"logins\">%s</ul>" % "".join(
                '<li><a href="/login?customer=%s">%s</a></li>'
                % (c, html.escape(n)) for c, n in CUSTOMERS.items())
            return self.html(page("Sign in", body, customer, count))

        if path == "/logout":
            return self.redirect("/", [
                ("Set-Cookie", "shop_customer=; Path=/; Max-Age=0")])

        if path == "/static/shop.css":
            return self.send(200, CSS.encode(), "text/css",
                             [("Cache-Control", "public, max-age=3600")])

        return self.html(page("Not found", "<h1>Not found</h1>", customer,
                              count), 404)

    def html(self, text, status=200):
        self.send(status, text.encode(), "text/html; charset=utf-8", [])

    def redirect(self, to, headers):
        if not to.startswith("/") or to.startswith("//"):
            to = "/"
        self.send(303, b"", "text/plain", [("Location", to)] + headers)

    def send(self, status, body, ctype, headers):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


CSS = """
:root { --omni-primary: #334; --omni-accent: #999; --omni-text: #222;
        --omni-background: #fff; --omni-font: system-ui, sans-serif; }
* { box-sizing: border-box; }
body { margin: 0; font-family: var(--omni-font); color: var(--omni-text);
       background: var(--omni-background); }
a { color: var(--omni-primary); text-decoration: none; }
.top { display: flex; align-items: center; gap: 2rem; padding: 1rem 2rem;
       background: var(--omni-primary); color: #fff; }
.top a { color: #fff; }
.top nav { display: flex; gap: 1.2rem; flex: 1; }
.brand { font-weight: 700; font-size: 1.2rem; display: flex;
         align-items: center; gap: .6rem; }
.logo { width: 28px; height: 28px; border-radius: 50%;
        background: var(--omni-accent); display: inline-block; }
.cart { background: var(--omni-accent); color: #111 !important;
        padding: .3rem .8rem; border-radius: 999px; font-weight: 600; }
main { max-width: 1080px; margin: 0 auto; padding: 2rem; }
.hero { display: grid; grid-template-columns: 1fr 1fr; gap: 2rem;
        align-items: center; padding: 2rem; border-radius: 18px;
        background: linear-gradient(120deg, #f3f6ff, #fff8e6); }
.hero h1 { font-size: 2.4rem; margin: 0 0 .5rem; }
.omni-offer { background: var(--omni-primary); color: #fff; padding: 1.2rem;
              border-radius: 14px; margin: 1rem 0; font-size: 1.05rem;
              box-shadow: 0 8px 24px rgba(0,0,0,.12); }
.omni-offer a { color: var(--omni-accent); font-weight: 700; }
.omni-offer b { color: var(--omni-accent); }
.grid { display: grid; grid-template-columns: repeat(auto-fill,
        minmax(220px, 1fr)); gap: 1.5rem; }
.card { border: 1px solid #e6e8ef; border-radius: 14px; padding: 1rem;
        color: inherit; transition: box-shadow .2s; }
.card:hover { box-shadow: 0 6px 18px rgba(0,0,0,.08); }
.pic { width: 100%; height: auto; display: block; }
.card h3 { margin: .6rem 0 .2rem; font-size: 1rem; }
.price { color: var(--omni-primary); font-weight: 700; margin: 0; }
.price.big { font-size: 1.6rem; }
.product { display: grid; grid-template-columns: 380px 1fr; gap: 2rem; }
.buy { background: var(--omni-primary); color: #fff; border: 0;
       padding: .8rem 1.6rem; border-radius: 10px; font-size: 1rem;
       cursor: pointer; }
table.cart { width: 100%; border-collapse: collapse; margin: 1rem 0; }
table.cart td, table.cart th { padding: .6rem; border-bottom: 1px solid #eee;
                               text-align: left; }
tr.total { font-weight: 700; }
footer { color: #888; font-size: .85rem; text-align: center; padding: 2rem; }
"""


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8081
    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer(("127.0.0.1", port), Shop).serve_forever()


if __name__ == "__main__":
    main()
