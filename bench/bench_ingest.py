#!/usr/bin/env python3
"""Tracking benchmarks: ingestion throughput with zero loss, and the worker
CPU a tracked page costs over the same page untracked.

    python3 bench/bench_ingest.py [--seconds 5] [--rounds 5] [--visitors 1000]
    make bench-ingest

1. Ingestion.  nginx with two workers and an omni_beacon location; wrk
   posts beacons of 32 page views each, with keep-alive, from a pool of
   returning visitors (valid cookies) for --seconds.  After a graceful stop
   the store's page views are compared with 32 x the beacons nginx
   answered with 204 (its access log, exact whatever wrk saw of the last
   requests): zero loss means equal.  Events/s are stored events over the
   wrk run's duration.

2. CPU per request.  One nginx with ONE worker pinned to one core, wrk on
   the other; two locations serve the same HTML page to the same returning
   visitors with a same-site Referer: /t/ tracks it (a page view with its
   channel and an omni_track product view: two events per request), /u/
   has "omni_track off" (identity only).  Runs alternate /t/ and /u/ for
   --rounds rounds; per run the worker's on-CPU time (schedstat, in ns)
   is read for the event-loop thread alone and for the whole process (the
   flush thread included, read after the run's last flush), and divided
   by the requests wrk completed.  The tracked page's
   cost is the median over rounds of the paired difference.

Only the processes this script starts are stopped, by their own pids.
"""

import argparse
import json
import os
import pwd
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
NGINX = "/usr/sbin/nginx"

CONF = """\
load_module @MODULE@;
@MAIN@
worker_processes @WORKERS@;
daemon on;
master_process on;
pid @PREFIX@/nginx.pid;
error_log @PREFIX@/error.log info;

events {
    worker_connections 4096;
}

http {
    default_type text/html;
    access_log off;
    log_format status '$status';
    client_body_temp_path @PREFIX@/tmp;

    omni_secret @PREFIX@/secret;
    omni_store @PREFIX@/store;

    server {
        listen 127.0.0.1:@PORT@ backlog=4096;
        server_name localhost;

        location = /omni/beacon {
            omni on;
            omni_beacon;
            access_log @PREFIX@/beacon.log status;
        }

        location /t/ {
            omni on;
            omni_track view ^/t/p/([A-Za-z0-9-]+)$ item=$1;
            return 200 "@PAGE@";
        }

        location /u/ {
            omni on;
            omni_track off;
            return 200 "@PAGE@";
        }
    }
}
"""

PAGE = ("<!doctype html><html><head><title>Trail Shoe X</title></head>"
        "<body><h1>Trail Shoe X</h1><p>Grippy, light and back in every "
        "size.</p></body></html>")

LUA = """
cookies = { @COOKIES@ }
counter = math.random(1, #cookies)

request = function()
    counter = counter + 1
    local headers = {}
    headers["Cookie"] = "omni=" .. cookies[(counter %% #cookies) + 1]
    headers["Referer"] = "http://127.0.0.1:@PORT@/"
    headers["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
    @EXTRA@
    return wrk.format(@METHOD@, "@PATH@", headers, @BODY@)
end
"""


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Nginx:
    def __init__(self, args, workers, cpu=None):
        self.args = args
        self.prefix = tempfile.mkdtemp(prefix="omni-bench-ingest-")
        os.chmod(self.prefix, 0o755)
        os.makedirs(os.path.join(self.prefix, "tmp"))
        store = os.path.join(self.prefix, "store")
        os.makedirs(store)
        nobody = pwd.getpwnam("nobody")
        os.chown(store, nobody.pw_uid, nobody.pw_gid)
        with open(os.path.join(self.prefix, "secret"), "w") as f:
            f.write(os.urandom(32).hex() + "\n")
        self.port = free_port()
        conf = (CONF.replace("@MODULE@", os.path.abspath(args.module))
                .replace("@MAIN@", args.main)
                .replace("@WORKERS@", str(workers))
                .replace("@PREFIX@", self.prefix)
                .replace("@PORT@", str(self.port))
                .replace("@PAGE@", PAGE.replace('"', '\\"')))
        self.conf = os.path.join(self.prefix, "nginx.conf")
        with open(self.conf, "w") as f:
            f.write(conf)
        cmd = [NGINX, "-p", self.prefix, "-c", self.conf]
        if cpu is not None:
            cmd = ["taskset", "-c", str(cpu)] + cmd
        env = {k: v for k, v in os.environ.items() if k != "NGINX"}
        subprocess.run(cmd, check=True, env=env)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), 1).close()
                break
            except OSError:
                time.sleep(0.02)
        time.sleep(0.3)

    def master(self):
        with open(os.path.join(self.prefix, "nginx.pid")) as f:
            return int(f.read())

    def workers(self):
        out = subprocess.run(["pgrep", "-P", str(self.master())],
                             capture_output=True, text=True).stdout
        return [int(x) for x in out.split()]

    def stop(self):
        master = self.master()
        os.kill(master, signal.SIGQUIT)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                os.kill(master, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)
        raise RuntimeError("nginx did not stop")

    def cleanup(self):
        shutil.rmtree(self.prefix, ignore_errors=True)

    def log(self):
        with open(os.path.join(self.prefix, "error.log")) as f:
            return f.read()


def visitor_cookies(port, n):
    """n returning visitors: ids minted by nginx itself."""
    import http.client
    cookies = []
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    for _ in range(n):
        conn.request("GET", "/u/")
        r = conn.getresponse()
        r.read()
        m = re.match(r"omni=([^;]+)", r.getheader("Set-Cookie", ""))
        cookies.append(m.group(1))
    conn.close()
    return cookies


def lua_script(prefix, name, cookies, port, path, method="GET", body=None):
    extra = ""
    if body is not None:
        extra = 'headers["Content-Type"] = "text/plain;charset=UTF-8"'
    text = (LUA.replace("%%", "%")
            .replace("@COOKIES@", ", ".join('"%s"' % c for c in cookies))
            .replace("@PORT@", str(port))
            .replace("@PATH@", path)
            .replace("@METHOD@", '"%s"' % method)
            .replace("@EXTRA@", extra)
            .replace("@BODY@", "nil" if body is None
                     else '"%s"' % body.replace('"', '\\"')))
    path = os.path.join(prefix, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def wrk(args, port, script, seconds, threads, connections, cpu=None):
    cmd = ["wrk", "-t%d" % threads, "-c%d" % connections,
           "-d%ds" % seconds, "--timeout", "5s", "-s", script,
           "http://127.0.0.1:%d/" % port]
    if cpu is not None:
        cmd = ["taskset", "-c", str(cpu)] + cmd
    t0 = time.time()
    out = subprocess.run(cmd, capture_output=True, text=True,
                         timeout=seconds + 60).stdout
    elapsed = time.time() - t0
    m = re.search(r"(\d+) requests in ([\d.]+)(m?s)", out)
    if not m:
        raise RuntimeError("wrk said:\n" + out)
    requests = int(m.group(1))
    duration = float(m.group(2)) / (1000 if m.group(3) == "ms" else 1)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sockerr = re.search(r"Socket errors: (.*)", out)
    return {"requests": requests, "duration": duration, "wall": elapsed,
            "non2xx": int(errors.group(1)) if errors else 0,
            "socket_errors": sockerr.group(1) if sockerr else "",
            "rps": requests / duration}


def omnictl_totals(args, store):
    out = subprocess.run([args.omnictl, "activity", "--store", store,
                          "--totals"], capture_output=True, text=True,
                         check=True).stdout
    return json.loads(out)


def user_ticks(pid, tid):
    """User-space CPU time of one thread, in clock ticks."""
    with open("/proc/%d/task/%d/stat" % (pid, tid)) as f:
        return int(f.read().rsplit(")", 1)[1].split()[11])


def cpu_ns(pid, tid=None):
    """On-CPU time in ns (schedstat: exact, unlike the 10 ms ticks of
    /proc/PID/stat), of one thread or of every thread of the process."""
    tids = [tid] if tid is not None else \
        [int(t) for t in os.listdir("/proc/%d/task" % pid)]
    total = 0
    for t in tids:
        try:
            with open("/proc/%d/task/%d/schedstat" % (pid, t)) as f:
                total += int(f.read().split()[0])
        except OSError:
            pass
    return total


def ingest(args):
    ngx = Nginx(args, workers=2)
    try:
        cookies = visitor_cookies(ngx.port, args.visitors)
        body = json.dumps([{"type": "pageview"}] * 32)
        script = lua_script(ngx.prefix, "beacon.lua", cookies, ngx.port,
                            "/omni/beacon", "POST", body)
        res = wrk(args, ngx.port, script, args.seconds, threads=2,
                  connections=32)
        ngx.stop()

        with open(os.path.join(ngx.prefix, "beacon.log")) as f:
            statuses = [l.strip() for l in f]
        answered = statuses.count("204")
        totals = omnictl_totals(args, os.path.join(ngx.prefix, "store"))
        written = sum(int(n) for n in re.findall(
            r"(\d+) events written by this worker", ngx.log()))
        dropped = sum(int(n) for n in re.findall(
            r"events written by this worker, (\d+) dropped", ngx.log()))

        stored = totals["pageviews"]
        sent = answered * 32
        print("ingestion: wrk -t2 -c32 -d%ds, beacons of 32 page views, "
              "%d returning visitors, 2 workers" % (args.seconds,
                                                    args.visitors))
        print("  beacons answered 204: %d (other statuses: %d; wrk: %d "
              "requests, non-2xx %d, socket errors: %s)"
              % (answered, len(statuses) - answered, res["requests"],
                 res["non2xx"], res["socket_errors"] or "none"))
        print("  events sent %d, written %d, dropped %d, in the store %d: "
              "%s" % (sent, written, dropped, stored,
                      "ZERO LOSS" if stored == sent and dropped == 0
                      else "LOSS"))
        print("  %.0f events/s stored (%.0f beacons/s over %.2fs)"
              % (stored / res["duration"], answered / res["duration"],
                 res["duration"]))
        return stored == sent and dropped == 0
    finally:
        ngx.cleanup()


def cpu_per_request(args):
    ngx = Nginx(args, workers=1, cpu=args.nginx_cpu)
    try:
        cookies = visitor_cookies(ngx.port, args.visitors)
        worker = ngx.workers()[0]
        scripts = {
            "tracked": lua_script(ngx.prefix, "t.lua", cookies, ngx.port,
                                  "/t/p/SKU-7"),
            "untracked": lua_script(ngx.prefix, "u.lua", cookies, ngx.port,
                                    "/u/p/SKU-7"),
        }

        # warm up both paths (and the store's pages)
        for name in ("tracked", "untracked"):
            wrk(args, ngx.port, scripts[name], 1, 1, 16, args.wrk_cpu)
        time.sleep(0.5)

        rounds = {"tracked": [], "untracked": []}
        order = ["tracked", "untracked"]

        for r in range(args.rounds):
            for name in order:
                p0 = cpu_ns(worker)
                l0 = cpu_ns(worker, worker)
                u0 = user_ticks(worker, worker)
                res = wrk(args, ngx.port, scripts[name], args.seconds, 1, 16,
                          args.wrk_cpu)
                # the run's last events are flushed within 100ms
                time.sleep(0.4)
                p1 = cpu_ns(worker)
                l1 = cpu_ns(worker, worker)
                u1 = user_ticks(worker, worker)
                n = res["requests"]
                rounds[name].append({
                    "user": (u1 - u0) / CLK_TCK / n * 1e6,
                    "loop": (l1 - l0) / 1e3 / n,
                    "proc": (p1 - p0) / 1e3 / n,
                    "rps": res["rps"],
                    "non2xx": res["non2xx"]})
            order.reverse()

        ngx.stop()
        totals = omnictl_totals(args, os.path.join(ngx.prefix, "store"))

        def med(name, key):
            return statistics.median(x[key] for x in rounds[name])

        def delta(key):
            return [t[key] - u[key] for t, u in zip(rounds["tracked"],
                                                    rounds["untracked"])]

        print("CPU per request: 1 worker on cpu %d, wrk -t1 -c16 on cpu %d, "
              "%d rounds of %ds per variant, %d returning visitors, "
              "same-site Referer" % (args.nginx_cpu, args.wrk_cpu,
                                     args.rounds, args.seconds,
                                     args.visitors))
        for name in ("untracked", "tracked"):
            print("  %-10s %7.0f req/s  event loop %.2f us/req (user "
                  "space %.2f)  whole worker %.2f us/req  (non-2xx %d)"
                  % (name, med(name, "rps"), med(name, "loop"),
                     med(name, "user"), med(name, "proc"),
                     sum(x["non2xx"] for x in rounds[name])))
        dl, dp, du = delta("loop"), delta("proc"), delta("user")
        print("  tracking adds: event loop %.2f us/req (median of paired "
              "rounds; min %.2f, max %.2f)" % (statistics.median(dl),
                                               min(dl), max(dl)))
        print("                 event loop, user space only: %.2f us/req "
              "(min %.2f, max %.2f)" % (statistics.median(du), min(du),
                                        max(du)))
        print("                 whole worker, flush thread included: %.2f "
              "us/req (min %.2f, max %.2f)" % (statistics.median(dp),
                                               min(dp), max(dp)))
        print("  store after the runs: %d visitors, %d page views"
              % (totals["visitors"], totals["pageviews"]))
        return med("untracked", "user")
    finally:
        ngx.cleanup()


def callgrind(args):
    """Instructions per request, counted by callgrind: deterministic,
    whatever else runs on the machine.  One nginx process (master_process
    off) under valgrind; after a warm-up the counters are zeroed, the same
    sequential keep-alive requests go to /t/ then to /u/, and the counters
    are dumped after each, per thread: the event loop apart from the
    thread pool's threads (the flushes)."""
    import http.client

    ngx_prefix = tempfile.mkdtemp(prefix="omni-bench-cg-")
    os.chmod(ngx_prefix, 0o755)
    try:
        os.makedirs(os.path.join(ngx_prefix, "tmp"))
        store = os.path.join(ngx_prefix, "store")
        os.makedirs(store)
        nobody = pwd.getpwnam("nobody")
        os.chown(store, nobody.pw_uid, nobody.pw_gid)
        with open(os.path.join(ngx_prefix, "secret"), "w") as f:
            f.write(os.urandom(32).hex() + "\n")
        port = free_port()
        conf = (CONF.replace("@MODULE@", os.path.abspath(args.module))
                .replace("@MAIN@", args.main)
                .replace("@WORKERS@", "1")
                .replace("@PREFIX@", ngx_prefix)
                .replace("@PORT@", str(port))
                .replace("@PAGE@", PAGE.replace('"', '\\"'))
                .replace("daemon on;", "daemon off;")
                .replace("master_process on;", "master_process off;"))
        # in a single process nginx stays root: the store is root's too
        conf = conf.replace("events {", "user root;\n\nevents {")
        path = os.path.join(ngx_prefix, "nginx.conf")
        with open(path, "w") as f:
            f.write(conf)

        out = os.path.join(ngx_prefix, "cg.out")
        env = {k: v for k, v in os.environ.items() if k != "NGINX"}
        vg = subprocess.Popen(
            ["valgrind", "--tool=callgrind", "--separate-threads=yes",
             "--callgrind-out-file=" + out, NGINX, "-p", ngx_prefix, "-c",
             path], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env=env)
        try:
            deadline = time.time() + 60
            while time.time() < deadline:
                try:
                    socket.create_connection(("127.0.0.1", port), 1).close()
                    break
                except OSError:
                    time.sleep(0.1)

            cookies = visitor_cookies(port, 100)
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

            def run(path, n):
                for i in range(n):
                    conn.request("GET", path, headers={
                        "Cookie": "omni=" + cookies[i % len(cookies)],
                        "Referer": "http://127.0.0.1:%d/" % port,
                        "User-Agent": "Mozilla/5.0 (X11; Linux x86_64; "
                                      "rv:128.0) Gecko/20100101 "
                                      "Firefox/128.0"})
                    r = conn.getresponse()
                    r.read()
                    if r.status != 200:
                        raise RuntimeError("status %d" % r.status)
                # the last batch is flushed
                time.sleep(1.0)

            def control(*opts):
                subprocess.run(["callgrind_control"] + list(opts)
                               + [str(vg.pid)], check=True,
                               stdout=subprocess.DEVNULL)

            run("/t/p/SKU-7", 200)
            run("/u/p/SKU-7", 200)
            control("-z")

            n = args.callgrind_requests
            result = {}
            for name, path in (("tracked", "/t/p/SKU-7"),
                               ("untracked", "/u/p/SKU-7")):
                before = set(os.listdir(ngx_prefix))
                run(path, n)
                control("-d", name)
                files = sorted(f for f in set(os.listdir(ngx_prefix)) - before
                               if f.startswith("cg.out"))
                loop = pool = 0
                for f in files:
                    with open(os.path.join(ngx_prefix, f)) as fh:
                        text = fh.read()
                    m = re.search(r"^(?:summary|totals): (\d+)", text, re.M)
                    ir = int(m.group(1)) if m else 0
                    if re.search(r"-01$", f):
                        loop += ir
                    else:
                        pool += ir
                result[name] = (loop / n, pool / n)
            conn.close()
        finally:
            vg.send_signal(signal.SIGQUIT)
            try:
                vg.wait(60)
            except subprocess.TimeoutExpired:
                vg.kill()
                vg.wait()

        t, u = result["tracked"], result["untracked"]
        print("instructions per request (callgrind, %d sequential keep-alive "
              "requests per path, 100 returning visitors):" % n)
        for name in ("untracked", "tracked"):
            print("  %-10s event loop %6.0f  thread pool (flushes) %6.0f"
                  % (name, result[name][0], result[name][1]))
        print("  tracking adds %.0f instructions per request to the event "
              "loop, %.0f in the flush thread" % (t[0] - u[0], t[1] - u[1]))
        if args.user_us:
            ns = args.user_us * 1e3 / u[0]
            print("  at the %.3f ns per user-space instruction the untracked "
                  "page took under wrk (%.2f us of user time per request): "
                  "%.2f us per request in the event loop, %.2f us in the "
                  "flush thread" % (ns, args.user_us, (t[0] - u[0]) * ns / 1e3,
                                    (t[1] - u[1]) * ns / 1e3))
    finally:
        if os.environ.get("BENCH_KEEP"):
            print("  kept " + ngx_prefix)
        else:
            shutil.rmtree(ngx_prefix, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--module", default=os.path.join(
        ROOT, "build", "ngx_http_omni_module.so"))
    ap.add_argument("--omnictl", default=os.path.join(ROOT, "build",
                                                      "omnictl"))
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--visitors", type=int, default=1000)
    ap.add_argument("--nginx-cpu", type=int, default=1)
    ap.add_argument("--wrk-cpu", type=int, default=0)
    ap.add_argument("--callgrind-requests", type=int, default=2000)
    ap.add_argument("--pcre-jit", action="store_true",
                    help="pcre_jit on (what the README recommends)")
    ap.add_argument("--only", choices=("ingest", "cpu", "callgrind"))
    args = ap.parse_args()

    args.main = "pcre_jit on;" if args.pcre_jit else ""
    if args.pcre_jit:
        print("pcre_jit on")

    for tool in ("wrk", "taskset"):
        if shutil.which(tool) is None:
            sys.exit("bench_ingest: %s is missing" % tool)

    ok = True
    if args.only in (None, "ingest"):
        ok = ingest(args)
    args.user_us = None
    if args.only in (None, "cpu"):
        args.user_us = cpu_per_request(args)
    if args.only in (None, "callgrind"):
        callgrind(args)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
