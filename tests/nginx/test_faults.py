"""Faults: what breaks around the module must not break the site.

Every case puts nginx with the module under a fault and checks the same
four things (check()):

- no 5xx: every request is answered below 500 (access log);
- no crashed worker: no "exited on signal" in the error log (except the
  worker a case kills itself);
- one clear log line: the fault is named once (rate-limited lines), and no
  [alert]/[crit]/[emerg] appears that the case does not expect;
- no committed data lost: what the store held before the fault reads back
  after it (records of known visitors, exact counts where they can be
  exact).

Loopback only, each case bounded in time.  The disk-full case mounts a
small tmpfs (the tests run as root); it is skipped, saying so, only when
mount(8) is refused.
"""

import base64
import hashlib
import hmac
import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import threading
import time

import omnitest


HTTP = """
omni_secret %%SECRET%%;
omni_store %%DATA%%/store@MAP@;
omni_store_check 100ms;
omni_flush_interval 50ms;
log_format st '$status $request_uri';
access_log %%PREFIX%%/logs/status.log st;
"""

CONFIG = """
location / {
    omni on;
    add_header X-Customer "[$omni_customer]";
    add_header X-Name "[$omni_profile_first_name]";
    default_type text/html;
    return 200 "<html><body>page</body></html>\\n";
}
location = /omni/beacon {
    omni on;
    omni_beacon;
}
"""

UPSTREAM = """
location /up/ {
    omni on;
    omni_track view ^/up/p/([A-Za-z0-9-]+)\\.html$ item=$1;
    proxy_pass http://127.0.0.1:%%UPSTREAM_PORT%%/;
}
"""

HOLD = os.path.join(omnitest.ROOT, "build", "lmdb-hold")


# ------------------------------------------------------------- helpers


def start(name, workers=1, map_size="", http_extra="", config_extra="",
          main_config="", upstream=False, store_dir=True):
    ngx = omnitest.Nginx(name, workers=workers)
    if upstream:
        up = omnitest.Upstream(ngx.vars["HTML"])
        ngx.upstreams.append(up)
        ngx.vars["UPSTREAM_PORT"] = str(up.port)
    if store_dir:
        worker_dir(store(ngx))
    ngx.write_conf(CONFIG + config_extra + (UPSTREAM if upstream else ""),
                   HTTP.replace("@MAP@", map_size) + http_extra,
                   main_config)
    ngx.start()
    return ngx


def store(ngx):
    return os.path.join(ngx.vars["DATA"], "store")


def worker_dir(path):
    """A directory the workers (nobody) may write."""
    os.makedirs(path, exist_ok=True)
    nobody = pwd.getpwnam("nobody")
    os.chown(path, nobody.pw_uid, nobody.pw_gid)


def secret_key(ngx):
    with open(ngx.vars["SECRET"], "rb") as f:
        return f.read().rstrip()


def b64(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def new_vid():
    return b64(os.urandom(16))


def cookie(ngx, vid):
    """The visitor cookie the module would have minted for vid."""
    signed = ("v1." + vid).encode()
    mac = hmac.new(secret_key(ngx), signed, hashlib.sha256).digest()[:16]
    return "omni=%s.%s" % (signed.decode(), b64(mac))


def omnictl(ngx, *args, input=None, ok=True):
    p = ngx.omnictl(*args, input=input)
    if ok and p.returncode != 0:
        raise omnitest.Failure("omnictl %s: %d %s"
                               % (" ".join(args), p.returncode, p.stderr))
    return p


def populate(ngx, n):
    """n customers with a profile, each linked to a visitor: the visitor
    ids, in customer order."""
    lines = ['{"customer_id": "C%d", "first_name": "N%d"}' % (i, i)
             for i in range(n)]
    omnictl(ngx, "import", "--store", store(ngx), "-",
            input="\n".join(lines) + "\n")
    vids = [new_vid() for _ in range(n)]
    omnictl(ngx, "link", "--store", store(ngx), "-",
            input="".join("%s C%d\n" % (v, i) for i, v in enumerate(vids)))
    return vids


def totals(ngx):
    p = omnictl(ngx, "activity", "--store", store(ngx), "--totals")
    return json.loads(p.stdout)


def visitor(ngx, vid):
    p = omnictl(ngx, "get", "--store", store(ngx), "--visitor", vid,
                ok=False)
    return json.loads(p.stdout) if p.returncode == 0 else None


def statuses(ngx):
    counts = {}
    try:
        with open(os.path.join(ngx.prefix, "logs", "status.log")) as f:
            for line in f:
                code = line.split(" ", 1)[0]
                counts[code] = counts.get(code, 0) + 1
    except OSError:
        pass
    return counts


def check(ngx, killed=(), allow=(), once=()):
    """The four promises: no 5xx, no crashed worker, no unexpected line
    of [alert] or worse, and each pattern of once at least once but never
    more than once per worker and 10 s."""
    codes = statuses(ngx)
    bad = {c: n for c, n in codes.items() if c.startswith("5")}
    if bad:
        raise omnitest.Failure("5xx answers: %r" % codes)

    log = ngx.log()
    for line in log.splitlines():
        m = re.search(r"worker process (\d+) exited on signal (\d+)", line)
        if m and int(m.group(1)) not in killed:
            raise omnitest.Failure("a worker crashed:\n" + line)
        if re.search(r"\[(alert|crit|emerg)\]", line) \
                and not any(re.search(a, line) for a in allow):
            raise omnitest.Failure("unexpected line:\n" + line)

    for pat in once:
        n = len(re.findall(pat, log))
        if n == 0:
            raise omnitest.Failure("the log never says %r:\n%s"
                                   % (pat, ngx.log_tail(40)))
        if n > int(ngx.workers) * 3:
            raise omnitest.Failure("%d lines %r: not rate-limited" % (n, pat))


def get(ngx, path="/", vid=None, ngx_cookie=None, timeout=10):
    headers = []
    if vid is not None:
        headers.append(("Cookie", cookie(ngx, vid)))
    elif ngx_cookie is not None:
        headers.append(("Cookie", ngx_cookie))
    return ngx.request(omnitest.build_request("GET", path, headers),
                       timeout=timeout)


def expect_names(ngx, vids, first, want=None):
    """Each visitor's page shows their profile's name (or want)."""
    for i, vid in enumerate(vids):
        r = get(ngx, vid=vid)
        name = want if want is not None else "[N%d]" % (first + i)
        if r.status != 200 or r.header("X-Name") != name:
            raise omnitest.Failure("visitor %d: %d %r, expected %r\n%s"
                                   % (first + i, r.status,
                                      r.header("X-Name"), name,
                                      ngx.log_tail()))


class Load:
    """Threads sending GET / as returning visitors until stopped; counts
    answers by status and transport errors."""

    def __init__(self, ngx, vids, threads=4, path="/"):
        self.ngx = ngx
        self.vids = vids
        self.path = path
        self.stop_flag = threading.Event()
        self.codes = {}
        self.errors = 0
        self.names = {}
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.run, args=(t,))
                        for t in range(threads)]

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop_flag.set()
        for t in self.threads:
            t.join(30)

    def run(self, t):
        i = t
        while not self.stop_flag.is_set():
            vid = self.vids[i % len(self.vids)]
            i += len(self.threads)
            try:
                r = get(self.ngx, self.path, vid=vid)
            except (OSError, omnitest.Failure):
                with self.lock:
                    self.errors += 1
                continue
            with self.lock:
                self.codes[r.status] = self.codes.get(r.status, 0) + 1
                n = r.header("X-Name")
                self.names[n] = self.names.get(n, 0) + 1

    def total(self):
        return sum(self.codes.values())

    def assert_clean(self):
        if self.errors or set(self.codes) - {200}:
            raise omnitest.Failure("under load: %r, %d transport errors"
                                   % (self.codes, self.errors))


def wait_log(ngx, pattern, timeout=5):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if re.search(pattern, ngx.log()):
            return
        time.sleep(0.05)
    raise omnitest.Failure("the log never says %r:\n%s"
                           % (pattern, ngx.log_tail(40)))


def case(name, **kw):
    """Runs body(ngx) with nginx started; stops, checks and cleans up."""
    def wrap(body):
        def run():
            ngx = start(name, **kw)
            failed = True
            try:
                body(ngx)
                failed = False
            finally:
                ngx.kill()
                ngx.cleanup(failed)
        run.__name__ = body.__name__
        run.__doc__ = body.__doc__
        return run
    return wrap


def wrk(ngx, seconds, path="/", headers=(), threads=2, connections=16):
    """wrk, in the background: (process, output file)."""
    out = os.path.join(ngx.prefix, "wrk.out")
    args = ["wrk", "-t%d" % threads, "-c%d" % connections,
            "-d%ds" % seconds, "--timeout", "5s"]
    for h in headers:
        args += ["-H", h]
    args.append("http://127.0.0.1:%d%s" % (ngx.port, path))
    f = open(out, "w")
    p = subprocess.Popen(args, stdout=f, stderr=subprocess.STDOUT)
    f.close()
    return p, out


def wrk_result(p, out, seconds):
    p.wait(seconds + 30)
    with open(out) as f:
        text = f.read()
    m = re.search(r"(\d+) requests in", text)
    if not m:
        raise omnitest.Failure("wrk:\n" + text)
    res = {"requests": int(m.group(1)), "non2xx": 0, "errors": 0,
           "text": text}
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    if m:
        res["non2xx"] = int(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), "
                  r"timeout (\d+)", text)
    if m:
        res["errors"] = sum(int(x) for x in m.groups())
    return res


# -------------------------------------------------------- store files


@case("fault-profiles-removed")
def test_profiles_removed_and_restored_under_traffic(ngx):
    """The profiles file is removed while pages are served, then put
    back: pages never fail, go without profiles meanwhile, and the
    visitors' activity (committed) is untouched."""
    vids = populate(ngx, 50)
    time.sleep(0.4)
    expect_names(ngx, vids[:5], 0)

    keep = os.path.join(ngx.prefix, "profiles.keep")
    with Load(ngx, vids) as load:
        time.sleep(0.3)
        os.rename(os.path.join(store(ngx), "profiles", "data.mdb"), keep)
        wait_log(ngx, r"omni: profiles store removed")
        time.sleep(0.3)
        expect_names(ngx, vids[:5], 0, want="[]")
        shutil.copyfile(keep, os.path.join(store(ngx), "profiles",
                                           ".incoming"))
        os.rename(os.path.join(store(ngx), "profiles", ".incoming"),
                  os.path.join(store(ngx), "profiles", "data.mdb"))
        time.sleep(0.4)
    load.assert_clean()
    expect_names(ngx, vids[:5], 0)

    ngx.stop()
    if totals(ngx)["linked"] != 50:
        raise omnitest.Failure("links lost: %r" % totals(ngx))
    check(ngx, once=[r"omni: profiles store removed"])


@case("fault-unreadable", store_dir=False)
def test_unreadable_store_files(ngx):
    """Store files the workers may not read: an activity file of root's
    with mode 0600 and a profiles file of mode 0000 give one line each
    and unpersonalized pages; made readable, they are used without a
    reload, and nothing in them was lost."""
    ngx.stop()
    worker_dir(store(ngx))
    vids = populate(ngx, 20)
    act = os.path.join(store(ngx), "activity")
    for f in os.listdir(act):
        os.chown(os.path.join(act, f), 0, 0)
        os.chmod(os.path.join(act, f), 0o600)
    os.chown(act, 0, 0)
    os.chmod(act, 0o700)
    prof = os.path.join(store(ngx), "profiles", "data.mdb")
    os.chmod(prof, 0o000)

    ngx.start()
    time.sleep(0.3)
    expect_names(ngx, vids[:3], 0, want="[]")
    for vid in vids[:3]:
        if get(ngx, vid=vid).header("X-Customer") != "[]":
            raise omnitest.Failure("an unreadable store was read")

    # made readable: picked up by the next check, no reload
    nobody = pwd.getpwnam("nobody")
    for path in [act] + [os.path.join(act, f) for f in os.listdir(act)]:
        os.chown(path, nobody.pw_uid, nobody.pw_gid)
    os.chmod(act, 0o750)
    os.chmod(prof, 0o644)
    os.utime(prof)
    wait_log(ngx, r"omni: activity store opened")
    time.sleep(0.3)
    expect_names(ngx, vids, 0)

    ngx.stop()
    check(ngx, once=[r"tracking is disabled: cannot open the activity store"
                     r".*Permission denied",
                     r"profiles.*Permission denied"])


def used_bytes(env_dir):
    """What an environment's pages take: the workers extend the file
    itself to the whole map (sparse)."""
    out = subprocess.run(["mdb_stat", "-e", env_dir], capture_output=True,
                         text=True).stdout
    pages = int(re.search(r"Number of pages used: (\d+)", out).group(1))
    psize = int(re.search(r"Page size: (\d+)", out).group(1))
    return pages * psize


def damage_activity(path, how):
    size = used_bytes(os.path.dirname(path))
    with open(path, "r+b") as f:
        if how == "truncated":
            f.truncate(size // 2)
        elif how == "empty":
            f.truncate(0)
        elif how == "garbage":
            f.write(os.urandom(size))


ONCE = {
    "truncated": r"tracking is disabled: the activity store .* is damaged: "
                 r"\d+ bytes, its pages need \d+",
    "empty": r"activity store opened|tracking",
    "garbage": r"tracking is disabled: cannot open the activity store .*"
               r"MDB_INVALID",
}


def run_damaged(how):
    ngx = start("fault-activity-" + how)
    failed = True
    try:
        ngx.stop()
        vids = populate(ngx, 3000)
        damage_activity(os.path.join(store(ngx), "activity", "data.mdb"),
                        how)

        ngx.start()
        time.sleep(0.3)
        # every visitor's lookup, and tracking, against the damaged file
        for vid in vids[::30]:
            r = get(ngx, vid=vid)
            if r.status != 200:
                raise omnitest.Failure("%d for a visitor" % r.status)
        r = ngx.get("/omni/beacon", method="POST",
                    headers=[("Cookie", cookie(ngx, vids[0]))],
                    body=b'{"type":"pageview"}')
        if r.status != 204:
            raise omnitest.Failure("beacon: %d" % r.status)
        time.sleep(0.3)
        ngx.stop()
        check(ngx, once=[ONCE[how]])
        failed = False
    finally:
        ngx.kill()
        ngx.cleanup(failed)


def test_activity_file_truncated():
    """An activity file cut to half its size (a failed copy, a full disk
    at the wrong time): refused at open, with one line, never mapped past
    its end (that would kill the worker with SIGBUS)."""
    run_damaged("truncated")


def test_activity_file_empty():
    run_damaged("empty")


def test_activity_file_garbage():
    run_damaged("garbage")


@case("fault-profiles-bad-swaps")
def test_profiles_replaced_badly_during_traffic(ngx):
    """New profiles files that are cut short, garbage or empty are
    renamed in while pages are served: each is refused with one line and
    the open one keeps serving; then a good one is taken."""
    vids = populate(ngx, 200)
    time.sleep(0.4)
    good = os.path.join(store(ngx), "profiles", "data.mdb")
    with open(good, "rb") as f:
        data = f.read()
    incoming = os.path.join(store(ngx), "profiles", ".incoming")

    with Load(ngx, vids[:50]) as load:
        for bad in (data[:len(data) // 2], os.urandom(len(data)), b""):
            with open(incoming, "wb") as f:
                f.write(bad)
            os.rename(incoming, good)
            time.sleep(0.4)
            expect_names(ngx, vids[:3], 0)
        with open(incoming, "wb") as f:
            f.write(data)
        os.rename(incoming, good)
        time.sleep(0.4)
    load.assert_clean()
    expect_names(ngx, vids[:20], 0)
    if load.names.get("[]"):
        raise omnitest.Failure("pages without profile: %r" % load.names)

    ngx.stop()
    check(ngx, once=[r"new profiles file not used, the open one stays"])


# ---------------------------------------------------------------- LMDB


@case("fault-readers-full")
def test_readers_table_exhausted(ngx):
    """Another process takes every free reader slot of the activity store.
    Running workers keep theirs (one reused read transaction each) and go
    on; workers started meanwhile (a reload) get none: one line, pages
    served unpersonalized, events counted as dropped; once slots are free
    again the next store check opens the store, without a reload, and
    nothing committed before was lost."""
    vids = populate(ngx, 20)
    time.sleep(0.3)
    expect_names(ngx, vids[:3], 0)

    hold = subprocess.Popen([HOLD, "readers",
                             os.path.join(store(ngx), "activity")],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True)
    try:
        line = hold.stdout.readline()
        if not line.startswith("held"):
            raise omnitest.Failure("lmdb-hold: %r" % line)

        # the running worker has its slot
        expect_names(ngx, vids, 0)

        ngx.reload()
        time.sleep(0.3)
        for vid in vids:
            r = get(ngx, vid=vid)
            if r.status != 200 or r.header("X-Customer") != "[]":
                raise omnitest.Failure("with the readers table full: %d %r"
                                       % (r.status, r.header("X-Customer")))
    finally:
        hold.stdin.close()
        hold.wait(10)

    wait_log(ngx, r"omni: activity store opened")
    time.sleep(0.2)
    expect_names(ngx, vids, 0)

    # tracking works again
    r = ngx.get("/omni/beacon", method="POST",
                headers=[("Cookie", cookie(ngx, vids[1]))],
                body=b'{"type":"view","item":"SKU-1"}')
    if r.status != 204:
        raise omnitest.Failure("beacon: %d" % r.status)
    time.sleep(0.3)
    ngx.stop()
    got = visitor(ngx, vids[1])
    if got is None or got["viewed"] != ["SKU-1"]:
        raise omnitest.Failure("after the readers came back: %r" % got)
    if totals(ngx)["linked"] != 20:
        raise omnitest.Failure("links lost: %r" % totals(ngx))
    check(ngx, once=[r"tracking is disabled: .*MDB_READERS_FULL"])


@case("fault-writer-stuck")
def test_writer_lock_held(ngx):
    """Another process holds the activity store's writer lock for 2 s
    (an omnictl run, a stuck tool): the flush thread waits, the event
    loop does not; pages stay fast, and what was queued meanwhile is
    written when the lock is released."""
    vid = populate(ngx, 1)[0]
    hold = subprocess.Popen([HOLD, "writer",
                             os.path.join(store(ngx), "activity")],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True)
    try:
        if not hold.stdout.readline().startswith("held"):
            raise omnitest.Failure("lmdb-hold writer")
        slowest = 0
        t_end = time.time() + 2
        n = 0
        while time.time() < t_end:
            t0 = time.time()
            r = get(ngx, vid=vid)
            slowest = max(slowest, time.time() - t0)
            if r.status != 200:
                raise omnitest.Failure("%d with the writer lock held"
                                       % r.status)
            n += 1
        if slowest > 0.5:
            raise omnitest.Failure("a page took %.2fs while the writer "
                                   "lock was held" % slowest)
    finally:
        hold.stdin.close()
        hold.wait(10)

    ngx.stop()
    got = visitor(ngx, vid)
    if got["pageviews"] != n:
        raise omnitest.Failure("%d page views stored, %d served"
                               % (got["pageviews"], n))
    check(ngx)


# ----------------------------------------------------------- disk full


def mount_tmpfs(path, size):
    os.makedirs(path, exist_ok=True)
    p = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%s" % size,
                        "tmpfs", path], capture_output=True, text=True)
    return p.returncode == 0, p.stderr.strip()


def test_disk_full_during_flush():
    """The activity store on a small tmpfs that fills up under traffic:
    commits fail with ENOSPC and are counted and logged (one line per
    interval), requests are unaffected, what was committed before reads
    back whole, and tracking resumes once there is room again."""
    ngx = omnitest.Nginx("fault-disk-full")
    mnt = store(ngx)
    ok, err = mount_tmpfs(mnt, "2m")
    if not ok:
        print("    SKIPPED: mount -t tmpfs refused: %s" % err)
        return
    failed = True
    try:
        worker_dir(mnt)
        ngx.write_conf(CONFIG, HTTP.replace("@MAP@", " map_size=64m"))
        ngx.start()
        vids = populate(ngx, 5)
        time.sleep(0.3)

        # a committed record, checked again at the end
        for _ in range(3):
            get(ngx, vid=vids[0])
        time.sleep(0.3)
        before = visitor(ngx, vids[0])
        if before is None or before["pageviews"] != 3:
            raise omnitest.Failure("before: %r" % before)

        # fill the file system but for a few pages
        filler = os.path.join(mnt, "filler")
        subprocess.run(["dd", "if=/dev/zero", "of=" + filler, "bs=4k",
                        "count=4096"], capture_output=True)

        # new visitors with long records until commits fail
        body = json.dumps([{"type": "view", "item": "I%02d-%s" % (i, "x" * 100)}
                           for i in range(20)]).encode()
        deadline = time.time() + 20
        sent = 0
        while time.time() < deadline:
            v = new_vid()
            r = ngx.get("/omni/beacon", method="POST",
                        headers=[("Cookie", cookie(ngx, v))], body=body)
            if r.status != 204:
                raise omnitest.Failure("beacon: %d" % r.status)
            sent += 1
            if sent % 20 == 0 and re.search(r"tracking events dropped.*"
                                            r"No space left", ngx.log()):
                break
        else:
            raise omnitest.Failure("the disk never filled:\n"
                                   + ngx.log_tail())

        for _ in range(20):
            if get(ngx, vid=vids[1]).status != 200:
                raise omnitest.Failure("a page failed with the disk full")

        # room again: tracking resumes without a reload
        os.remove(filler)
        time.sleep(0.3)
        for _ in range(2):
            get(ngx, vid=vids[0])
        time.sleep(0.5)
        ngx.stop()

        after = visitor(ngx, vids[0])
        if after is None or after["pageviews"] != 5:
            raise omnitest.Failure("after: %r\n%s" % (after,
                                                       ngx.log_tail()))
        st = subprocess.run(["mdb_stat", os.path.join(mnt, "activity")],
                            capture_output=True, text=True)
        if st.returncode != 0:
            raise omnitest.Failure("mdb_stat: " + st.stderr)
        check(ngx, once=[r"tracking events dropped: the store failed: "
                         r".*No space left on device"])
        failed = False
    finally:
        ngx.kill()
        ngx.cleanup(failed)
        subprocess.run(["umount", "-l", mnt], capture_output=True)


# --------------------------------------------------------- thread pool


@case("fault-no-thread", http_extra="omni_queue_size 64k;\n")
def test_no_flush_thread_available(ngx):
    """The flush thread is stuck (another process holds the writer lock
    for 3 s) while beacons pour in, so no thread can take the next batch
    and the small queue (64k) fills up: requests are unaffected, the
    events that do not fit are dropped, counted and reported in one line,
    everything queued is written once the thread is free, and the store
    counts exactly what the worker says it wrote."""
    vids = populate(ngx, 50)
    body = json.dumps([{"type": "pageview"}] * 32).encode()

    hold = subprocess.Popen([HOLD, "writer",
                             os.path.join(store(ngx), "activity")],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True)
    sent = 0
    try:
        if not hold.stdout.readline().startswith("held"):
            raise omnitest.Failure("lmdb-hold writer")
        t_end = time.time() + 3
        while time.time() < t_end:
            r = ngx.get("/omni/beacon", method="POST", body=body,
                        headers=[("Cookie",
                                  cookie(ngx, vids[sent % len(vids)]))])
            if r.status != 204:
                raise omnitest.Failure("beacon: %d" % r.status)
            sent += 1
    finally:
        hold.stdin.close()
        hold.wait(10)

    time.sleep(0.5)
    ngx.stop()
    log = ngx.log()
    written = sum(int(n) for n in re.findall(
        r"tracking: (\d+) events written by this worker", log))
    dropped = sum(int(n) for n in re.findall(
        r"omni: (\d+) tracking events dropped: the queue was full", log))
    stored = totals(ngx)["pageviews"]
    print("    %d events sent with the flush thread stuck: %d written, "
          "%d dropped" % (sent * 32, written, dropped))
    if dropped == 0 or written + dropped != sent * 32 or stored != written:
        raise omnitest.Failure("sent %d, written %d, dropped %d, stored %d"
                               % (sent * 32, written, dropped, stored))
    check(ngx, once=[r"tracking events dropped: the queue was full"])


# ------------------------------------------------- upstream and clients


BIG = "<html><head><title>t</title></head><body>%s</body></html>\n" \
      % ("<p>lorem ipsum dolor sit amet</p>\n" * 30000)


@case("fault-upstream-reset", upstream=True)
def test_upstream_resets_mid_body(ngx):
    """The upstream resets the connection in the middle of a 1 MB page:
    the client gets what nginx had, the worker lives, the page view was
    recorded (it happened), and nothing but nginx's own line is logged."""
    ngx.write_file("p/SKU-7.html", BIG)
    vid = populate(ngx, 1)[0]
    for i in range(20):
        r = get(ngx, "/up/p/SKU-7.html?reset=%d" % (1000 + i * 5000), vid=vid)
        # the header went out whole; the body stops where the reset was
        if r.status != 200 or len(r.body) >= len(BIG):
            raise omnitest.Failure("reset at %d: %d, %d bytes"
                                   % (1000 + i * 5000, r.status, len(r.body)))
    r = get(ngx, "/up/p/SKU-7.html", vid=vid)
    if r.status != 200 or len(r.body) != len(BIG):
        raise omnitest.Failure("after the resets: %d, %d bytes"
                               % (r.status, len(r.body)))
    time.sleep(0.3)
    ngx.stop()
    got = visitor(ngx, vid)
    if got["pageviews"] != 21:
        raise omnitest.Failure("%d page views, 21 pages" % got["pageviews"])
    if len(re.findall(r"Connection reset by peer\) while reading upstream",
                      ngx.log())) != 20:
        raise omnitest.Failure("not 20 resets:\n" + ngx.log_tail())
    check(ngx)


@case("fault-client-abort", upstream=True, workers=2)
def test_clients_abort_mid_response(ngx):
    """200 clients close (or reset) their connection after a few bytes
    of a 1 MB page: no worker dies, the next page is whole."""
    ngx.write_file("p/SKU-7.html", BIG)
    vid = populate(ngx, 1)[0]
    req = omnitest.build_request("GET", "/up/p/SKU-7.html",
                                 [("Cookie", cookie(ngx, vid))])

    def abort(k):
        for i in range(50):
            s = socket.create_connection(("127.0.0.1", ngx.port), 5)
            s.sendall(req)
            s.recv(1000 + 97 * i)
            if (i + k) % 2:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                             b"\x01\x00\x00\x00\x00\x00\x00\x00")
            s.close()

    threads = [threading.Thread(target=abort, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)

    r = get(ngx, "/up/p/SKU-7.html", vid=vid)
    if r.status != 200 or len(r.body) != len(BIG):
        raise omnitest.Failure("after the aborts: %d, %d bytes"
                               % (r.status, len(r.body)))
    time.sleep(0.3)
    ngx.stop()
    check(ngx)


# ----------------------------------------------- reloads and SIGKILL


@case("fault-reloads", workers=2)
def test_20_reloads_under_load(ngx):
    """wrk on a tracked page while nginx reloads 20 times: not one
    request fails, and every page view reaches the store (the leaving
    workers write their queues): the store counts exactly the pages
    served."""
    vid = populate(ngx, 1)[0]
    seconds = 14
    p, out = wrk(ngx, seconds, headers=["Cookie: " + cookie(ngx, vid),
                                        "Connection: close"])
    time.sleep(1)
    for _ in range(20):
        ngx.reload(wait=False)
        time.sleep(0.5)
    res = wrk_result(p, out, seconds)
    if res["non2xx"] or res["errors"] or res["requests"] < 1000:
        raise omnitest.Failure("wrk under reloads:\n" + res["text"])
    time.sleep(1)
    ngx.stop()
    served = statuses(ngx).get("200", 0)
    got = visitor(ngx, vid)
    print("    %d requests under 20 reloads, %d page views stored"
          % (served, got["pageviews"]))
    if got["pageviews"] != served:
        raise omnitest.Failure("%d page views stored, %d served"
                               % (got["pageviews"], served))
    if ngx.log().count("reconfiguring") < 20:
        raise omnitest.Failure("fewer than 20 reloads happened")
    check(ngx)


@case("fault-sigkill", workers=2)
def test_worker_killed_under_load(ngx):
    """kill -9 of one worker under wrk: the master starts another, no
    request gets a 5xx, connections the dead worker held are the only
    errors, the store stays readable, its reader slot is freed, and the
    page views lost are at most the dead worker's last flush interval."""
    vid = populate(ngx, 1)[0]
    seconds = 6
    p, out = wrk(ngx, seconds, headers=["Cookie: " + cookie(ngx, vid),
                                        "Connection: close"])
    time.sleep(2)
    victim = ngx.worker_pids()[0]
    os.kill(victim, signal.SIGKILL)
    res = wrk_result(p, out, seconds)
    if res["non2xx"] or res["errors"] > 16:
        raise omnitest.Failure("wrk around the kill:\n" + res["text"])
    if len(ngx.worker_pids()) != 2:
        raise omnitest.Failure("the master did not replace the worker")
    time.sleep(0.5)

    readers = subprocess.run(["mdb_stat", "-r",
                              os.path.join(store(ngx), "activity")],
                             capture_output=True, text=True).stdout
    if re.search(r"^\s*%d\s" % victim, readers, re.M):
        raise omnitest.Failure("the dead worker's reader slot:\n" + readers)

    ngx.stop()
    served = statuses(ngx).get("200", 0)
    got = visitor(ngx, vid)
    print("    %d served, %d page views stored after kill -9 of a worker"
          % (served, got["pageviews"]))
    # 50 ms of one worker's share at most: far less than 5% here
    if got["pageviews"] > served or got["pageviews"] < served * 0.95:
        raise omnitest.Failure("%d page views stored, %d served"
                               % (got["pageviews"], served))
    check(ngx, killed=[victim], allow=[r"exited on signal 9"])
