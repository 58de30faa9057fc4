#!/usr/bin/env python3
"""wrk comparison of nginx with and without ngx_omni_module.

Every variant (bench/variants.py) runs as its own nginx instance with ONE
worker process, all of them pinned to one core (BENCH_NGINX_CPU) and wrk to
another (BENCH_WRK_CPU).  Rounds interleave the variants (the order rotates
each round) so that drift and other load on the machine hit all of them
alike, and every round starts the nginx processes afresh, so that the luck
of one process's memory layout (cache and TLB conflicts: a steady bias of
a few per cent) turns into noise that the medians absorb; every figure is the median over the rounds, and comparisons with the
baseline are paired per round (the delta or ratio of two runs a few seconds
apart) before the median is taken.

Per run it records the worker's user+sys CPU time from /proc/PID/stat (and
the exact on-CPU time from /proc/PID/schedstat), wrk's own CPU time, the
busy time of both cores that was not ours (other load: how noisy the run
was), requests/s and p50/p99 latency from wrk.  CPU time per request is the
robust figure: when wrk saturates its core, requests/s measure wrk.

Then each variant runs once more as a single process under valgrind's
callgrind, which counts the user-space instructions of a fixed number of
sequential keep-alive requests: a deterministic figure that other load
cannot disturb, and a per-function account of what the module costs.

The machine may be shared: before each run the harness waits (a bounded
time) until both cores are quiet, and a run during which others used more
than BENCH_MAX_OTHER % of either core is repeated (BENCH_RETRIES times);
the least disturbed attempt is kept and the report counts the disturbed
runs that remain.

Settings come from the environment (or the options of the same name):
  BENCH_ROUNDS=5 BENCH_SECONDS=5 BENCH_CONNECTIONS=16 BENCH_WARMUP=1
  BENCH_MAX_OTHER=10 BENCH_RETRIES=1 BENCH_QUIET_WAIT=5 BENCH_RESTART=1
  BENCH_CALLGRIND=1 BENCH_CALLGRIND_REQUESTS=1000 BENCH_PROFILE=
  BENCH_VARIANTS=plain,loaded-off,identity,identity-new
  BENCH_NGINX_CPU=1 BENCH_WRK_CPU=0 BENCH_PORT=18480 BENCH_NICE=0
"""

import argparse
import datetime
import http.client
import json
import os
import platform
import re
import resource
import signal
import socket
import statistics
import subprocess
import sys
import time

# no __pycache__ in the source tree
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import page  # noqa: E402
import variants as variant_table  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")

CONF = """\
@MAIN@
worker_processes  1;
daemon            off;
master_process    @MASTER@;
pid               @PREFIX@/nginx.pid;
error_log         @PREFIX@/error.log warn;

events {
    worker_connections  1024;
}

http {
    types {
        text/html                 html;
        text/css                  css;
        application/javascript    js;
    }
    default_type  application/octet-stream;

    access_log    off;
    sendfile      on;
    tcp_nopush    on;

    client_body_temp_path  @PREFIX@/tmp/body;
    proxy_temp_path        @PREFIX@/tmp/proxy;
    fastcgi_temp_path      @PREFIX@/tmp/fastcgi;
    uwsgi_temp_path        @PREFIX@/tmp/uwsgi;
    scgi_temp_path         @PREFIX@/tmp/scgi;

@HTTP@

    server {
        listen       127.0.0.1:@PORT@;
        server_name  localhost;
        root         @ROOT@;

@SERVER@

        location / {
@LOCATION@
        }
    }
}
"""

WRK_SCRIPT = """\
-- prints the run's figures as one JSON line; no per-request Lua
done = function(summary, latency, requests)
    local e = summary.errors
    io.write(string.format(
        "OMNI_BENCH {\\"requests\\":%d,\\"duration_us\\":%d,"
        .. "\\"bytes\\":%d,\\"p50_us\\":%d,\\"p90_us\\":%d,"
        .. "\\"p99_us\\":%d,\\"mean_us\\":%.1f,\\"max_us\\":%d,"
        .. "\\"err_connect\\":%d,\\"err_read\\":%d,\\"err_write\\":%d,"
        .. "\\"err_status\\":%d,\\"err_timeout\\":%d}\\n",
        summary.requests, summary.duration, summary.bytes,
        latency:percentile(50), latency:percentile(90),
        latency:percentile(99), latency.mean, latency.max,
        e.connect, e.read, e.write, e.status, e.timeout))
end
"""


class BenchError(Exception):
    pass


class Interrupted(BaseException):
    pass


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def env_int(name, default):
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        raise SystemExit("%s must be an integer" % name)


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=env_int("BENCH_ROUNDS", 5))
    ap.add_argument("--seconds", type=int,
                    default=env_int("BENCH_SECONDS", 5))
    ap.add_argument("--connections", type=int,
                    default=env_int("BENCH_CONNECTIONS", 16))
    ap.add_argument("--warmup", type=int, default=env_int("BENCH_WARMUP", 1))
    ap.add_argument("--max-other", type=int,
                    default=env_int("BENCH_MAX_OTHER", 10),
                    help="%% of a core used by others that makes a run "
                         "disturbed")
    ap.add_argument("--retries", type=int,
                    default=env_int("BENCH_RETRIES", 1),
                    help="times a disturbed run is repeated")
    ap.add_argument("--quiet-wait", type=int,
                    default=env_int("BENCH_QUIET_WAIT", 5),
                    help="seconds to wait for quiet cores before a run")
    ap.add_argument("--variants",
                    default=os.environ.get(
                        "BENCH_VARIANTS",
                        ",".join(variant_table.DEFAULT_VARIANTS)))
    ap.add_argument("--nginx-cpu", type=int,
                    default=env_int("BENCH_NGINX_CPU", 1))
    ap.add_argument("--wrk-cpu", type=int, default=env_int("BENCH_WRK_CPU", 0))
    ap.add_argument("--port", type=int, default=env_int("BENCH_PORT", 18480))
    ap.add_argument("--nginx", default=os.environ.get("NGINX",
                                                      "/usr/sbin/nginx"))
    ap.add_argument("--module", default="build/ngx_http_omni_module.so")
    ap.add_argument("--omnictl", default="build/omnictl")
    ap.add_argument("--run-dir", required=True,
                    help="scratch directory for the nginx prefixes")
    ap.add_argument("--out", default="build/bench",
                    help="where report.md, results.json and logs go")
    ap.add_argument("--restart", type=int,
                    default=env_int("BENCH_RESTART", 1),
                    help="1: start every nginx afresh each round")
    ap.add_argument("--nice", type=int, default=env_int("BENCH_NICE", 0),
                    help="nice value of nginx and wrk; below 0 takes CPU "
                         "from everybody else on the machine")
    ap.add_argument("--callgrind", type=int,
                    default=env_int("BENCH_CALLGRIND", 1),
                    help="1: also count instructions per request under "
                         "callgrind (deterministic), 0: skip")
    ap.add_argument("--callgrind-requests", type=int,
                    default=env_int("BENCH_CALLGRIND_REQUESTS", 1000))
    ap.add_argument("--profile",
                    default=os.environ.get("BENCH_PROFILE", ""),
                    help="variants to profile with perf record after the "
                         "rounds (comma-separated)")
    ap.add_argument("--list", action="store_true",
                    help="list the variants and exit")
    a = ap.parse_args()

    if a.rounds < 1 or a.rounds > 50:
        ap.error("rounds must be 1..50")
    if a.seconds < 1 or a.seconds > 120:
        ap.error("seconds must be 1..120")
    if a.connections < 1 or a.connections > 1000:
        ap.error("connections must be 1..1000")
    if a.warmup < 0 or a.warmup > 30:
        ap.error("warmup must be 0..30")
    if a.retries < 0 or a.retries > 5:
        ap.error("retries must be 0..5")
    if a.quiet_wait < 0 or a.quiet_wait > 60:
        ap.error("quiet-wait must be 0..60")
    if a.nice < -20 or a.nice > 19:
        ap.error("nice must be -20..19")
    if a.callgrind_requests < 10 or a.callgrind_requests > 100000:
        ap.error("callgrind-requests must be 10..100000")
    if a.max_other < 0 or a.max_other > 100:
        ap.error("max-other must be 0..100")
    return a


# -- /proc --------------------------------------------------------------

def proc_cpu(pid):
    """(user ticks, sys ticks, on-CPU ns or None) of one process."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    utime, stime = int(fields[11]), int(fields[12])
    try:
        with open("/proc/%d/schedstat" % pid) as f:
            run_ns = int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        run_ns = None
    return utime, stime, run_ns


def core_busy(cpus):
    """Busy and total ticks of the given cores, from /proc/stat."""
    out = {}
    with open("/proc/stat") as f:
        for line in f:
            name = line.split(" ", 1)[0]
            if not name.startswith("cpu") or name == "cpu":
                continue
            n = int(name[3:])
            if n not in cpus:
                continue
            v = [int(x) for x in line.split()[1:]]
            idle = v[3] + v[4]                      # idle + iowait
            total = sum(v[:8])                      # guest is in user
            out[n] = (total - idle, total)
    return out


def children_of(ppid):
    pids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == ppid:
            pids.append(int(d))
    return pids


# -- nginx instances ----------------------------------------------------

def subst(text, values):
    for k, v in values.items():
        text = text.replace(k, str(v))
    return text


def indent(text, n):
    return "\n".join((" " * n + line) if line.strip() else ""
                     for line in text.strip("\n").split("\n"))


class Instance:
    """One nginx: a master and one worker, or under callgrind a single
    process (master_process off) so that valgrind sees the requests."""

    def __init__(self, variant, port, args, run_dir, root, secret, size,
                 callgrind=False):
        self.v = variant
        self.name = variant["name"]
        self.port = port
        self.callgrind = callgrind
        self.prefix = os.path.join(run_dir,
                                   self.name + ("-cg" if callgrind else ""))
        self.values = {"@MODULE@": os.path.abspath(args.module),
                       "@SECRET@": secret, "@ROOT@": root,
                       "@PREFIX@": self.prefix, "@PORT@": port,
                       "@PAGE_SIZE@": size}
        self.args = args
        self.proc = None
        self.worker = None

    def write(self):
        os.makedirs(os.path.join(self.prefix, "tmp"), exist_ok=True)
        os.chmod(self.prefix, 0o755)
        for rel, text in self.v.get("files", {}).items():
            path = os.path.join(self.prefix, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write(subst(text, self.values))
        conf = CONF
        conf = conf.replace("@MASTER@", "off" if self.callgrind else "on")
        conf = conf.replace("@MAIN@", self.v.get("main", ""))
        conf = conf.replace("@HTTP@", indent(self.v.get("http", ""), 4))
        conf = conf.replace("@SERVER@", indent(self.v.get("server", ""), 8))
        conf = conf.replace("@LOCATION@",
                            indent(self.v.get("location", ""), 12))
        self.conf = os.path.join(self.prefix, "nginx.conf")
        with open(self.conf, "w") as f:
            f.write(subst(conf, self.values))

    def cmd(self, *extra):
        return [self.args.nginx, "-p", self.prefix + "/", "-c", self.conf,
                "-e", os.path.join(self.prefix, "error.log")] + list(extra)

    def test(self):
        r = subprocess.run(self.cmd("-t", "-q"), capture_output=True,
                           text=True, timeout=30)
        if r.returncode != 0:
            raise BenchError("%s: nginx -t failed:\n%s"
                             % (self.name, r.stderr.strip()))

    def start(self):
        port_free(self.port)
        pre = ["nice", "-n", str(self.args.nice),
               "taskset", "-c", str(self.args.nginx_cpu)]
        if self.callgrind:
            pre += ["valgrind", "--tool=callgrind", "--dump-instr=no",
                    "--callgrind-out-file=%s/callgrind.out" % self.prefix]
        with open(os.path.join(self.prefix, "stderr.log"), "a") as err:
            self.proc = subprocess.Popen(pre + self.cmd(),
                                         stdout=subprocess.DEVNULL,
                                         stderr=err)

    def wait_ready(self):
        deadline = time.monotonic() + (60 if self.callgrind else 10)
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchError("%s: nginx exited with %d, see %s"
                                 % (self.name, self.proc.returncode,
                                    os.path.join(self.prefix, "error.log")))
            if self.callgrind:
                if port_open(self.port):
                    self.worker = self.proc.pid
                    return
                time.sleep(0.2)
                continue
            workers = children_of(self.proc.pid)
            if len(workers) == 1 and port_open(self.port):
                self.worker = workers[0]
                return
            time.sleep(0.05)
        raise BenchError("%s: nginx did not come up on port %d"
                         % (self.name, self.port))

    def check_worker(self):
        """The same single worker must still serve: no crash, no respawn."""
        workers = children_of(self.proc.pid)
        if self.proc.poll() is not None or workers != [self.worker]:
            raise BenchError("%s: the nginx worker %d died (now %s); see %s"
                             % (self.name, self.worker, workers,
                                os.path.join(self.prefix, "error.log")))

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        pids = [self.proc.pid] + ([self.worker] if self.worker else [])
        try:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=30 if self.callgrind else 5)
        except subprocess.TimeoutExpired:
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            self.proc.wait(timeout=5)

    def error_log_problems(self):
        path = os.path.join(self.prefix, "error.log")
        try:
            with open(path, errors="replace") as f:
                lines = f.read().splitlines()
        except OSError:
            return []
        return [line for line in lines
                if re.search(r"\[(alert|crit|emerg|error)\]|signal \d+", line)]


def port_open(port):
    s = socket.socket()
    s.settimeout(0.2)
    try:
        s.connect(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def port_free(port):
    s = socket.socket()
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))
    except OSError:
        raise BenchError("port %d is in use: set BENCH_PORT" % port)
    finally:
        s.close()


# -- requests -----------------------------------------------------------

def request_headers(variant, visitor):
    h = dict(variant_table.BROWSER_HEADERS)
    for k, v in variant.get("headers", {}).items():
        if v is None:
            h.pop(k, None)
        else:
            h[k] = v.replace("@VISITOR@", visitor)
    return h


def probe(port, headers):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        c.request("GET", "/index.html", headers=headers)
        r = c.getresponse()
        body = r.read()
        return r.status, r.msg, body
    finally:
        c.close()


def find_visitor_cookie(instances):
    """A valid visitor cookie from the first instance that issues one."""
    for inst in instances:
        h = dict(variant_table.BROWSER_HEADERS)
        status, msg, _ = probe(inst.port, h)
        for sc in msg.get_all("Set-Cookie") or []:
            m = re.match(r"omni=([^;]+)", sc)
            if m:
                return m.group(1), inst.name
    # no variant mints: a value of the same length keeps the bytes equal
    return "v1." + "A" * 22 + "." + "A" * 22, None


def check_expect(inst, headers):
    exp = inst.v.get("expect", {})
    status, msg, body = probe(inst.port, headers)
    problems = []
    if "status" in exp and status != exp["status"]:
        problems.append("status %d, expected %d" % (status, exp["status"]))
    for name, rx in exp.get("headers", {}).items():
        values = msg.get_all(name) or []
        if rx is None:
            if values:
                problems.append("unexpected %s: %s" % (name, values))
        elif not any(re.search(rx, v) for v in values):
            problems.append("%s %s does not match %r" % (name, values, rx))
    if "body_size" in exp:
        want = int(subst(str(exp["body_size"]), inst.values))
        if len(body) != want:
            problems.append("body of %d bytes, expected %d"
                            % (len(body), want))
    for s in exp.get("body_contains", []):
        if subst(s, inst.values).encode() not in body:
            problems.append("body lacks %r" % s)
    for s in exp.get("body_lacks", []):
        if subst(s, inst.values).encode() in body:
            problems.append("body contains %r" % s)
    if problems:
        raise BenchError("%s: probe response is wrong: %s"
                         % (inst.name, "; ".join(problems)))
    return len(body)


# -- one wrk run --------------------------------------------------------

def other_load(cpus, seconds):
    """% of each core busy over a short sample (nothing of ours runs)."""
    k0 = core_busy(cpus)
    time.sleep(seconds)
    k1 = core_busy(cpus)
    return {c: ((k1[c][0] - k0[c][0]) / (k1[c][1] - k0[c][1]) * 100
                if k1[c][1] > k0[c][1] else 0.0) for c in cpus}


def wait_quiet(args):
    """Waits up to --quiet-wait seconds for both cores to be quiet."""
    cpus = {args.nginx_cpu, args.wrk_cpu}
    deadline = time.monotonic() + args.quiet_wait
    while True:
        load = other_load(cpus, 0.3)
        if max(load.values()) <= args.max_other:
            return True
        if time.monotonic() >= deadline:
            return False


def disturbance(res):
    return max(res["other_nginx_core"], res["other_wrk_core"] or 0.0)


def run_measured(inst, headers, seconds, args, script, logf):
    """One measured run, repeated while others disturbed it."""
    best = None
    for attempt in range(args.retries + 1):
        wait_quiet(args)
        res = run_wrk(inst, headers, seconds, args, script, logf)
        inst.check_worker()
        res["attempts"] = attempt + 1
        if best is None or disturbance(res) < disturbance(best):
            best = dict(res)
        if disturbance(res) <= args.max_other:
            break
        log("  %s: run disturbed (others used %.0f%% of a core)%s"
            % (inst.name, disturbance(res),
               ", again" if attempt < args.retries else ""))
    best["attempts"] = res["attempts"]
    best["disturbed"] = disturbance(best) > args.max_other
    return best


def run_wrk(inst, headers, seconds, args, script, logf):
    cmd = ["nice", "-n", str(args.nice),
           "taskset", "-c", str(args.wrk_cpu), "wrk", "-t1",
           "-c%d" % args.connections, "-d%ds" % seconds, "--latency",
           "--timeout", "5s", "-s", script]
    for k, v in headers.items():
        cmd += ["-H", "%s: %s" % (k, v)]
    cmd.append("http://127.0.0.1:%d/index.html" % inst.port)

    cpus = {args.nginx_cpu, args.wrk_cpu}
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    c0 = proc_cpu(inst.worker)
    k0 = core_busy(cpus)
    t0 = time.monotonic()
    r = subprocess.run(cmd, capture_output=True, text=True,
                       timeout=seconds + 30)
    t1 = time.monotonic()
    c1 = proc_cpu(inst.worker)
    k1 = core_busy(cpus)
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)

    logf.write("$ %s\n%s%s\n" % (" ".join(cmd), r.stdout, r.stderr))
    if r.returncode != 0:
        raise BenchError("%s: wrk failed (%d): %s"
                         % (inst.name, r.returncode, r.stderr.strip()))
    m = re.search(r"^OMNI_BENCH (\{.*\})$", r.stdout, re.M)
    if m is None:
        raise BenchError("%s: no figures in wrk output" % inst.name)
    w = json.loads(m.group(1))
    errors = sum(w[k] for k in w if k.startswith("err_"))
    if w["requests"] == 0 or errors:
        raise BenchError("%s: wrk saw %d requests and %d errors (%s)"
                         % (inst.name, w["requests"], errors,
                            {k: w[k] for k in w if k.startswith("err_")}))

    n = w["requests"]
    user_us = (c1[0] - c0[0]) * 1e6 / CLK_TCK
    sys_us = (c1[1] - c0[1]) * 1e6 / CLK_TCK
    wall = t1 - t0
    wrk_cpu = ((ru1.ru_utime - ru0.ru_utime)
               + (ru1.ru_stime - ru0.ru_stime))

    def other(cpu, ours_s):
        busy = (k1[cpu][0] - k0[cpu][0]) / CLK_TCK
        total = (k1[cpu][1] - k0[cpu][1]) / CLK_TCK
        return max(0.0, busy - ours_s) / total * 100 if total else 0.0

    worker_s = (user_us + sys_us) / 1e6
    res = {
        "variant": inst.name,
        "requests": n,
        "rps": n / (w["duration_us"] / 1e6),
        "p50_us": w["p50_us"], "p90_us": w["p90_us"], "p99_us": w["p99_us"],
        "mean_us": w["mean_us"], "max_us": w["max_us"],
        "cpu_us": (user_us + sys_us) / n,
        "user_us": user_us / n, "sys_us": sys_us / n,
        "run_cpu_us": ((c1[2] - c0[2]) / 1e3 / n
                       if c0[2] is not None else None),
        "worker_busy": worker_s / wall * 100,
        "wrk_busy": wrk_cpu / wall * 100,
        "other_nginx_core": other(args.nginx_cpu, worker_s),
        "other_wrk_core": (other(args.wrk_cpu, wrk_cpu)
                           if args.wrk_cpu != args.nginx_cpu else None),
        "wall_s": wall,
    }
    return res


def profile(inst, headers, args, script, logf):
    """perf record of the worker under load: top symbols to a text file."""
    data = os.path.join(args.run_dir, "perf-%s.data" % inst.name)
    out = os.path.join(args.out, "profile-%s.txt" % inst.name)
    rec = subprocess.Popen(
        ["perf", "record", "-q", "-F", "2999", "-p", str(inst.worker),
         "-o", data, "--", "sleep", str(args.seconds)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(0.3)
        res = run_wrk(inst, headers, args.seconds, args, script, logf)
        _, err = rec.communicate(timeout=args.seconds + 30)
    finally:
        if rec.poll() is None:
            rec.kill()
            rec.wait()
    if rec.returncode != 0:
        log("profile %s: perf record failed: %s" % (inst.name, err.strip()))
        return None

    def report(sort):
        r = subprocess.run(["perf", "report", "-i", data, "--stdio",
                            "--no-children", "--sort", sort, "-g", "none"],
                           capture_output=True, text=True, timeout=120)
        return [line for line in r.stdout.splitlines()
                if line.strip() and not line.startswith("#")]

    syms = report("dso,sym")
    dsos = report("dso")
    with open(out, "w") as f:
        f.write("# perf record -p <worker of %s> during a %d s wrk run\n"
                % (inst.name, args.seconds))
        f.write("\n# by object\n" + "\n".join(dsos[:15]))
        f.write("\n\n# the module and libcrypto\n"
                + "\n".join(line for line in syms
                             if "omni" in line or "libcrypto" in line))
        f.write("\n\n# top symbols\n" + "\n".join(syms[:60]) + "\n")

    share = {}
    for line in dsos:
        m = re.match(r"\s*([\d.]+)%\s+(\S+)", line)
        if m:
            share[m.group(2)] = float(m.group(1))
    return {"file": out, "cpu_us": res["cpu_us"], "share": share}


def send_requests(port, headers, n, size):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        for _ in range(n):
            c.request("GET", "/index.html", headers=headers)
            r = c.getresponse()
            body = r.read()
            # rewriting variants only ever add to the page
            if r.status != 200 or len(body) < size:
                raise BenchError("callgrind: status %d, %d bytes"
                                 % (r.status, len(body)))
    finally:
        c.close()


def callgrind_variant(inst, headers, args, size):
    """Instructions per request of one variant, and its module's share."""
    inst.write()
    try:
        inst.start()
        inst.wait_ready()
        send_requests(inst.port, headers, 100, size)        # warm-up
        for what in ("-z", "-d"):
            if what == "-d":
                send_requests(inst.port, headers, args.callgrind_requests,
                              size)
            r = subprocess.run(["callgrind_control", what,
                                str(inst.proc.pid)],
                               capture_output=True, text=True, timeout=60)
            if r.returncode != 0:
                raise BenchError("callgrind_control %s failed: %s"
                                 % (what, (r.stdout + r.stderr).strip()))
        dumps = sorted((f for f in os.listdir(inst.prefix)
                        if re.match(r"callgrind\.out\.\d+$", f)),
                       key=lambda f: int(f.rsplit(".", 1)[1]))
        if not dumps:
            raise BenchError("%s: no callgrind dump" % inst.name)
        dump = os.path.join(inst.prefix, dumps[-1])
    finally:
        inst.stop()

    with open(dump) as f:
        m = re.search(r"^summary:\s+(\d+)", f.read(), re.M)
    if m is None:
        raise BenchError("%s: no summary in %s" % (inst.name, dump))
    ir = int(m.group(1)) / args.callgrind_requests

    r = subprocess.run(["callgrind_annotate", "--inclusive=yes", dump],
                       capture_output=True, text=True, timeout=120)
    funcs = []
    for line in r.stdout.splitlines():
        m = re.match(r"\s*([\d,]+) \([\d. ]+%\)\s+(\S+):(\S+) \[(.*)\]$",
                     line)
        if m:
            funcs.append((int(m.group(1).replace(",", ""))
                          / args.callgrind_requests,
                          m.group(3), os.path.basename(m.group(4))))
    out = os.path.join(args.out, "callgrind-%s.txt" % inst.name)
    with open(out, "w") as f:
        f.write("# callgrind: inclusive instructions per request, %d "
                "requests of %s\n" % (args.callgrind_requests, inst.name))
        for ir_f, fn, obj in funcs[:80]:
            f.write("%10.0f  %s [%s]\n" % (ir_f, fn, obj))
    module = [(i, fn) for i, fn, obj in funcs
              if "omni" in obj or fn.startswith("omni_")]
    return {"ir": ir, "module": module[:12], "file": out}


# -- summary ------------------------------------------------------------

def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def spread(xs):
    """(max - min) / median, in percent."""
    m = med(xs)
    return (max(xs) - min(xs)) / m * 100 if m else 0.0


def summarize(names, rounds, baselines):
    by = {n: [r for rnd in rounds for r in rnd if r["variant"] == n]
          for n in names}
    summary = {}
    for n in names:
        rs = by[n]
        if not rs:
            continue
        s = {
            "runs": len(rs),
            "rps": med([r["rps"] for r in rs]),
            "rps_spread": spread([r["rps"] for r in rs]),
            "p50_us": med([r["p50_us"] for r in rs]),
            "p99_us": med([r["p99_us"] for r in rs]),
            "cpu_us": med([r["cpu_us"] for r in rs]),
            "cpu_min": min(r["cpu_us"] for r in rs),
            "cpu_max": max(r["cpu_us"] for r in rs),
            "cpu_spread": spread([r["cpu_us"] for r in rs]),
            "sys_share": med([r["sys_us"] / r["cpu_us"] * 100 for r in rs]),
            "user_us": med([r["user_us"] for r in rs]),
            "run_cpu_us": med([r["run_cpu_us"] for r in rs]),
            "worker_busy": med([r["worker_busy"] for r in rs]),
            "wrk_busy": med([r["wrk_busy"] for r in rs]),
            "other_nginx_core": med([r["other_nginx_core"] for r in rs]),
            "other_wrk_core": med([r["other_wrk_core"] for r in rs]),
            "disturbed": sum(1 for r in rs if r["disturbed"]),
            "repeated": sum(1 for r in rs if r["attempts"] > 1),
        }
        base = baselines.get(n)
        if base and base != n and base in by:
            s["baseline"] = base
            deltas, ratios = paired(rounds, n, base)
            if deltas:
                s.update({"pairs": len(deltas),
                          "cpu_delta_us": med(deltas),
                          "cpu_delta_min": min(deltas),
                          "cpu_delta_max": max(deltas),
                          "rps_ratio": med(ratios),
                          "rps_ratio_min": min(ratios),
                          "rps_ratio_max": max(ratios)})
        summary[n] = s
    return summary


def paired(rounds, n, base):
    """Per round: CPU delta and req/s ratio of n over its baseline."""
    deltas, ratios = [], []
    for rnd in rounds:
        a = [r for r in rnd if r["variant"] == n]
        b = [r for r in rnd if r["variant"] == base]
        if a and b:
            deltas.append(a[0]["cpu_us"] - b[0]["cpu_us"])
            ratios.append(a[0]["rps"] / b[0]["rps"])
    return deltas, ratios


def undisturbed(names, rounds, baselines, need):
    """The rounds without disturbed runs, if each variant keeps enough."""
    clean = [[r for r in rnd if not r["disturbed"]] for rnd in rounds]
    for n in names:
        if sum(1 for rnd in clean for r in rnd if r["variant"] == n) < need:
            return None
        base = baselines.get(n)
        if (base and base != n and base in names
                and len(paired(clean, n, base)[0]) < need):
            return None
    return clean


def fmt(x, f="%.2f"):
    return "-" if x is None else f % x


def render_callgrind(args, names, summary, cg):
    L = ["## Instructions per request (callgrind)", ""]
    L.append("Each variant once more as a single nginx process under "
             "valgrind --tool=callgrind: %d sequential keep-alive requests "
             "(after 100 of warm-up), user-space instructions only (the "
             "kernel's TCP work is not counted). Deterministic: other load "
             "does not change it. Crypto runs a generic code path under "
             "valgrind (no SHA extensions), so HMAC costs more "
             "instructions here than natively; the micro benchmark has "
             "the native figure." % args.callgrind_requests)
    L.append("")
    L.append("| variant | instructions/req | delta | est. us/req | module "
             "functions (inclusive instructions/req) |")
    L.append("|---|---:|---:|---:|---|")
    for n in names:
        if n not in cg:
            continue
        base = summary[n].get("baseline")
        delta, est = "-", "-"
        if base in cg and base != n:
            d = cg[n]["ir"] - cg[base]["ir"]
            delta = "%+.0f" % d
            # at the baseline's measured user-space speed
            if summary[base].get("user_us"):
                est = "%+.2f" % (d * summary[base]["user_us"]
                                 / cg[base]["ir"])
        mod = ", ".join("%s %.0f" % (fn, i) for i, fn in cg[n]["module"][:6])
        L.append("| %s | %.0f | %s | %s | %s |"
                 % (n, cg[n]["ir"], delta, est, mod or "-"))
    L.append("")
    L.append("est. us/req: the delta in instructions at the speed the "
             "baseline's worker ran user space in the wrk runs (user "
             "us/req / instructions/req). Full listings: "
             "build/bench/callgrind-VARIANT.txt.")
    L.append("")
    return L


def render_profiles(names, profiles):
    L = ["## Where the worker's time goes (perf, BENCH_PROFILE)", ""]
    L.append("Share of the worker's samples per object during one more "
             "wrk run, times that run's CPU per request. Sampling within "
             "one process at one time: other load slows every part alike, "
             "so the split holds even when the totals are noisy. The nginx "
             "functions the module calls (cookie parsing, allocation) count "
             "under nginx.")
    L.append("")
    L.append("| variant | CPU us/req | kernel | nginx | libc | module | "
             "libcrypto | module + libcrypto us/req |")
    L.append("|---|---:|---:|---:|---:|---:|---:|---:|")
    for n in names:
        if n not in profiles:
            continue
        p = profiles[n]
        sh = p["share"]

        def pick(key):
            return sum(v for k, v in sh.items() if key in k)

        mod, crypto = pick("omni"), pick("libcrypto")
        L.append("| %s | %.2f | %.1f%% | %.1f%% | %.1f%% | %.2f%% | %.2f%% "
                 "| %.2f |"
                 % (n, p["cpu_us"], pick("kernel"), sh.get("nginx", 0.0),
                    pick("libc.so"), mod, crypto,
                    (mod + crypto) / 100 * p["cpu_us"]))
    L.append("")
    return L


def render(args, names, variants, summary, meta, micro, cg, profiles):
    L = []
    L.append("# ngx_omni_module benchmark report")
    L.append("")
    L.append("%s, %s" % (meta["date"], meta["host"]))
    L.append("")
    L.append("- nginx %s, one worker per variant pinned to core %d; wrk "
             "(1 thread, %d connections) pinned to core %d"
             % (meta["nginx_version"], args.nginx_cpu, args.connections,
                args.wrk_cpu))
    L.append("- page: %d bytes of HTML served as a static file "
             "(sendfile on, access_log off)" % meta["page_size"])
    L.append("- %d rounds x %d variants x %d s, order rotated each round, "
             "%s, %d s warm-up; figures are medians over the rounds; "
             "deltas and ratios are paired per round, then the median is "
             "taken"
             % (args.rounds, len(names), args.seconds,
                "fresh nginx processes each round" if args.restart
                else "the same nginx processes throughout", args.warmup))
    L.append("- CPU: the worker's utime+stime from /proc/PID/stat over "
             "the run, divided by the requests wrk completed (user: the "
             "utime part alone, where the module works; the kernel's share "
             "is the loopback TCP and sendfile)")
    if args.nice:
        L.append("- nginx and wrk ran at nice %d" % args.nice)
    L.append("- load average before/after: %s / %s; CPU: %s"
             % (meta["load_before"], meta["load_after"], meta["cpu_model"]))
    L.append("")
    L.append("| variant | req/s | ratio | p50 ms | p99 ms | CPU us/req "
             "| delta us/req | CPU min..max | user us/req | worker busy % "
             "| wrk busy % |")
    L.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in names:
        s = summary[n]
        ratio = fmt(s.get("rps_ratio"), "%.3f")
        delta = ("%+.2f (%+.2f..%+.2f)" % (s["cpu_delta_us"],
                                          s["cpu_delta_min"],
                                          s["cpu_delta_max"])
                 if "cpu_delta_us" in s else "-")
        L.append("| %s | %.0f | %s | %.3f | %.3f | %.2f | %s | %.2f..%.2f "
                 "| %.2f | %.0f | %.0f |"
                 % (n, s["rps"], ratio, s["p50_us"] / 1000,
                    s["p99_us"] / 1000, s["cpu_us"], delta, s["cpu_min"],
                    s["cpu_max"], s["user_us"], s["worker_busy"],
                    s["wrk_busy"]))
    L.append("")
    L.append("Variants:")
    L.append("")
    for n in names:
        L.append("- **%s**: %s (baseline: %s)"
                 % (n, variants[n]["about"],
                    summary[n].get("baseline", "-")))
    L.append("")
    L.append("Noise, over all runs: spread (max-min)/median of CPU us/req "
             + ", ".join("%s %.1f%%" % (n, summary[n]["all_cpu_spread"])
                         for n in names)
             + "; of req/s "
             + ", ".join("%s %.1f%%" % (n, summary[n]["all_rps_spread"])
                         for n in names) + ".")
    L.append("Other load during the runs (median %% of the core used by "
             "others than the worker, resp. wrk, under test): nginx core "
             "%s; wrk core %s."
             % (", ".join("%s %s%%" % (n, fmt(summary[n]
                                               ["all_other_nginx_core"],
                                               "%.1f")) for n in names),
                ", ".join("%s %s%%" % (n, fmt(summary[n]["all_other_wrk_core"],
                                               "%.1f")) for n in names)))
    L.append("Runs repeated because others used more than %d%% of a core: "
             "%s; still disturbed after %d retries (kept, counted in the "
             "medians): %s."
             % (args.max_other,
                ", ".join("%s %d" % (n, summary[n]["all_repeated"])
                          for n in names), args.retries,
                ", ".join("%s %d/%d" % (n, summary[n]["all_disturbed"],
                                        summary[n]["all_runs"])
                          for n in names)))
    L.append("Figures above are medians over %s." % meta["basis"])
    L.append("")
    verdicts = []
    for n in names:
        target = variants[n].get("target_us")
        if target is not None and "cpu_delta_us" in summary[n]:
            d = summary[n]["cpu_delta_us"]
            verdicts.append("%s adds %.2f us of worker CPU per request over "
                            "%s (target <= %.2f us: %s)"
                            % (n, d, summary[n]["baseline"], target,
                               "met" if d <= target else "MISSED"))
    if verdicts:
        L.append("Targets: " + "; ".join(verdicts) + "."
                 + ("" if meta["basis"].startswith("undisturbed") else
                    " Rough: the machine was busy (see the instruction "
                    "counts below for a figure load cannot move)."))
        L.append("")
    if cg:
        L += render_callgrind(args, names, summary, cg)
    if profiles:
        L += render_profiles(names, profiles)
    if micro:
        L.append("## Microbenchmark (make bench-micro)")
        L.append("")
        L.append("```")
        L.append(micro.rstrip())
        L.append("```")
        L.append("")
    L.append("Command: `make bench` (BENCH_ROUNDS=%d BENCH_SECONDS=%d "
             "BENCH_CONNECTIONS=%d BENCH_VARIANTS=%s)"
             % (args.rounds, args.seconds, args.connections,
                ",".join(names)))
    return "\n".join(L) + "\n"


def nginx_version(nginx):
    r = subprocess.run([nginx, "-v"], capture_output=True, text=True)
    m = re.search(r"nginx/(\S+)", r.stderr)
    return m.group(1) if m else "?"


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


# -- main ---------------------------------------------------------------

def main():
    args = parse_args()

    # nginx reads NGINX as the list of sockets inherited from an old
    # binary (binary upgrade); make exports it as the path of nginx
    os.environ.pop("NGINX", None)
    table = {v["name"]: v for v in variant_table.VARIANTS}
    if args.list:
        for v in variant_table.VARIANTS:
            print("%-16s %s" % (v["name"], v["about"]))
        return 0

    names = [n.strip() for n in args.variants.split(",") if n.strip()]
    unknown = [n for n in names if n not in table]
    if unknown or not names:
        raise BenchError("unknown variants %s; known: %s"
                         % (unknown, ", ".join(table)))
    if len(set(names)) != len(names):
        raise BenchError("a variant is listed twice")
    baselines = {n: table[n].get("baseline", "plain") for n in names}

    for tool in ("wrk", "taskset"):
        if subprocess.run(["sh", "-c", "command -v " + tool],
                          capture_output=True).returncode != 0:
            raise BenchError("%s is not installed (make deps)" % tool)
    ncpu = os.cpu_count() or 1
    for c in (args.nginx_cpu, args.wrk_cpu):
        if c >= ncpu:
            raise BenchError("core %d does not exist (%d cores)" % (c, ncpu))
    if args.nginx_cpu == args.wrk_cpu:
        log("warning: nginx and wrk share core %d" % args.wrk_cpu)

    os.makedirs(args.out, exist_ok=True)
    os.chmod(args.run_dir, 0o755)
    root = os.path.join(args.run_dir, "html")
    os.makedirs(root, exist_ok=True)
    os.chmod(root, 0o755)
    body = page.generate()
    with open(os.path.join(root, "index.html"), "wb") as f:
        f.write(body)
    os.chmod(os.path.join(root, "index.html"), 0o644)

    secret = os.path.join(args.run_dir, "omni.secret")
    r = subprocess.run([args.omnictl, "gen-secret", secret],
                       capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        raise BenchError("omnictl gen-secret failed: " + r.stderr.strip())

    instances = [Instance(table[n], args.port + i, args, args.run_dir, root,
                          secret, len(body))
                 for i, n in enumerate(names)]
    by_name = {i.name: i for i in instances}

    def on_signal(signum, frame):
        raise Interrupted()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    meta = {"date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
            "host": "%s, %d cores, Linux %s" % (platform.node(), ncpu,
                                                platform.release()),
            "nginx_version": nginx_version(args.nginx),
            "cpu_model": cpu_model(), "page_size": len(body),
            "load_before": loadavg()}

    logpath = os.path.join(args.out, "wrk.log")
    script = os.path.join(args.run_dir, "report.lua")
    with open(script, "w") as f:
        f.write(WRK_SCRIPT)

    rounds = []
    profiles = {}
    cg_instances = []
    try:
        for inst in instances:
            inst.write()
            inst.test()
        for inst in instances:
            inst.start()
        for inst in instances:
            inst.wait_ready()
        log("nginx up: " + ", ".join("%s :%d worker %d"
                                     % (i.name, i.port, i.worker)
                                     for i in instances))

        visitor, source = find_visitor_cookie(instances)
        log("visitor cookie from %s" % (source or "nowhere (placeholder)"))
        headers = {i.name: request_headers(i.v, visitor) for i in instances}
        for inst in instances:
            check_expect(inst, headers[inst.name])

        warm = args.warmup * len(names) * (args.rounds if args.restart else 1)
        total = warm + args.rounds * len(names) * args.seconds
        worst = (warm + args.rounds * len(names) * (args.retries + 1)
                 * (args.seconds + args.quiet_wait + 1))
        log("running %d rounds x %d variants x %d s (about %d s, at most "
            "%d s on a busy machine)"
            % (args.rounds, len(names), args.seconds, total, worst))

        with open(logpath, "w") as logf:
            for rnd in range(args.rounds):
                if args.restart and rnd > 0:
                    # fresh processes: a new address-space layout each round
                    for inst in instances:
                        inst.stop()
                    for inst in instances:
                        inst.start()
                    for inst in instances:
                        inst.wait_ready()
                if args.warmup and (args.restart or rnd == 0):
                    for inst in instances:
                        run_wrk(inst, headers[inst.name], args.warmup, args,
                                script, logf)
                k = rnd % len(names)
                order = names[k:] + names[:k]
                results = []
                for n in order:
                    inst = by_name[n]
                    res = run_measured(inst, headers[n], args.seconds, args,
                                       script, logf)
                    res["round"] = rnd
                    results.append(res)
                    log("round %d %-14s %7.0f req/s  p50 %5.3f ms  "
                        "p99 %5.3f ms  cpu %6.2f us/req  busy nginx %3.0f%% "
                        "wrk %3.0f%%  other %4.1f%% %4.1f%%"
                        % (rnd + 1, n, res["rps"], res["p50_us"] / 1000,
                           res["p99_us"] / 1000, res["cpu_us"],
                           res["worker_busy"], res["wrk_busy"],
                           res["other_nginx_core"],
                           res["other_wrk_core"] or 0))
                rounds.append(results)

            wanted = [p.strip() for p in args.profile.split(",") if p.strip()]
            if wanted and subprocess.run(["sh", "-c", "command -v perf"],
                                         capture_output=True).returncode:
                log("profile: perf is not installed, skipped")
                wanted = []
            for n in wanted:
                if n not in by_name:
                    log("profile: %s is not among the variants run" % n)
                    continue
                prof = profile(by_name[n], headers[n], args, script, logf)
                if prof:
                    profiles[n] = prof
                    log("profile: %s" % prof["file"])
    finally:
        for inst in instances:
            inst.stop()

    cg = {}
    if args.callgrind:
        if subprocess.run(["sh", "-c", "command -v valgrind"],
                          capture_output=True).returncode != 0:
            log("callgrind: valgrind is not installed, skipped")
        else:
            log("callgrind: %d requests per variant under valgrind"
                % args.callgrind_requests)
            for i, n in enumerate(names):
                inst = Instance(table[n], args.port + 50 + i, args,
                                args.run_dir, root, secret, len(body),
                                callgrind=True)
                cg_instances.append(inst)
                cg[n] = callgrind_variant(inst, headers[n], args, len(body))
                log("callgrind %-14s %8.0f instructions/request"
                    % (n, cg[n]["ir"]))

    problems = []
    for inst in instances + cg_instances:
        problems += ["%s: %s" % (inst.name, p)
                     for p in inst.error_log_problems()]
    if problems:
        raise BenchError("errors in the nginx logs:\n" + "\n".join(problems))

    meta["load_after"] = loadavg()
    summary_all = summarize(names, rounds, baselines)
    clean = undisturbed(names, rounds, baselines, min(3, args.rounds))
    if clean is not None:
        summary = summarize(names, clean, baselines)
        meta["basis"] = ("undisturbed runs only: %d of %d"
                         % (sum(len(r) for r in clean),
                            sum(len(r) for r in rounds)))
    else:
        summary = summary_all
        meta["basis"] = ("all %d runs: too few undisturbed ones, the machine "
                         "was busy; treat the figures as rough"
                         % sum(len(r) for r in rounds))
    for n in names:
        for k in ("disturbed", "repeated", "runs", "cpu_spread",
                  "rps_spread", "other_nginx_core", "other_wrk_core"):
            summary[n]["all_" + k] = summary_all[n][k]

    micro = None
    micro_path = os.path.join(args.out, "micro.txt")
    if os.path.exists(micro_path):
        with open(micro_path) as f:
            micro = f.read()

    report = render(args, names, table, summary, meta, micro, cg, profiles)
    with open(os.path.join(args.out, "report.md"), "w") as f:
        f.write(report)
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump({"meta": meta, "settings": vars(args), "summary": summary,
                   "callgrind": cg, "profiles": profiles,
                   "summary_all_runs": summary_all, "rounds": rounds},
                  f, indent=1)
    print(report)
    log("report: %s" % os.path.join(args.out, "report.md"))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as e:
        log("bench: %s" % e)
        sys.exit(1)
    except Interrupted:
        log("bench: interrupted, nginx stopped")
        sys.exit(130)
    except subprocess.TimeoutExpired as e:
        log("bench: timed out: %s" % e)
        sys.exit(1)
