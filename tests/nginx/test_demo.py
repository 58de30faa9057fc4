"""The demo storefront, walked by a shopper in headless Chromium: first
visit, a product, the cart, leaving, coming back to the reminder, buying.
What is visible at each step is checked; screenshots go to
build/artifacts/demo-*.png."""

import json
import os
import subprocess
import tempfile
import time

import cdp
import omnitest

ARTIFACTS = os.path.join(omnitest.ROOT, "build", "artifacts")


def start_demo():
    run = tempfile.mkdtemp(prefix="omni-demo-")
    os.chmod(run, 0o755)
    port, shop = omnitest.free_port(), omnitest.free_port()
    env = dict(os.environ, DEMO_RUN=run, DEMO_PORT=str(port),
               DEMO_SHOP_PORT=str(shop), DEMO_ABANDON_AFTER="3s")
    env.pop("NGINX", None)
    p = subprocess.run([os.path.join(omnitest.ROOT, "demo", "run.sh"),
                        "start"], env=env, capture_output=True, text=True,
                       timeout=120)
    if p.returncode != 0:
        raise omnitest.Failure("demo did not start:\n" + p.stdout + p.stderr)
    return run, port, env


def stop_demo(env):
    subprocess.run([os.path.join(omnitest.ROOT, "demo", "run.sh"), "stop"],
                   env=env, capture_output=True, timeout=60)


def expect(text, *wanted):
    for w in wanted:
        if w not in text:
            raise omnitest.Failure("%r is not on the page:\n%s" % (w, text))


def test_a_shopper_walks_the_demo():
    if not os.path.exists(cdp.CHROMIUM):
        raise omnitest.Failure("no %s: run make deps" % cdp.CHROMIUM)

    run, port, env = start_demo()
    u = "http://127.0.0.1:%d" % port
    try:
        with cdp.Browser() as b:
            # 1. a new visitor: the brand and the welcome offer (or the
            # holdout's nothing)
            b.go(u + "/")
            text = b.text()
            expect(text, "Gear for the long way round")
            assert 'data-omni-brand="northwind"' in b.html(), b.html()[:2000]
            welcome = ("Welcome! 5% off" in text
                       or "First order? Free shipping" in text)
            b.screenshot(os.path.join(ARTIFACTS, "demo-1-first-visit.png"))

            # 2. a product page
            b.go(u + "/p/SKU-7")
            expect(b.text(), "Trail Shoe X", "119.90")
            b.screenshot(os.path.join(ARTIFACTS, "demo-2-product.png"))

            # 3. add to cart (the shop reports it in X-Omni-Event)
            b.go(u + "/cart/add?sku=SKU-7")
            expect(b.text(), "Your cart", "Trail Shoe X", "119.90")
            b.screenshot(os.path.join(ARTIFACTS, "demo-3-cart.png"))

            # 4. leave, come back after omni_abandon_after: the reminder
            time.sleep(4.5)
            b.go(u + "/")
            text = b.text()
            expect(text, "your cart (119.90) is still here", "COMEBACK10")
            b.screenshot(os.path.join(ARTIFACTS, "demo-4-reminder.png"))

            out = subprocess.run(
                [omnitest.OMNICTL, "abandoned", "--store",
                 os.path.join(run, "store"), "--abandon-after", "3"],
                capture_output=True, text=True, timeout=30).stdout
            if "SKU-7" not in out:
                raise omnitest.Failure("omnictl abandoned: " + out)

            # 5. buy: the reminder is gone
            b.go(u + "/checkout")
            expect(b.text(), "Thank you!")
            b.screenshot(os.path.join(ARTIFACTS, "demo-5-order.png"))
            time.sleep(0.5)
            b.go(u + "/")
            text = b.text()
            if "is still here" in text:
                raise omnitest.Failure("the reminder outlived the order:\n"
                                       + text)
            b.screenshot(os.path.join(ARTIFACTS, "demo-6-after-order.png"))

            # 6. a VIP signs in
            b.go(u + "/login?customer=C1")
            time.sleep(0.5)
            b.go(u + "/")
            expect(b.text(), "Hi Ann", "early access to the winter sale",
                   "1200 points")
            b.screenshot(os.path.join(ARTIFACTS, "demo-7-vip.png"))

            # 7. the dashboard saw it all
            b.go(u + "/omni/dashboard")
            time.sleep(1.5)
            b.screenshot(os.path.join(ARTIFACTS, "demo-8-dashboard.png"))

        # the first page's decision, from the JSON event log: variant a or
        # b shows its copy, the holdout (10%) sees no offer at all.  The
        # shopper is the visitor of the product page (run.sh's own probe
        # of "/" is another one).
        with open(os.path.join(run, "events.log")) as f:
            rows = [json.loads(line) for line in f]
        shopper = [r for r in rows if r["uri"] == "/p/SKU-7"][0]["visitor"]
        first = [r for r in rows
                 if r["visitor"] == shopper and r["uri"] == "/"][0]
        if first["variant"] == "holdout":
            assert not welcome, first
        else:
            assert first["offer"] == "welcome", first
            assert first["variant"] in ("a", "b"), first
            assert welcome, first
    finally:
        stop_demo(env)
