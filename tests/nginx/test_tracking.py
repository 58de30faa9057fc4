"""Tracking under load, across workers and through crashes.

- Concurrent clients send 204,800 events to two workers through the
  beacon: after a graceful stop the store counts exactly that many.
- kill -9 of every nginx process while events pour in leaves a store that
  reads back whole, and that the next nginx writes to again.
- A store whose map is full drops events (counted, one log line per
  interval) and never fails or delays a request.
"""

import http.client
import json
import os
import pwd
import re
import signal
import subprocess
import threading
import time

import omnitest


HTTP_CONFIG = """
omni_secret %%SECRET%%;
omni_store %%DATA%%/store@MAP@;
omni_store_check 100ms;
log_format beacon '$status';
access_log %%PREFIX%%/logs/beacon.log beacon;
"""

CONFIG = """
location = /omni/beacon {
    omni on;
    omni_beacon;
}
"""

EVENTS_PER_BEACON = 32


def worker_user_dir(path):
    """A directory the workers (nobody) may write: the activity store."""
    os.makedirs(path, exist_ok=True)
    nobody = pwd.getpwnam("nobody")
    os.chown(path, nobody.pw_uid, nobody.pw_gid)


def start(name, workers=2, map_size=""):
    ngx = omnitest.Nginx(name, workers=workers)
    worker_user_dir(os.path.join(ngx.vars["DATA"], "store"))
    ngx.write_conf(CONFIG, HTTP_CONFIG.replace("@MAP@", map_size))
    ngx.start()
    return ngx


def pageviews(n):
    return json.dumps([{"type": "pageview"}] * n).encode()


def views(tag, n):
    """n product views with long, distinct ids: records grow to the max."""
    return json.dumps([{"type": "view", "item": "%s-%03d-%s" % (tag, i,
                                                               "x" * 100)}
                       for i in range(n)]).encode()


class Clients:
    """Threads posting beacons with keep-alive; half of the requests come
    from a few returning visitors (their cookies), half from new ones, who
    come back at once with both cookies (a GET answered 405), so that
    their first response's events are written too.  With returning=True
    every beacon comes from a visitor who already has a cookie: a new one
    each time (got with a GET answered 405, which carries no event)."""

    def __init__(self, port, threads, requests, body=None, stop_on_error=False,
                 returning=False):
        self.port = port
        self.requests = requests
        self.body = body or (lambda t, i: pageviews(EVENTS_PER_BEACON))
        self.stop_on_error = stop_on_error
        self.returning = returning
        self.ok = [0] * threads
        self.statuses = {}
        self.errors = [0] * threads
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.run, args=(t,))
                        for t in range(threads)]

    def start(self):
        for t in self.threads:
            t.start()

    def join(self, timeout=300):
        for t in self.threads:
            t.join(timeout)

    def run(self, t):
        conn = None
        cookies = []
        for i in range(self.requests):
            headers = {"Content-Type": "text/plain;charset=UTF-8"}
            if i % 2 and cookies and not self.returning:
                headers["Cookie"] = cookies[(i // 2) % len(cookies)]
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", self.port,
                                                      timeout=30)
                if self.returning:
                    # no event: a visitor cookie and nothing else
                    conn.request("GET", "/omni/beacon")
                    first = conn.getresponse()
                    first.read()
                    headers["Cookie"] = set_cookies(first)[0]
                conn.request("POST", "/omni/beacon", self.body(t, i), headers)
                r = conn.getresponse()
                r.read()
                got = set_cookies(r)
                if got and "Cookie" not in headers:
                    # the new visitor comes back with both cookies
                    conn.request("GET", "/omni/beacon", headers={
                        "Cookie": "; ".join(got)})
                    back = conn.getresponse()
                    back.read()
                    if back.status != 405:
                        raise http.client.HTTPException(
                            "came back: %d" % back.status)
            except (OSError, http.client.HTTPException):
                self.errors[t] += 1
                conn = None
                if self.stop_on_error:
                    return
                continue
            with self.lock:
                self.statuses[r.status] = self.statuses.get(r.status, 0) + 1
            if r.status == 204:
                self.ok[t] += 1
            if got and len(cookies) < 4:
                cookies.append(got[0])
            if r.getheader("Connection", "").lower() == "close":
                conn.close()
                conn = None


def set_cookies(r):
    """The name=value pairs of a response's Set-Cookie headers, in order."""
    return [v.split(";")[0] for n, v in r.getheaders()
            if n.lower() == "set-cookie"]


def totals(ngx):
    p = ngx.omnictl("activity", "--store", "%%DATA%%/store", "--totals")
    if p.returncode != 0:
        raise omnitest.Failure("omnictl activity: %d %s"
                               % (p.returncode, p.stderr))
    return json.loads(p.stdout)


def answered(ngx, status="204"):
    """Requests nginx answered with status, from its access log: exact,
    whatever the clients saw of the last ones."""
    try:
        with open(os.path.join(ngx.prefix, "logs", "beacon.log")) as f:
            return sum(1 for line in f if line.strip() == status)
    except OSError:
        return 0


def kill_9(ngx):
    """SIGKILL to the master first, so that it cannot start new workers
    when it sees the old ones die, then to the workers."""
    master = ngx.pid()
    workers = ngx.worker_pids()
    os.kill(master, signal.SIGKILL)
    for pid in workers:
        os.kill(pid, signal.SIGKILL)
    deadline = time.time() + 10
    while time.time() < deadline:
        if not any(omnitest.alive(p) for p in [master] + workers):
            return
        time.sleep(0.02)
    raise omnitest.Failure("nginx survived kill -9")


def bad_log_lines(ngx, allowed=()):
    return [l for l in ngx.log().splitlines()
            if re.search(r"\[(alert|crit|emerg|error)\]", l)
            and not any(a in l for a in allowed)]


def test_concurrent_events_all_counted():
    ngx = start("track-count")
    failed = True
    try:
        clients = Clients(ngx.port, threads=8, requests=800)
        t0 = time.time()
        clients.start()
        clients.join()
        elapsed = time.time() - t0

        sent = sum(clients.ok) * EVENTS_PER_BEACON
        if sent != 8 * 800 * EVENTS_PER_BEACON or any(clients.errors):
            raise omnitest.Failure("clients: %d answered 204, errors %r, "
                                   "statuses %r" % (sum(clients.ok),
                                                    clients.errors,
                                                    clients.statuses))

        ngx.stop()

        got = totals(ngx)
        print("    %d events from 8 clients in %.1fs (%.0f events/s), "
              "%d visitors" % (sent, elapsed, sent / elapsed,
                               got["visitors"]))

        if got["pageviews"] != sent or got["unreadable"] != 0:
            raise omnitest.Failure("the store counts %r, %d were sent"
                                   % (got, sent))

        written = sum(int(n) for n in re.findall(
            r"omni: tracking: (\d+) events written by this worker, 0 dropped",
            ngx.log()))
        if written != sent:
            raise omnitest.Failure("workers wrote %d events, %d were sent"
                                   % (written, sent))

        # both workers took part, and visitors came back to either
        if len(re.findall(r"events written by this worker",
                          ngx.log())) != 2:
            raise omnitest.Failure("not two workers:\n" + ngx.log())

        bad = bad_log_lines(ngx)
        if bad:
            raise omnitest.Failure("error log:\n" + "\n".join(bad))

        failed = False

    finally:
        ngx.kill()
        ngx.cleanup(failed)


def test_kill_9_under_load_leaves_a_readable_store():
    ngx = start("track-kill")
    failed = True
    try:
        clients = Clients(ngx.port, threads=6, requests=100000,
                          stop_on_error=True)
        clients.start()

        # well into the load: several flushes committed, one under way
        deadline = time.time() + 10
        while sum(clients.ok) < 2000 and time.time() < deadline:
            time.sleep(0.05)

        kill_9(ngx)
        clients.join(60)

        killed_at = sum(clients.ok)
        if killed_at < 2000:
            raise omnitest.Failure("the load did not get going: %r"
                                   % clients.statuses)

        got = totals(ngx)
        print("    killed after %d answered beacons: %d of %d events "
              "in the store" % (killed_at, got["pageviews"],
                                answered(ngx) * EVENTS_PER_BEACON))

        # whole records only; what was lost is at most the queues of the
        # last flush interval (and the batch being written)
        if got["unreadable"] != 0 or got["pageviews"] == 0:
            raise omnitest.Failure("store after kill -9: %r" % got)

        if got["pageviews"] > answered(ngx) * EVENTS_PER_BEACON:
            raise omnitest.Failure("more events stored than answered")

        # the next nginx uses the same store; the dead readers are freed
        before = got["pageviews"]
        os.remove(os.path.join(ngx.prefix, "nginx.pid"))
        ngx.start()

        clients = Clients(ngx.port, threads=2, requests=50)
        clients.start()
        clients.join()

        if sum(clients.ok) != 100:
            raise omnitest.Failure("after the restart: %r"
                                   % clients.statuses)

        ngx.stop()

        got = totals(ngx)
        if got["pageviews"] != before + 100 * EVENTS_PER_BEACON:
            raise omnitest.Failure("after the restart: %r, expected %d "
                                   "page views" % (got, before + 3200))

        # the killed workers' reader slots were freed by the next nginx
        st = subprocess.run(["mdb_stat", "-r", os.path.join(
            ngx.vars["DATA"], "store", "activity")], capture_output=True,
            text=True)
        if "(no active readers)" not in st.stdout:
            raise omnitest.Failure("reader slots left:\n" + st.stdout
                                   + st.stderr)

        failed = False

    finally:
        ngx.kill()
        ngx.cleanup(failed)


def test_full_store_drops_and_counts():
    ngx = start("track-full", map_size=" map_size=1m")
    failed = True
    try:
        clients = Clients(ngx.port, threads=4, requests=250,
                          body=lambda t, i: views("T%dR%d" % (t, i), 20),
                          returning=True)
        t0 = time.time()
        clients.start()
        clients.join()
        elapsed = time.time() - t0

        if sum(clients.ok) != 1000 or any(clients.errors):
            raise omnitest.Failure("requests failed with a full store: %r "
                                   "errors %r" % (clients.statuses,
                                                  clients.errors))

        time.sleep(0.3)
        ngx.stop()

        log = ngx.log()
        dropped = sum(int(n) for n in re.findall(
            r"omni: (\d+) tracking events dropped: the store is full", log))
        lines = log.count("tracking events dropped")
        got = totals(ngx)

        print("    1000 beacons in %.1fs with a full store: %d events "
              "dropped in %d log lines, %d visitors kept"
              % (elapsed, dropped, lines, got["visitors"]))

        if dropped == 0 or got["unreadable"] != 0:
            raise omnitest.Failure("nothing dropped? %r\n%s" % (got, log))

        # one line per worker and interval (10 s) plus the one at exit
        if lines > 2 * (elapsed / 10 + 2):
            raise omnitest.Failure("%d log lines for the drops" % lines)

        written = sum(int(n) for n in re.findall(
            r"(\d+) events written by this worker", log))
        if written + dropped != 1000 * 20:
            raise omnitest.Failure("%d written + %d dropped != 20000"
                                   % (written, dropped))

        bad = bad_log_lines(ngx, ("tracking events dropped",))
        if bad:
            raise omnitest.Failure("error log:\n" + "\n".join(bad))

        failed = False

    finally:
        ngx.kill()
        ngx.cleanup(failed)
