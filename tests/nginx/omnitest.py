"""End-to-end test harness for ngx_http_omni_module.

Each test case starts the real /usr/sbin/nginx with its own prefix
directory and a generated nginx.conf that loads the freshly built module,
on a free loopback port; sends real HTTP requests over a socket; checks
status, headers and body; can assert on error_log lines and on `nginx -t`
failures; and stops that nginx by its own pid.

Cases are data, in the spirit of Test::Nginx (see tests/nginx/README.md):

    === TEST 1: a first visit gets a cookie
    --- config
    location / { omni on; return 200 "hi"; }
    --- request
    GET /
    --- response_headers
    Set-Cookie: ~ ^omni=v1\\.
    --- response_body chomp
    hi

Sections other than the configuration ones run in order, as a script, so
one block can walk a visitor through several requests.  Python test files
(tests/nginx/test_*.py) use the same Nginx class for what data cannot say
(load, reloads, concurrency).
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
NGINX = "/usr/sbin/nginx"

MODULE = os.path.join(ROOT, "build", "ngx_http_omni_module.so")
OMNICTL = os.path.join(ROOT, "build", "omnictl")

# OMNI_SANITIZE=<path of gcc's libasan.so>: the module was built with
# AddressSanitizer and UndefinedBehaviorSanitizer (make e2e-san).  nginx
# then runs with that runtime preloaded, the runtimes write their reports
# into the case's prefix (san/), and a case with any report fails.
SANITIZE = os.environ.get("OMNI_SANITIZE", "")

# what the sanitizer runtimes write to stderr (nginx's error log)
SANITIZER_LOG = re.compile(r"runtime error:|\b(Address|UndefinedBehavior|Leak)"
                           r"Sanitizer\b")

# log levels that fail a case unless the case expects them
BAD_LOG = re.compile(r"\[(alert|crit|emerg)\]")
ERROR_LOG = re.compile(r"\[error\]")


class Failure(Exception):
    pass


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# ---------------------------------------------------------------- HTTP


class Response:
    def __init__(self, raw):
        self.raw = raw
        head, sep, body = raw.partition(b"\r\n\r\n")
        if not sep:
            raise Failure("incomplete response: %r" % raw[:300])
        lines = head.decode("latin-1").split("\r\n")
        m = re.match(r"HTTP/\d\.\d (\d{3})", lines[0])
        if not m:
            raise Failure("bad status line: %r" % lines[0])
        self.status = int(m.group(1))
        self.status_line = lines[0]
        self.headers = []
        for line in lines[1:]:
            name, _, value = line.partition(":")
            self.headers.append((name.strip(), value.strip()))
        if self.header("Transfer-Encoding", "").lower() == "chunked":
            body = dechunk(body)
        self.body = body
        if self.header("Content-Encoding", "").lower() == "gzip":
            self.decoded = zlib.decompress(body, 16 + zlib.MAX_WBITS)
        else:
            self.decoded = body

    def header(self, name, default=None):
        for n, v in self.headers:
            if n.lower() == name.lower():
                return v
        return default

    def header_all(self, name):
        return [v for n, v in self.headers if n.lower() == name.lower()]

    def text(self):
        return self.decoded.decode("utf-8", "replace")

    def __str__(self):
        head = "\n".join([self.status_line]
                         + ["%s: %s" % h for h in self.headers])
        body = self.text()
        if len(body) > 2000:
            body = body[:1000] + "\n[... %d bytes ...]\n" % len(body) \
                + body[-800:]
        return head + "\n\n" + body


def dechunk(data):
    out = b""
    while True:
        line, sep, rest = data.partition(b"\r\n")
        if not sep:
            raise Failure("truncated chunked body")
        size = int(line.split(b";")[0], 16)
        if size == 0:
            return out
        out += rest[:size]
        data = rest[size + 2:]


def http(port, request, timeout=10):
    """Sends raw request bytes and reads until the server closes."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(request)
        chunks = []
        while True:
            try:
                data = s.recv(65536)
            except socket.timeout:
                raise Failure("timed out reading the response")
            if not data:
                break
            chunks.append(data)
    finally:
        s.close()
    return Response(b"".join(chunks))


def build_request(method, uri, headers=(), body=None, host="localhost"):
    lines = ["%s %s HTTP/1.1" % (method, uri), "Host: %s" % host]
    names = set()
    for name, value in headers:
        lines.append("%s: %s" % (name, value))
        names.add(name.lower())
    if "connection" not in names:
        lines.append("Connection: close")
    if body is not None and "content-length" not in names:
        lines.append("Content-Length: %d" % len(body))
    raw = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    if body is not None:
        raw += body
    return raw


# ---------------------------------------------------------------- nginx


CONF = """\
load_module %(module)s;
daemon on;
master_process on;
worker_processes %(workers)s;
pid %(prefix)s/nginx.pid;
error_log %(prefix)s/logs/error.log %(log_level)s;
%(main_config)s

events {
    worker_connections 1024;
}

http {
    access_log %(prefix)s/logs/access.log;
    default_type text/plain;
    client_body_temp_path %(prefix)s/tmp/body;
    proxy_temp_path %(prefix)s/tmp/proxy;
    fastcgi_temp_path %(prefix)s/tmp/fastcgi;
    uwsgi_temp_path %(prefix)s/tmp/uwsgi;
    scgi_temp_path %(prefix)s/tmp/scgi;
    types { text/html html; text/css css; application/json json;
            image/svg+xml svg; }

%(http_config)s

    server {
        listen 127.0.0.1:%(port)d;
        server_name localhost;
        root %(prefix)s/html;

%(config)s
    }
}
"""


class Nginx:
    """One nginx instance with its own prefix, config and port."""

    def __init__(self, name="case", workers=1, log_level="info",
                 keep=False):
        self.prefix = tempfile.mkdtemp(prefix="omni-e2e-%s-" % slug(name))
        os.chmod(self.prefix, 0o755)
        for d in ("conf", "logs", "html", "tmp", "data"):
            os.makedirs(os.path.join(self.prefix, d), exist_ok=True)
        if os.geteuid() == 0:
            # %%DATA%% is where workers (running as nobody) keep stores
            import pwd
            nobody = pwd.getpwnam("nobody")
            os.chown(os.path.join(self.prefix, "data"), nobody.pw_uid,
                     nobody.pw_gid)
        self.port = free_port()
        self.workers = workers
        self.log_level = log_level
        self.keep = keep
        self.vars = {
            "PORT": str(self.port),
            "PREFIX": self.prefix,
            "ROOT": ROOT,
            "HTML": os.path.join(self.prefix, "html"),
            "DATA": os.path.join(self.prefix, "data"),
            "OMNICTL": OMNICTL,
            "SECRET": os.path.join(self.prefix, "conf", "secret"),
        }
        with open(self.vars["SECRET"], "w") as f:
            f.write(os.urandom(32).hex() + "\n")
        self.log_offset = 0
        self.upstreams = []
        self.san_dir = os.path.join(self.prefix, "san")
        if SANITIZE:
            # the workers (nobody) write their own reports
            os.makedirs(self.san_dir, exist_ok=True)
            os.chmod(self.san_dir, 0o777)

    # placeholders: %%NAME%% in configs, commands and requests
    def subst(self, text):
        def repl(m):
            key = m.group(1)
            if key not in self.vars:
                raise Failure("unknown placeholder %%%%%s%%%%" % key)
            return self.vars[key]
        return re.sub(r"%%([A-Za-z0-9_]+)%%", repl, text)

    def write_conf(self, config="", http_config="", main_config=""):
        conf = CONF % {
            "module": MODULE,
            "workers": self.workers,
            "prefix": self.prefix,
            "log_level": self.log_level,
            "main_config": self.subst(main_config),
            "http_config": indent(self.subst(http_config), 4),
            "config": indent(self.subst(config), 8),
            "port": self.port,
        }
        self.conf_path = os.path.join(self.prefix, "conf", "nginx.conf")
        with open(self.conf_path, "w") as f:
            f.write(conf)

    def write_file(self, path, content, mode=0o644):
        """Writes a docroot file, or any file given by an absolute path
        inside the prefix (%%PREFIX%%/conf/x)."""
        if path.startswith(self.prefix + "/"):
            full = path
        else:
            full = os.path.join(self.prefix, "html", path.lstrip("/"))
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "wb") as f:
            f.write(content if isinstance(content, bytes)
                    else content.encode())
        os.chmod(full, mode)
        return full

    def nginx(self, *args):
        # nginx reads $NGINX as a list of inherited listening sockets
        env = {k: v for k, v in os.environ.items() if k != "NGINX"}
        env.update(self.sanitizer_env())
        return subprocess.run([NGINX, "-p", self.prefix, "-c", self.conf_path]
                              + list(args), capture_output=True, text=True,
                              timeout=60, env=env)

    def test_config(self):
        p = self.nginx("-t")
        return p.returncode, p.stderr

    def start(self):
        p = self.nginx()
        if p.returncode != 0:
            raise Failure("nginx did not start:\n" + p.stderr
                          + self.log_tail())
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), 1).close()
                return
            except OSError:
                time.sleep(0.02)
        raise Failure("nginx does not accept connections\n" + self.log_tail())

    def pid(self):
        try:
            with open(os.path.join(self.prefix, "nginx.pid")) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def worker_pids(self):
        master = self.pid()
        out = subprocess.run(["pgrep", "-P", str(master)],
                             capture_output=True, text=True).stdout
        return [int(x) for x in out.split()]

    def signal(self, sig):
        pid = self.pid()
        if pid:
            os.kill(pid, sig)

    def reload(self, wait=True):
        """HUP, then wait until the old workers are gone."""
        old = set(self.worker_pids())
        self.signal(signal.SIGHUP)
        deadline = time.time() + 15
        while wait and time.time() < deadline:
            now = set(self.worker_pids())
            if now and not (now & old):
                return
            time.sleep(0.05)
        if wait:
            raise Failure("reload did not replace the workers")

    def stop(self, timeout=15):
        """Graceful stop (QUIT); waits for the master to exit."""
        pid = self.pid()
        if pid is None:
            return
        try:
            os.kill(pid, signal.SIGQUIT)
        except ProcessLookupError:
            return
        deadline = time.time() + timeout
        while time.time() < deadline:
            if not alive(pid):
                return
            time.sleep(0.02)
        os.kill(pid, signal.SIGKILL)
        raise Failure("nginx did not stop within %ds" % timeout)

    def kill(self):
        """SIGKILL, master first: a master left alive would respawn the
        workers it lost."""
        pid = self.pid()
        if pid and alive(pid):
            workers = self.worker_pids()
            os.kill(pid, signal.SIGKILL)
            for w in workers:
                try:
                    os.kill(w, signal.SIGKILL)
                except ProcessLookupError:
                    pass

    def request(self, raw, timeout=10):
        return http(self.port, raw, timeout)

    def get(self, uri, headers=(), method="GET", body=None):
        return self.request(build_request(method, uri, headers, body))

    def log(self):
        try:
            with open(os.path.join(self.prefix, "logs", "error.log"),
                      errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def log_tail(self, lines=30):
        text = self.log().splitlines()
        return "\n--- error_log tail ---\n" + "\n".join(text[-lines:])

    def omnictl(self, *args, input=None):
        return subprocess.run([OMNICTL] + [self.subst(a) for a in args],
                              capture_output=True, text=True, input=input,
                              timeout=120)

    def sanitizer_env(self):
        return sanitizer_env(self.san_dir)

    def sanitizer_reports(self):
        return sanitizer_reports(self.san_dir, self.log())

    def cleanup(self, failed):
        for u in self.upstreams:
            u.stop()
        reports = self.sanitizer_reports()
        if reports:
            # a case that failed already says so; the report is shown too
            if not failed:
                raise Failure("sanitizer reports (prefix kept: %s):\n%s"
                              % (self.prefix, reports[:20000]))
            print("    " + reports[:20000].replace("\n", "\n    "))
            return
        if failed or self.keep:
            return
        shutil.rmtree(self.prefix, ignore_errors=True)


def sanitizer_env(san_dir):
    """The environment nginx runs in under OMNI_SANITIZE, reports going to
    san_dir: the workers inherit the runtimes' settings from the master,
    which nginx starts with them (an nginx "env" directive is not
    needed)."""
    if not SANITIZE:
        return {}
    os.makedirs(san_dir, exist_ok=True)
    os.chmod(san_dir, 0o777)
    return {
        "LD_PRELOAD": SANITIZE,
        # nginx is not built with ASan: its own allocations that live as
        # long as the process would be reported as leaks
        "ASAN_OPTIONS": "log_path=%s/asan:detect_leaks=0:"
                        "halt_on_error=1:handle_abort=1" % san_dir,
        # gcc's UBSan runtime (libubsan, apart from libasan) starts at its
        # first report, in a worker, and reads its options from
        # /proc/self/environ, where nginx has written its process title by
        # then: its reports go to stderr, that is the error log
        "UBSAN_OPTIONS": "log_path=%s/ubsan:print_stacktrace=1:"
                         "halt_on_error=1" % san_dir,
    }


def sanitizer_reports(san_dir, log=""):
    """The reports the sanitizer runtimes wrote into san_dir or into the
    error log's text, as one text ("" when there is none)."""
    if not SANITIZE:
        return ""
    out = []
    if os.path.isdir(san_dir):
        for name in sorted(os.listdir(san_dir)):
            with open(os.path.join(san_dir, name), errors="replace") as f:
                out.append("--- %s ---\n%s" % (name, f.read()))
    lines = [l for l in log.splitlines() if SANITIZER_LOG.search(l)]
    if lines:
        out.append("--- error_log ---\n" + "\n".join(lines))
    return "\n".join(out)


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split()[2] != "Z"
    except OSError:
        return False


class Upstream:
    """The test upstream (tests/nginx/upstream.py) on its own port."""

    def __init__(self, docroot, port=None):
        self.port = port or free_port()
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "upstream.py"),
             str(self.port), docroot],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), 1).close()
                return
            except OSError:
                time.sleep(0.02)
        raise Failure("test upstream did not start")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def slug(name):
    return re.sub(r"[^A-Za-z0-9]+", "-", name)[:40].strip("-")


def indent(text, n):
    return "\n".join((" " * n + line) if line.strip() else ""
                     for line in text.splitlines())


# ---------------------------------------------------------------- blocks


# sections that configure the instance; every other section is a step
CONFIG_SECTIONS = {"config", "http_config", "main_config", "user_files",
                   "must_die", "workers", "log_level", "upstream",
                   "allow_error_log", "skip"}


class Block:
    def __init__(self, path, number, name, line):
        self.path = path
        self.number = number
        self.name = name
        self.line = line
        self.config = {}
        self.steps = []

    def title(self):
        return "%s:%d %s" % (os.path.basename(self.path), self.line,
                             self.name)


def parse_blocks(path):
    blocks = []
    block = None
    section = None

    with open(path) as f:
        lines = f.read().split("\n")

    def close_section():
        if block is None or section is None:
            return
        name, args, body = section
        text = "\n".join(body)
        if name in CONFIG_SECTIONS:
            block.config[name] = (args, text)
        else:
            block.steps.append((name, args, text))

    for no, line in enumerate(lines, 1):
        m = re.match(r"^=== (TEST\s*\d*):?\s*(.*)$", line)
        if m:
            close_section()
            section = None
            block = Block(path, len(blocks) + 1, m.group(2).strip(), no)
            blocks.append(block)
            continue
        m = re.match(r"^--- (\w+)\s*(.*)$", line)
        if m and block is not None:
            close_section()
            section = (m.group(1), m.group(2).split(), [])
            continue
        if section is not None:
            section[2].append(line)

    close_section()

    # trailing blank lines belong to no section
    for b in blocks:
        b.steps = [(n, a, t.rstrip("\n") + ("\n" if t.strip() else ""))
                   for n, a, t in b.steps]
        b.config = {n: (a, t.rstrip("\n")) for n, (a, t) in b.config.items()}
    return blocks


class Client:
    """State of the visitor a block plays: its cookie jar and captures."""

    def __init__(self):
        self.jar = {}
        self.last = None
        self.last_request = None
        self.pending_headers = []

    def absorb(self, response):
        for value in response.header_all("Set-Cookie"):
            pair = value.split(";")[0]
            name, _, val = pair.partition("=")
            attrs = value.lower()
            if re.search(r"max-age=0\b", attrs) or val == "":
                self.jar.pop(name.strip(), None)
            else:
                self.jar[name.strip()] = val.strip()


def run_block(block, module_args):
    args_workers = block.config.get("workers", ([], "1"))[1].strip() or "1"
    log_level = block.config.get("log_level", ([], "info"))[1].strip()
    ngx = Nginx(block.name, workers=args_workers, log_level=log_level,
                keep=module_args.keep)
    client = Client()
    failed = True
    started = False

    try:
        if "upstream" in block.config:
            up = Upstream(os.path.join(ngx.prefix, "html"))
            ngx.upstreams.append(up)
            ngx.vars["UPSTREAM_PORT"] = str(up.port)

        for path, content in user_files(block):
            ngx.write_file(ngx.subst(path), ngx.subst(content))

        ngx.write_conf(block.config.get("config", ([], ""))[1],
                       block.config.get("http_config", ([], ""))[1],
                       block.config.get("main_config", ([], ""))[1])

        if "must_die" in block.config:
            for name, args, text in block.steps:
                if name == "exec":
                    run_step(ngx, client, name, args, text)
            rc, out = ngx.test_config()
            if rc == 0:
                raise Failure("nginx -t accepted the configuration")
            for name, args, text in block.steps:
                if name == "error_log":
                    for want in lines_of(ngx.subst(text)):
                        if want not in out:
                            raise Failure("nginx -t output lacks %r:\n%s"
                                          % (want, out))
                elif name == "error_log_like":
                    for want in lines_of(text):
                        if not re.search(ngx.subst(want), out):
                            raise Failure("nginx -t output does not match "
                                          "%r:\n%s" % (want, out))
                elif name != "exec":
                    raise Failure("section %r makes no sense with must_die"
                                  % name)
            failed = False
            return

        rc, out = ngx.test_config()
        if rc != 0:
            raise Failure("nginx -t failed:\n" + out)

        ngx.start()
        started = True

        for name, args, text in block.steps:
            run_step(ngx, client, name, args, text)

        ngx.stop()
        started = False
        check_log(ngx, block)
        failed = False

    except Failure as e:
        report = [str(e)]
        if client.last_request is not None:
            report.append("--- request ---\n" + client.last_request.decode(
                "latin-1", "replace").rstrip())
        if client.last is not None:
            report.append("--- response ---\n" + str(client.last))
        report.append(ngx.log_tail())
        report.append("(prefix kept: %s)" % ngx.prefix)
        raise Failure("\n".join(report))

    finally:
        if started:
            try:
                ngx.kill()
            except OSError:
                pass
        ngx.cleanup(failed)


def user_files(block):
    if "user_files" not in block.config:
        return []
    files = []
    current = None
    for line in block.config["user_files"][1].split("\n"):
        m = re.match(r"^>>> (\S+)", line)
        if m:
            current = [m.group(1), []]
            files.append(current)
        elif current is not None:
            current[1].append(line)
    return [(p, "\n".join(c) + "\n") for p, c in files]


def lines_of(text):
    return [l for l in text.split("\n") if l.strip()]


def check_log(ngx, block):
    log = ngx.log()
    allowed = lines_of(block.config.get("allow_error_log", ([], ""))[1])
    expected = [w for n, a, t in block.steps
                if n in ("error_log", "error_log_like") for w in lines_of(t)]
    for line in log.splitlines():
        bad = BAD_LOG.search(line) or ERROR_LOG.search(line)
        if not bad:
            continue
        if any(a in line for a in allowed) or \
                any(e in line or re.search(e, line) for e in expected):
            continue
        raise Failure("unexpected line in error_log:\n" + line)


def run_step(ngx, client, name, args, text):
    # response_headers substitutes line by line: a line may use what an
    # earlier line of the same section captured
    text_s = text if name == "response_headers" else ngx.subst(text)

    if name == "more_headers":
        for line in lines_of(text_s):
            n, _, v = line.partition(":")
            client.pending_headers.append((n.strip(), v.strip()))

    elif name == "clear_cookies":
        client.jar.clear()

    elif name in ("request", "raw_request"):
        if name == "raw_request":
            raw = text_s.replace("\r\n", "\n").replace("\n", "\r\n")
            raw = raw.encode("latin-1")
        else:
            raw = make_request(client, text_s.strip("\n"))
        client.pending_headers = []
        client.last_request = raw
        client.last = None
        client.last = ngx.request(raw)
        client.absorb(client.last)
        if "error_code" not in args and "any_status" not in args and \
                client.last.status >= 500:
            raise Failure("server error %d" % client.last.status)

    elif name == "error_code":
        want = int(text_s.strip())
        if need(client).status != want:
            raise Failure("status %d, expected %d"
                          % (client.last.status, want))

    elif name == "response_headers":
        check_headers(ngx, client, text)

    elif name == "response_body":
        body = need(client).text()
        want = text_s
        if "chomp" in args:
            want = want[:-1] if want.endswith("\n") else want
        if body != want:
            raise Failure("body differs:\n--- want ---\n%s\n--- got ---\n%s"
                          % (want, body))

    elif name == "response_body_like":
        for pat in lines_of(text_s):
            if not re.search(pat, need(client).text(), re.S):
                raise Failure("body does not match %r" % pat)

    elif name == "response_body_unlike":
        for pat in lines_of(text_s):
            if re.search(pat, need(client).text(), re.S):
                raise Failure("body matches %r" % pat)

    elif name == "error_log":
        time.sleep(0.05)
        log = ngx.log()
        for want in lines_of(text_s):
            if want not in log:
                raise Failure("error_log lacks %r" % want)

    elif name == "error_log_like":
        time.sleep(0.05)
        for want in lines_of(text_s):
            if not re.search(want, ngx.log()):
                raise Failure("error_log does not match %r" % want)

    elif name == "no_error_log":
        time.sleep(0.05)
        log = ngx.log()
        for bad in lines_of(text_s):
            if bad in log:
                raise Failure("error_log has %r" % bad)

    elif name == "exec":
        for cmd in lines_of(text_s):
            p = subprocess.run(cmd, shell=True, capture_output=True,
                               text=True, timeout=120,
                               env=dict(os.environ, OMNICTL=OMNICTL))
            if p.returncode != 0 and "may_fail" not in args:
                raise Failure("command failed (%d): %s\n%s%s"
                              % (p.returncode, cmd, p.stdout, p.stderr))
            ngx.vars["STDOUT"] = p.stdout.strip()

    elif name == "stdout_like":
        for pat in lines_of(text_s):
            if not re.search(pat, ngx.vars.get("STDOUT", ""), re.S):
                raise Failure("command output does not match %r:\n%s"
                              % (pat, ngx.vars.get("STDOUT", "")))

    elif name == "sleep":
        time.sleep(float(text_s.strip()))

    elif name == "reload":
        ngx.reload()

    else:
        raise Failure("unknown section --- %s" % name)


def need(client):
    if client.last is None:
        raise Failure("no response to check: add a --- request first")
    return client.last


def make_request(client, text):
    """A request section: METHOD URI, then optional body after a blank."""
    head, _, body = text.partition("\n\n")
    parts = head.split("\n")[0].split()
    if len(parts) == 1:
        parts = ["GET"] + parts
    method, uri = parts[0], parts[1]
    headers = list(client.pending_headers)
    for line in head.split("\n")[1:]:
        n, _, v = line.partition(":")
        headers.append((n.strip(), v.strip()))
    if client.jar and not any(n.lower() == "cookie" for n, v in headers):
        headers.append(("Cookie", "; ".join("%s=%s" % kv
                                            for kv in client.jar.items())))
    return build_request(method, uri, headers,
                         body.encode() if body else None)


def check_headers(ngx, client, text):
    resp = need(client)
    for line in lines_of(text):
        line = line.strip()
        if line.startswith("!"):
            name = line[1:].strip()
            if resp.header(name) is not None:
                raise Failure("header %s present: %s"
                              % (name, resp.header(name)))
            continue
        name, _, want = line.partition(":")
        name, want = name.strip(), want.strip()
        values = resp.header_all(name)
        if want.startswith("~"):
            pat = ngx.subst(want[1:].strip())
            for v in values:
                m = re.search(pat, v)
                if m:
                    # named groups are kept as placeholders for later steps
                    ngx.vars.update({k: v for k, v in
                                     m.groupdict().items() if v is not None})
                    break
            else:
                raise Failure("header %s: %r does not match %r"
                              % (name, values, pat))
        else:
            want = ngx.subst(want)
            if want not in values:
                raise Failure("header %s: %r, expected %r"
                              % (name, values, want))
