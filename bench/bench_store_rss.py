#!/usr/bin/env python3
"""Memory of an nginx worker serving from a 1 GB profiles map.

Builds a profiles file of about 1 GB (1M profiles of about 1 KB), starts
nginx twice on loopback, one worker each, and reads the worker's
/proc/PID/status:

  without omni_store   idle, then after K requests of new visitors
  with omni_store      (the 1 GB profiles file, activity map_size=1g)
                       idle, then after K requests of K different linked
                       visitors (each an activity and a profile lookup),
                       then after the next omni_store_check (1s here)

The map shows in VmSize.  RssAnon does not move: records are copied into
the request pool and nothing else is allocated.  RssFile counts the page
cache pages a worker has mapped (the kernel maps up to 16 cached pages
around each one read); the store's timer drops them from the worker
(omni_store_trim), so that a worker holds what it read in one interval.

    python3 bench/bench_store_rss.py [--module SO] [--omnictl BIN]
                                     [--profiles N] [--requests K]
"""

import argparse
import os
import pwd
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "nginx"))

import omnitest  # noqa: E402


CONFIG = """
location / {
    omni on;
    add_header X-Name "[$omni_profile_first_name]";
    return 200 "hello\\n";
}
"""


def status(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmSize", "VmRSS", "RssAnon", "RssFile", "RssShmem"):
                out[k] = int(v.split()[0])
    return out


def show(label, st):
    print("  %-34s VmSize %8d KiB  VmRSS %6d KiB  RssAnon %6d KiB  "
          "RssFile %6d KiB" % (label, st["VmSize"], st["VmRSS"],
                               st["RssAnon"], st["RssFile"]))


def build_profiles(store, n):
    """n profiles of about 1 KB: eight 110-byte attributes and the rest."""
    filler = "x" * 110
    p = subprocess.Popen([omnitest.OMNICTL, "import", "--store", store, "-"],
                         stdin=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    chunk = []
    for i in range(n):
        attrs = ", ".join('"a%d": "%s%07d"' % (k, filler, i)
                          for k in range(8))
        chunk.append('{"customer_id": "C%07d", "first_name": "N%d", '
                     '"tier": "gold", "attrs": {%s}}\n' % (i, i, attrs))
        if len(chunk) == 10000:
            p.stdin.write("".join(chunk))
            chunk = []
    p.stdin.write("".join(chunk))
    p.stdin.close()
    err = p.stderr.read()
    if p.wait() != 0:
        raise SystemExit("import failed: " + err)
    return err.strip().splitlines()[-1]


def new_visitors(ngx, k):
    cookies = []
    for _ in range(k):
        r = ngx.get("/")
        m = re.match(r"omni=(v1\.[^;]+)", r.header("Set-Cookie", ""))
        cookies.append(m.group(1))
    return cookies


def run(args, with_store, work):
    ngx = omnitest.Nginx("rss-%s" % ("store" if with_store else "plain"))
    http = "omni_secret %%SECRET%%;\n"
    if with_store:
        http += "omni_store %s map_size=1g;\nomni_store_check 1s;\n" % work
    ngx.write_conf(CONFIG, http)
    try:
        ngx.start()
        time.sleep(0.3)
        pid = ngx.worker_pids()[0]
        idle = status(pid)

        cookies = new_visitors(ngx, args.requests)

        if with_store:
            pairs = "".join("%s C%07d\n" % (c, random.randrange(args.profiles))
                            for c in cookies)
            subprocess.run([omnitest.OMNICTL, "link", "--store", work, "-"],
                           input=pairs, text=True, check=True)
            named = 0
            for c in cookies:
                r = ngx.get("/", headers=[("Cookie", "omni=" + c)])
                named += r.header("X-Name") != "[]"
            if named != len(cookies):
                raise SystemExit("only %d of %d visitors had a profile"
                                 % (named, len(cookies)))

        busy = status(pid)
        trimmed = None
        if with_store:
            time.sleep(1.5)
            trimmed = status(pid)
        ngx.stop()
        return idle, busy, trimmed
    finally:
        ngx.kill()
        ngx.cleanup(False)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--module", default=omnitest.MODULE)
    ap.add_argument("--omnictl", default=omnitest.OMNICTL)
    ap.add_argument("--profiles", type=int, default=1000000)
    ap.add_argument("--requests", type=int, default=1000)
    args = ap.parse_args()

    omnitest.MODULE = os.path.abspath(args.module)
    omnitest.OMNICTL = os.path.abspath(args.omnictl)

    work = tempfile.mkdtemp(prefix="omni-bench-rss-")
    try:
        nobody = pwd.getpwnam("nobody")
        os.chown(work, nobody.pw_uid, nobody.pw_gid)

        print("worker memory with a 1 GB profiles map (%d profiles, %d "
              "requests)" % (args.profiles, args.requests))
        t0 = time.time()
        line = build_profiles(work, args.profiles)
        size = os.path.getsize(os.path.join(work, "profiles", "data.mdb"))
        print("  profiles file %.0f MiB, built in %.1f s (%s)"
              % (size / 1048576.0, time.time() - t0, line))

        idle0, busy0, _ = run(args, False, work)
        idle1, busy1, trim1 = run(args, True, work)

        show("without omni_store, idle", idle0)
        show("without omni_store, after requests", busy0)
        show("with the 1 GB store, idle", idle1)
        show("with the 1 GB store, after lookups", busy1)
        show("with the 1 GB store, after a check", trim1)
        print("  with the store, against without: after requests VmRSS "
              "%+d KiB, RssAnon %+d KiB; after the next check (trim) VmRSS "
              "%+d KiB" % (busy1["VmRSS"] - busy0["VmRSS"],
                           busy1["RssAnon"] - busy0["RssAnon"],
                           trim1["VmRSS"] - busy0["VmRSS"]))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
