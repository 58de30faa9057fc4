"""A small Chrome DevTools Protocol client over the standard library.

Drives Debian's headless Chromium as one browser session: cookies persist
from page to page like a shopper's, and each step can read the rendered
text and save a screenshot.

    with Browser() as b:
        b.go("http://127.0.0.1:8080/")
        text = b.text()
        b.screenshot("build/artifacts/home.png")
"""

import base64
import json
import os
import shutil
import socket
import struct
import subprocess
import tempfile
import time
import urllib.request

CHROMIUM = "/usr/bin/chromium"


class Browser:
    def __init__(self, width=1280, height=900, timeout=30):
        self.profile = tempfile.mkdtemp(prefix="omni-chromium-")
        self.timeout = timeout
        self.proc = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-dev-shm-usage", "--disable-background-networking",
             "--disable-component-update", "--disable-sync",
             "--disable-extensions", "--no-first-run",
             "--no-default-browser-check", "--hide-scrollbars",
             "--remote-debugging-port=0",
             "--window-size=%d,%d" % (width, height),
             "--user-data-dir=" + self.profile, "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.sock = None
        self.seq = 0
        self.events = []
        port = self._port()
        self._connect(self._page_ws(port))
        self.call("Page.enable")
        self.call("Runtime.enable")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        try:
            if self.sock:
                self.sock.close()
        finally:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
            shutil.rmtree(self.profile, ignore_errors=True)

    # the debugging port is written to DevToolsActivePort in the profile
    def _port(self):
        path = os.path.join(self.profile, "DevToolsActivePort")
        deadline = time.time() + self.timeout
        while time.time() < deadline:
            if os.path.exists(path):
                with open(path) as f:
                    first = f.readline().strip()
                if first.isdigit():
                    return int(first)
            if self.proc.poll() is not None:
                raise RuntimeError("chromium exited (%d)" % self.proc.returncode)
            time.sleep(0.05)
        raise RuntimeError("chromium did not open its debugging port")

    def _page_ws(self, port):
        deadline = time.time() + self.timeout
        while time.time() < deadline:
            with urllib.request.urlopen(
                    "http://127.0.0.1:%d/json/list" % port, timeout=5) as r:
                for target in json.load(r):
                    if target.get("type") == "page":
                        return target["webSocketDebuggerUrl"]
            time.sleep(0.05)
        raise RuntimeError("no page target")

    def _connect(self, url):
        hostport, path = url[len("ws://"):].split("/", 1)
        host, port = hostport.split(":")
        self.sock = socket.create_connection((host, int(port)),
                                             timeout=self.timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(("GET /%s HTTP/1.1\r\nHost: %s\r\n"
                           "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                           "Sec-WebSocket-Key: %s\r\n"
                           "Sec-WebSocket-Version: 13\r\n\r\n"
                           % (path, hostport, key)).encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(1)
            if not chunk:
                raise RuntimeError("websocket handshake failed")
            head += chunk
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise RuntimeError("websocket refused: %r" % head[:100])

    def _send(self, text):
        data = text.encode()
        mask = os.urandom(4)
        n = len(data)
        if n < 126:
            header = struct.pack("!BB", 0x81, 0x80 | n)
        elif n < 65536:
            header = struct.pack("!BBH", 0x81, 0x80 | 126, n)
        else:
            header = struct.pack("!BBQ", 0x81, 0x80 | 127, n)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
        self.sock.sendall(header + mask + masked)

    def _exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise RuntimeError("websocket closed")
            buf += chunk
        return buf

    def _recv(self):
        message = b""
        while True:
            b0, b1 = self._exact(2)
            n = b1 & 0x7f
            if n == 126:
                n = struct.unpack("!H", self._exact(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self._exact(8))[0]
            payload = self._exact(n)
            opcode = b0 & 0x0f
            if opcode == 0x8:
                raise RuntimeError("websocket closed by chromium")
            if opcode in (0x9, 0xa):
                continue
            message += payload
            if b0 & 0x80:
                return json.loads(message)

    def call(self, method, **params):
        self.seq += 1
        ident = self.seq
        self._send(json.dumps({"id": ident, "method": method,
                               "params": params}))
        while True:
            msg = self._recv()
            if msg.get("id") == ident:
                if "error" in msg:
                    raise RuntimeError("%s: %s" % (method, msg["error"]))
                return msg.get("result", {})
            self.events.append(msg)

    def wait_event(self, name):
        for i, msg in enumerate(self.events):
            if msg.get("method") == name:
                del self.events[:i + 1]
                return msg
        while True:
            msg = self._recv()
            if msg.get("method") == name:
                return msg

    def go(self, url):
        self.events = []
        self.call("Page.navigate", url=url)
        self.wait_event("Page.loadEventFired")

    def evaluate(self, expression):
        r = self.call("Runtime.evaluate", expression=expression,
                      returnByValue=True)
        return r.get("result", {}).get("value")

    def text(self):
        return self.evaluate("document.body ? document.body.innerText : ''")

    def html(self):
        return self.evaluate("document.documentElement.outerHTML")

    def screenshot(self, path):
        data = self.call("Page.captureScreenshot", format="png")["data"]
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))
