"""The profile store under load and across workers.

A profiles snapshot built elsewhere (omnictl import + omnictl snapshot)
and shipped the documented way (copy under a temporary name, rename over
data.mdb) while wrk hammers nginx: every worker picks each one up without
a reload, no request fails, no request goes without a profile, and no
worker keeps a replaced file mapped.
"""

import os
import pwd
import re
import shutil
import subprocess
import tempfile
import time

import omnitest


HTTP_CONFIG = """
omni_secret %%SECRET%%;
omni_store %%DATA%%/store;
omni_store_check 200ms;
"""

CONFIG = """
location / {
    omni on;
    add_header X-Name "[$omni_profile_first_name]";
    return 200 "hello\\n";
}
"""

# counts the names seen, across wrk's threads
WRK_SCRIPT = """
local threads = {}

function setup(thread)
    table.insert(threads, thread)
end

function init(args)
    ann, bea, other, bad = 0, 0, 0, 0
end

function response(status, headers, body)
    if status ~= 200 then
        bad = bad + 1
    end
    local name = headers["X-Name"]
    if name == "[Ann]" then
        ann = ann + 1
    elseif name == "[Bea]" then
        bea = bea + 1
    else
        other = other + 1
    end
end

function done(summary, latency, requests)
    local a, b, o, x = 0, 0, 0, 0
    for _, t in ipairs(threads) do
        a = a + t:get("ann")
        b = b + t:get("bea")
        o = o + t:get("other")
        x = x + t:get("bad")
    end
    io.write(string.format(
        "RESULT requests=%d ann=%d bea=%d other=%d bad=%d connect=%d "
        .. "read=%d write=%d timeout=%d status=%d\\n",
        summary.requests, a, b, o, x, summary.errors.connect,
        summary.errors.read, summary.errors.write, summary.errors.timeout,
        summary.errors.status))
end
"""


def worker_user_dir(path):
    """A directory the workers (nobody) may write: the activity store."""
    os.makedirs(path, exist_ok=True)
    nobody = pwd.getpwnam("nobody")
    os.chown(path, nobody.pw_uid, nobody.pw_gid)


def omnictl(*args, input=None):
    p = subprocess.run([omnitest.OMNICTL] + list(args), input=input,
                       capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        raise omnitest.Failure("omnictl %s: %s" % (" ".join(args),
                                                   p.stderr))
    return p.stdout


def build_snapshot(workdir, name, n=50000):
    """The profiles of another machine: n customers, C1 named name."""
    store = os.path.join(workdir, "crm-" + name)
    lines = ['{"customer_id": "C%d", "first_name": "N%d"}' % (i, i)
             for i in range(n) if i != 1]
    lines.append('{"customer_id": "C1", "first_name": "%s"}' % name)
    omnictl("import", "--store", store, "-", input="\n".join(lines) + "\n")
    snap = os.path.join(workdir, name + ".mdb")
    omnictl("snapshot", "--store", store, snap)
    return snap


def ship(snap, store):
    """The documented procedure: a temporary name, then rename()."""
    profiles = os.path.join(store, "profiles")
    os.makedirs(profiles, exist_ok=True)
    tmp = os.path.join(profiles, ".data.mdb.incoming")
    shutil.copyfile(snap, tmp)
    os.rename(tmp, os.path.join(profiles, "data.mdb"))


def wait_for_name(ngx, cookie, want, timeout=5):
    deadline = time.time() + timeout
    got = None
    while time.time() < deadline:
        got = ngx.get("/", headers=[("Cookie", cookie)]).header("X-Name")
        if got == want:
            return
        time.sleep(0.05)
    raise omnitest.Failure("X-Name is %r, expected %r" % (got, want))


def bad_log_lines(ngx):
    return [l for l in ngx.log().splitlines()
            if re.search(r"\[(alert|crit|emerg|error)\]", l)]


def test_snapshot_swap_under_load():
    ngx = omnitest.Nginx("store-swap", workers=2)
    work = tempfile.mkdtemp(prefix="omni-e2e-crm-")
    failed = True
    wrk = None
    try:
        store = os.path.join(ngx.vars["DATA"], "store")
        worker_user_dir(store)
        ngx.write_conf(CONFIG, HTTP_CONFIG)

        ann = build_snapshot(work, "Ann")
        bea = build_snapshot(work, "Bea")
        ship(ann, store)

        ngx.start()

        r = ngx.get("/")
        m = re.match(r"omni=(v1\.[^;]+)", r.header("Set-Cookie", ""))
        if not m:
            raise omnitest.Failure("no visitor cookie: %s" % r)
        cookie = "omni=" + m.group(1)
        omnictl("link", "--store", store, m.group(1), "C1")
        wait_for_name(ngx, cookie, "[Ann]")

        script = os.path.join(work, "count.lua")
        with open(script, "w") as f:
            f.write(WRK_SCRIPT)

        wrk = subprocess.Popen(
            ["wrk", "-t2", "-c32", "-d6s", "--timeout", "2s",
             "-H", "Cookie: " + cookie, "-s", script,
             "http://127.0.0.1:%d/" % ngx.port],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

        # five swaps under load, a second apart
        time.sleep(0.5)
        for snap in (bea, ann, bea, ann, bea):
            ship(snap, store)
            time.sleep(1.0)

        out, _ = wrk.communicate(timeout=30)
        wrk = None

        m = re.search(r"RESULT (.*)", out)
        if not m:
            raise omnitest.Failure("no wrk result:\n" + out)
        print("    wrk under 5 swaps: " + m.group(1))
        res = dict(kv.split("=") for kv in m.group(1).split())
        res = {k: int(v) for k, v in res.items()}

        for k in ("bad", "connect", "read", "write", "timeout", "status",
                  "other"):
            if res[k] != 0:
                raise omnitest.Failure("%s=%d under swaps:\n%s"
                                       % (k, res[k], out))
        if res["ann"] == 0 or res["bea"] == 0 or res["requests"] < 1000:
            raise omnitest.Failure("the swaps were not seen:\n" + out)

        wait_for_name(ngx, cookie, "[Bea]")

        # the start (one line for all workers), then each worker per swap
        opened = ngx.log().count("omni: profiles store opened")
        if opened != 1 + 2 * 5:
            raise omnitest.Failure("%d opens logged, expected 11" % opened)

        # no worker keeps a replaced file mapped
        for pid in ngx.worker_pids():
            with open("/proc/%d/maps" % pid) as f:
                maps = [l for l in f if "profiles/" in l]
            if len(maps) != 1 or "(deleted)" in maps[0]:
                raise omnitest.Failure("worker %d maps:\n%s"
                                       % (pid, "".join(maps)))

        bad = bad_log_lines(ngx)
        if bad:
            raise omnitest.Failure("error log:\n" + "\n".join(bad))

        ngx.stop()
        failed = False

    finally:
        if wrk is not None:
            wrk.kill()
            wrk.wait()
        ngx.kill()
        ngx.cleanup(failed)
        shutil.rmtree(work, ignore_errors=True)


def test_one_line_per_cause():
    """Four workers, no store: one warning and one error, not four."""
    ngx = omnitest.Nginx("store-lines", workers=4)
    failed = True
    try:
        ngx.write_conf(CONFIG, HTTP_CONFIG)
        ngx.start()

        for _ in range(8):
            r = ngx.get("/")
            if r.status != 200 or r.header("X-Name") != "[]":
                raise omnitest.Failure("unexpected response:\n%s" % r)

        time.sleep(0.5)
        log = ngx.log()
        warn = log.count("pages are served without profiles")
        err = log.count("omni: tracking is disabled")
        if warn != 1 or err != 1:
            raise omnitest.Failure("%d warnings and %d errors, expected 1 "
                                   "each:\n%s" % (warn, err, log))

        ngx.stop()
        failed = False

    finally:
        ngx.kill()
        ngx.cleanup(failed)
