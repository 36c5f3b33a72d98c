# A scripted origin for byte-exact proxy tests: it records every byte each connection delivers,
# frames requests itself (Content-Length or chunked, nothing cleverer), and answers each with
# what the test's responder returns, including deliberately broken responses. Standard library
# only; one thread per connection; stopped at test cleanup.
import socket
import threading
import time


class Reply:
    """What the origin sends for one request: raw bytes now, optional bytes `late_delay` seconds
    later on the same connection (an origin bug such as a HEAD answered with a body), and whether
    to close afterwards."""

    def __init__(self, raw, late=b"", late_delay=0.05, close=False):
        self.raw, self.late, self.late_delay, self.close = raw, late, late_delay, close


def ok(body=b"ok", headers=()):
    extra = "".join(f"{k}: {v}\r\n" for k, v in headers)
    return Reply(f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n{extra}\r\n".encode() + body)


class Request:
    def __init__(self, head, body):
        self.raw = head + body
        lines = head.decode("latin-1").split("\r\n")
        self.method, self.target, self.version = lines[0].split(" ", 2)
        self.headers = [tuple(x.strip() for x in line.split(":", 1)) for line in lines[1:] if line]
        self.body = body

    def all(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def header(self, name):
        values = self.all(name)
        return values[0] if values else None


def _read_chunked(buf, start):
    """End offset of a chunked body starting at buf[start:], or None when incomplete."""
    i = start
    while True:
        eol = buf.find(b"\r\n", i)
        if eol < 0:
            return None
        size = int(buf[i:eol].split(b";")[0].strip() or b"0", 16)
        i = eol + 2
        if size == 0:
            while True:  # trailers, then the empty line
                eol = buf.find(b"\r\n", i)
                if eol < 0:
                    return None
                if eol == i:
                    return eol + 2
                i = eol + 2
        if len(buf) < i + size + 2:
            return None
        i += size + 2


def split_request(buf):
    """(Request, rest) for the first complete request in buf, or (None, buf)."""
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return None, buf
    head = buf[:end + 4]
    probe = Request(head, b"")
    te = (probe.header("Transfer-Encoding") or "").lower()
    if "chunked" in te:
        stop = _read_chunked(buf, end + 4)
        if stop is None:
            return None, buf
        return Request(head, buf[end + 4:stop]), buf[stop:]
    length = int(probe.header("Content-Length") or 0)
    if len(buf) < end + 4 + length:
        return None, buf
    return Request(head, buf[end + 4:end + 4 + length]), buf[end + 4 + length:]


class RecordingOrigin:
    """Listens on 127.0.0.1:port. responder(Request) -> Reply (default: 200 "ok")."""

    def __init__(self, responder=None):
        self.responder = responder or (lambda req: ok())
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(128)
        self.port = self.sock.getsockname()[1]
        self.lock = threading.Lock()
        self.connections = []  # bytearray per accepted connection, in accept order
        self.requests = []     # every framed Request, in arrival order
        self.stopped = False
        threading.Thread(target=self._accept, daemon=True).start()

    def endpoint(self):
        return f"127.0.0.1:{self.port}"

    def stop(self):
        self.stopped = True
        try:
            self.sock.close()
        except OSError:
            pass

    def received(self):
        """Every byte the origin received, all connections concatenated in accept order."""
        with self.lock:
            return b"".join(bytes(c) for c in self.connections)

    def wait_requests(self, n, timeout=5.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.requests) >= n:
                    return list(self.requests)
            time.sleep(0.02)
        with self.lock:
            return list(self.requests)

    def _accept(self):
        while not self.stopped:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            record = bytearray()
            with self.lock:
                self.connections.append(record)
            threading.Thread(target=self._serve, args=(conn, record), daemon=True).start()

    def _serve(self, conn, record):
        buf = b""
        conn.settimeout(10)
        try:
            while not self.stopped:
                data = conn.recv(65536)
                if not data:
                    return
                with self.lock:
                    record.extend(data)
                buf += data
                while True:
                    req, buf = split_request(buf)
                    if req is None:
                        break
                    with self.lock:
                        self.requests.append(req)
                    reply = self.responder(req)
                    conn.sendall(reply.raw)
                    if reply.late:
                        time.sleep(reply.late_delay)
                        conn.sendall(reply.late)
                    if reply.close:
                        return
        except OSError:
            return
        finally:
            conn.close()
