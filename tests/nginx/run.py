#!/usr/bin/env python3
"""Runs the end-to-end suite: every block of tests/nginx/t/*.t and every
test_* function of tests/nginx/test_*.py, against the real nginx.

    python3 tests/nginx/run.py [--module SO] [--omnictl BIN] [--keep]
                               [--filter TEXT] [FILE ...]

Ends with the line "N passed, N failed"; exits 1 when anything failed.
"""

import argparse
import glob
import importlib.util
import os
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import omnitest  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nginx", default=omnitest.NGINX)
    ap.add_argument("--module", default=omnitest.MODULE)
    ap.add_argument("--omnictl", default=omnitest.OMNICTL)
    ap.add_argument("--keep", action="store_true",
                    help="keep every prefix directory")
    ap.add_argument("--filter", default="",
                    help="run only cases whose title contains TEXT")
    ap.add_argument("files", nargs="*")
    args = ap.parse_args()

    omnitest.NGINX = args.nginx
    omnitest.MODULE = os.path.abspath(args.module)
    omnitest.OMNICTL = os.path.abspath(args.omnictl)

    here = os.path.dirname(os.path.abspath(__file__))
    files = args.files or (sorted(glob.glob(os.path.join(here, "t", "*.t")))
                           + sorted(glob.glob(os.path.join(here,
                                                           "test_*.py"))))

    passed = failed = 0
    started = time.time()

    for path in files:
        for title, run in cases(path, args):
            if args.filter and args.filter not in title:
                continue
            t0 = time.time()
            try:
                run()
            except Exception as e:  # noqa: BLE001
                failed += 1
                print("not ok - %s" % title)
                detail = str(e) if isinstance(e, omnitest.Failure) \
                    else traceback.format_exc()
                print("    " + detail.replace("\n", "\n    "))
            else:
                passed += 1
                print("ok - %s (%.1fs)" % (title, time.time() - t0))
            sys.stdout.flush()

    print("e2e: %.0fs" % (time.time() - started))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


def cases(path, args):
    if path.endswith(".t"):
        for block in omnitest.parse_blocks(path):
            if "skip" in block.config:
                continue
            yield block.title(), (lambda b=block: omnitest.run_block(b, args))
        return

    spec = importlib.util.spec_from_file_location(
        os.path.basename(path)[:-3], path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    for name in sorted(n for n in dir(mod) if n.startswith("test_")):
        fn = getattr(mod, name)
        if callable(fn):
            yield "%s %s" % (os.path.basename(path), name), fn


if __name__ == "__main__":
    sys.exit(main())
