"""An HTTP server for the webhook tests, on 127.0.0.1 (standard library).

    httpd.py DIR PORTFILE [ok|fail|refuse|slow|flaky|drop]

Listens on a free port, written to PORTFILE once it listens.  Each request
is saved in DIR as N.json (the body) and N.headers (the header lines as
received, "Name: value"), both complete before any answer.  DIR/log gets
"connection" for each connection accepted and "request N KEY STATUS" for
each request (KEY its Idempotency-Key or "-", STATUS what was answered,
"none" or "drop").  ok answers 200, fail 500, refuse 404; slow never
answers; flaky answers 503 with Retry-After: 1 to the first request of
each Idempotency-Key and 200 to the next; drop reads the request and
closes the connection.  HTTP/1.1 with keep-alive.  Stopped by SIGTERM.
"""
import http.server
import os
import signal
import sys
import threading


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, directory, mode):
        super().__init__(("127.0.0.1", 0), Handler)
        self.dir = directory
        self.mode = mode
        self.n = 0
        self.keys = set()
        self.lock = threading.Lock()

    def log(self, line):
        with self.lock:
            with open(os.path.join(self.dir, "log"), "a") as f:
                f.write(line + "\n")


def save(path, data):
    with open(path + ".tmp", "wb") as f:
        f.write(data)
    os.rename(path + ".tmp", path)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def handle(self):
        self.server.log("connection")
        super().handle()

    def log_message(self, fmt, *args):
        pass

    def answer(self, status, extra=()):
        body = b'{"ok":true}\n' if status == 200 else b""
        self.send_response(status)
        for name, value in extra:
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        srv = self.server
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        key = self.headers.get("Idempotency-Key", "-")
        with srv.lock:
            srv.n += 1
            n = srv.n
            first = key not in srv.keys
            srv.keys.add(key)
        head = "".join("%s: %s\n" % (k, v) for k, v in self.headers.items())
        base = os.path.join(srv.dir, "%d" % n)
        save(base + ".headers", head.encode())
        save(base + ".json", body)
        mode = srv.mode
        if mode == "slow":
            srv.log("request %d %s none" % (n, key))
            threading.Event().wait()
        elif mode == "drop":
            srv.log("request %d %s drop" % (n, key))
            self.close_connection = True
        elif mode == "flaky" and first:
            srv.log("request %d %s 503" % (n, key))
            self.answer(503, [("Retry-After", "1")])
        else:
            status = {"fail": 500, "refuse": 404}.get(mode, 200)
            srv.log("request %d %s %d" % (n, key, status))
            self.answer(status)


def main():
    directory, portfile = sys.argv[1], sys.argv[2]
    mode = sys.argv[3] if len(sys.argv) > 3 else "ok"
    if mode not in ("ok", "fail", "refuse", "slow", "flaky", "drop"):
        sys.exit("httpd.py: unknown mode %s" % mode)
    # A slow request's thread waits for ever: leave without joining it.
    signal.signal(signal.SIGTERM, lambda signum, frame: os._exit(0))
    server = Server(directory, mode)
    port = server.server_address[1]
    with open(portfile + ".tmp", "w") as f:
        f.write("%d\n" % port)
    os.rename(portfile + ".tmp", portfile)
    server.serve_forever()


main()
