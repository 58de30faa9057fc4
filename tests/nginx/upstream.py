#!/usr/bin/env python3
"""A small upstream application for the end-to-end tests.

    upstream.py PORT DOCROOT

Serves DOCROOT like a shop's application server would, with a few knobs
driven by the request so that one upstream covers every case:

- FILE.headers beside FILE: extra response lines ("Name: value"), e.g.
  X-Omni-Event or X-Omni-Customer, sent with FILE.
- ?chunk=N: the body goes out chunked, N bytes per chunk, each flushed.
- ?gzip=1: the body is gzip-compressed (Content-Encoding: gzip).
- ?status=N: that status instead of 200.
- ?delay=S: wait S seconds before answering.
- ?reset=N: send N bytes of the body, then reset the connection.
- /echo: answers with the request's method, path and headers as text.
"""

import gzip
import os
import socket
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

TYPES = {".html": "text/html; charset=utf-8", ".css": "text/css",
         ".js": "application/javascript", ".json": "application/json",
         ".svg": "image/svg+xml", ".txt": "text/plain"}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    docroot = "."

    def log_message(self, *args):
        pass

    def do_HEAD(self):
        self.do_GET()

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0) or 0)
        self.rfile.read(length)
        self.do_GET()

    def do_GET(self):
        url = urlsplit(self.path)
        q = {k: v[-1] for k, v in parse_qs(url.query).items()}

        if "delay" in q:
            time.sleep(float(q["delay"]))

        if url.path == "/echo":
            body = ("%s %s\n" % (self.command, self.path)
                    + "".join("%s: %s\n" % kv for kv in self.headers.items())
                    ).encode()
            return self.send(200, body, "text/plain", [], q)

        path = os.path.normpath(url.path).lstrip("/")
        if path.endswith("/") or path in ("", "."):
            path = os.path.join(path, "index.html")
        full = os.path.join(self.docroot, path)
        if not os.path.isfile(full) or ".." in path:
            return self.send(404, b"not found\n", "text/plain", [], q)

        with open(full, "rb") as f:
            body = f.read()
        extra = []
        if os.path.isfile(full + ".headers"):
            with open(full + ".headers") as f:
                for line in f:
                    if ":" in line:
                        n, _, v = line.partition(":")
                        extra.append((n.strip(), v.strip()))
        ctype = TYPES.get(os.path.splitext(full)[1], "application/octet-stream")
        self.send(int(q.get("status", 200)), body, ctype, extra, q)

    def send(self, status, body, ctype, extra, q):
        if q.get("gzip") == "1":
            body = gzip.compress(body)
            extra = extra + [("Content-Encoding", "gzip")]
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        for n, v in extra:
            self.send_header(n, v)
        chunk = int(q.get("chunk", 0))
        if chunk:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command == "HEAD":
            return
        if "reset" in q:
            self.wfile.write(body[:int(q["reset"])])
            self.wfile.flush()
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       b"\x01\x00\x00\x00\x00\x00\x00\x00")
            self.connection.close()
            return
        if chunk:
            for i in range(0, len(body), chunk):
                part = body[i:i + chunk]
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.wfile.write(body)


def main():
    port, docroot = int(sys.argv[1]), sys.argv[2]
    Handler.docroot = docroot
    ThreadingHTTPServer.daemon_threads = True
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.serve_forever()


if __name__ == "__main__":
    main()
