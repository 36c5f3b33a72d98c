# Differential check of the proxy's framing against an independent parser: every hostile request
# in corpus/*.txt is sent through a node to an origin that parses with Node's llhttp
# (llhttp_origin.js), and the bytes the origin received must be framed by llhttp exactly as the
# proxy forwarded them (same number of requests, same method, path and body length, each carrying
# the proxy's Via and X-Request-Id and exactly one valid Host), or the proxy must have refused
# without letting any part of the refused request through. A small strict RFC 9112 parser in this
# file frames both the client's bytes and the forwarded bytes, so "what the proxy meant" is
# recomputed independently of both the proxy and llhttp. Needs `node` (Debian: nodejs).
#   X0_BINARY=build/x0tta6bl4 python3 -m unittest -v test_differential
# X0_DIFF_VERBOSE=1 prints every case's outcome (statuses, llhttp requests, problems).
import base64
import json
import os
import re
import select
import shutil
import socket
import threading
import time
import unittest

from harness import IntegrationTest, port_open, request, service, wait_until, free_port

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS_DIR = os.path.join(HERE, "corpus")
ORIGIN_JS = os.path.join(HERE, "llhttp_origin.js")
NODEJS = shutil.which("node") or shutil.which("nodejs")
VIA = "1.1 x0tta6bl4"
LANES = 4            # node + origin pairs run side by side; each runs its cases one at a time
FIRST_BYTE_S = 1.2   # longer than header_timeout_ms, so a 408 is seen
QUIET_S = 0.2        # no byte for this long after the last one: the proxy has said all
HARD_S = 2.5         # upper bound per case

# --- corpus -------------------------------------------------------------------------------------

_ESCAPES = {"r": b"\r", "n": b"\n", "t": b"\t", "0": b"\0", "\\": b"\\"}
_REPEAT = re.compile(r"\{(\d+):([^}]*)\}")


def unescape(text):
    out, i = bytearray(), 0
    while i < len(text):
        c = text[i]
        if c != "\\":
            out += c.encode("latin-1")
            i += 1
        elif text[i + 1] in _ESCAPES:
            out += _ESCAPES[text[i + 1]]
            i += 2
        elif text[i + 1] == "x":
            out.append(int(text[i + 2:i + 4], 16))
            i += 4
        elif text[i + 1] == "{":
            m = _REPEAT.match(text, i + 1)
            out += unescape(m.group(2)) * int(m.group(1))
            i = m.end()
        else:
            raise ValueError(f"unknown escape \\{text[i + 1]} in {text!r}")
    return bytes(out)


class Case:
    def __init__(self, name, source):
        self.name, self.source, self.data, self.forwards = name, source, b"", None


def load_corpus():
    """Every case of corpus/*.txt in file order (format: corpus/README.md)."""
    cases, names = [], set()
    for file in sorted(f for f in os.listdir(CORPUS_DIR) if f.endswith(".txt")):
        case = None
        with open(os.path.join(CORPUS_DIR, file), encoding="ascii") as f:
            for line in f.read().split("\n"):
                if line.startswith("==="):
                    case = Case(line[3:].strip(), file)
                    assert case.name not in names, f"duplicate case {case.name}"
                    names.add(case.name)
                    cases.append(case)
                elif not line.strip() or line.startswith("#"):
                    continue
                elif line.startswith("!"):
                    key, _, value = line[1:].strip().partition(" ")
                    assert key == "forwards", f"{file}: unknown directive {line!r}"
                    case.forwards = int(value)
                else:
                    assert case is not None, f"{file}: data before the first ===: {line!r}"
                    case.data += unescape(line)
    return cases


# --- a strict RFC 9112 parser: the framing the proxy (or the client) meant ----------------------

class Malformed(Exception):
    pass


class Incomplete(Exception):
    pass


_TOKEN = rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_TCHARS = frozenset(b"!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_QUOTED = rb'"(?:[\t \x21\x23-\x5b\x5d-\x7e\x80-\xff]|\\[\t \x21-\x7e\x80-\xff])*"'
_CHUNK_LINE = re.compile(rb"([0-9A-Fa-f]+)((?:[ \t]*;[ \t]*" + _TOKEN + rb"(?:[ \t]*=[ \t]*(?:"
                         + _TOKEN + rb"|" + _QUOTED + rb"))?)*)")
_REQUEST_LINE = re.compile(rb"(" + _TOKEN + rb") ([A-Za-z0-9\-._~:/?\[\]@!$&'()*+,;=%]+) "
                           rb"HTTP/([0-9])\.([0-9])")
_STATUS_LINE = re.compile(rb"HTTP/1\.[01] ([0-9]{3}) [\t \x21-\x7e\x80-\xff]*")


class Message:
    """One message as the strict parser framed it; headers are (lower-case name, value bytes)."""

    def __init__(self):
        self.method = self.target = None
        self.version = (1, 1)
        self.status = 0
        self.headers, self.trailers = [], []
        self.body = b""

    def values(self, name):
        return [v for n, v in self.headers if n == name]

    def header(self, name):
        v = self.values(name)
        return v[0] if v else None


def _line(data, pos):
    nl = data.find(b"\n", pos)
    cr = data.find(b"\r", pos, nl if nl >= 0 else len(data))
    if cr >= 0 and cr + 1 < len(data) and data[cr + 1] != 0x0A:
        raise Malformed(f"bare CR at byte {cr}")
    if nl < 0:
        raise Incomplete()
    if nl == pos or data[nl - 1] != 0x0D:
        raise Malformed(f"bare LF at byte {nl}")
    return data[pos:nl - 1], nl + 1


def _fields(data, pos):
    fields = []
    while True:
        line, pos = _line(data, pos)
        if not line:
            return fields, pos
        if line[0] in b" \t":
            raise Malformed(f"obs-fold or whitespace before a field name: {line[:40]!r}")
        name, colon, value = line.partition(b":")
        if not colon or not name or any(c not in _TCHARS for c in name):
            raise Malformed(f"invalid field line {line[:40]!r}")
        value = value.strip(b" \t")
        if any(not (c == 9 or 32 <= c <= 126 or c >= 128) for c in value):
            raise Malformed(f"control character in the value of {name!r}")
        fields.append((name.decode("latin-1").lower(), value))


def _chunked(data, pos, msg):
    body = bytearray()
    while True:
        line, pos = _line(data, pos)
        m = _CHUNK_LINE.fullmatch(line)
        if not m:
            raise Malformed(f"invalid chunk-size line {line[:40]!r}")
        if len(m.group(1).lstrip(b"0")) > 15:
            raise Malformed("chunk size overflow")
        size = int(m.group(1), 16)
        if size == 0:
            msg.trailers, pos = _fields(data, pos)
            msg.body = bytes(body)
            return pos
        if len(data) < pos + size + 2:
            raise Incomplete()
        if data[pos + size:pos + size + 2] != b"\r\n":
            raise Malformed("chunk data not followed by CRLF")
        body += data[pos:pos + size]
        pos += size + 2


def _body(data, pos, msg, request):
    te, cl = msg.values("transfer-encoding"), msg.values("content-length")
    if te:
        if request and msg.version == (1, 0):
            raise Malformed("Transfer-Encoding in HTTP/1.0")
        if cl:
            raise Malformed("Content-Length with Transfer-Encoding")
        codings = [c.strip(b" \t").lower() for v in te for c in v.split(b",")]
        if not all(codings) or codings[-1] != b"chunked" or b"chunked" in codings[:-1]:
            raise Malformed(f"transfer codings {b', '.join(te)!r} do not end in one chunked")
        return _chunked(data, pos, msg)
    if cl:
        if len(cl) > 1 or not re.fullmatch(rb"[0-9]{1,18}", cl[0]):
            raise Malformed(f"Content-Length {b', '.join(cl)!r}")
        n = int(cl[0])
    elif request:
        n = 0
    else:
        n = len(data) - pos  # response delimited by close
    if len(data) < pos + n:
        raise Incomplete()
    msg.body = data[pos:pos + n]
    return pos + n


def _request(data, pos):
    while data.startswith(b"\r\n", pos):  # RFC 9112 2.2
        pos += 2
    line, pos = _line(data, pos)
    m = _REQUEST_LINE.fullmatch(line)
    if not m:
        raise Malformed(f"invalid request line {line[:60]!r}")
    msg = Message()
    msg.method, msg.target = m.group(1).decode(), m.group(2).decode()
    msg.version = (int(m.group(3)), int(m.group(4)))
    if msg.version not in ((1, 0), (1, 1)):
        raise Malformed(f"HTTP version {msg.version}")
    msg.headers, pos = _fields(data, pos)
    return msg, _body(data, pos, msg, True)


def parse_requests(data):
    """(requests, problem): the requests framed from the start, and why parsing stopped early."""
    out, pos = [], 0
    while pos < len(data):
        try:
            msg, pos = _request(data, pos)
        except Incomplete:
            return out, f"request {len(out) + 1} incomplete ({len(data) - pos} bytes)"
        except Malformed as e:
            return out, f"request {len(out) + 1}: {e}"
        out.append(msg)
    return out, None


def parse_responses(data, methods):
    """(responses, problem, incomplete) for a response stream; methods: the requests' methods."""
    out, pos, finals = [], 0, 0
    while pos < len(data):
        try:
            line, p = _line(data, pos)
            m = _STATUS_LINE.fullmatch(line)
            if not m:
                raise Malformed(f"invalid status line {line[:60]!r}")
            msg = Message()
            msg.status = int(m.group(1))
            msg.headers, p = _fields(data, p)
            method = methods[finals] if finals < len(methods) else "GET"
            if msg.status < 200 or msg.status in (204, 304) or method == "HEAD":
                pos = p
            else:
                pos = _body(data, p, msg, False)
        except Incomplete:
            return out, "incomplete response at the end of the stream", True
        except Malformed as e:
            return out, f"response {len(out) + 1}: {e}", False
        out.append(msg)
        finals += msg.status >= 200
    return out, None, False


# --- what must agree ----------------------------------------------------------------------------

_UNRESERVED = re.compile(r"%(2[dDeE]|3[0-9]|[46][1-9a-fA-F]|[57][0-9aA]|5[fF]|7[eE])")
_AUTHORITY = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~%!$&'()*+,;=]+)(:[0-9]*)?")


def normalise_target(target):
    """RFC 3986 6.2.2: percent-decode unreserved, upper-case escapes, remove dot segments."""
    if target == "*":
        return target
    m = re.match(r"(?i)https?://[^/?]*", target)
    if m:
        target = target[m.end():] or "/"
    path, q, query = target.partition("?")
    path = _UNRESERVED.sub(lambda e: chr(int(e.group(1), 16)), path)
    path = re.sub(r"%[0-9a-f]{2}", lambda e: e.group(0).upper(), path)
    out = []
    for seg in path.split("/")[1:]:
        if seg == "..":
            out = out[:-1]
        elif seg != ".":
            out.append(seg)
    if path.split("/")[-1] in (".", ".."):
        out.append("")
    return "/" + "/".join(out) + q + query


def canonical_authority(value, scheme="http"):
    """Lower case, no trailing dot, default port removed (the issue's one canonical authority)."""
    m = re.fullmatch(r"(\[[^\]]*\]|[^:]*)(?::([0-9]*))?", value.lower())
    if not m:
        return value.lower()
    host, port = m.group(1).rstrip("."), m.group(2) or ""
    return host if port in ("", "443" if scheme == "https" else "80") else f"{host}:{port}"


def client_authority(msg):
    m = re.match(r"(?i)(https?)://([^/?]*)", msg.target)
    if m:
        return canonical_authority(m.group(2), m.group(1).lower())
    hosts = msg.values("host")
    return canonical_authority(hosts[0].decode("latin-1")) if len(hosts) == 1 else None


def raw_values(req, name):
    h = req["rawHeaders"]
    return [h[i + 1] for i in range(0, len(h), 2) if h[i].lower() == name]


def describe(req):
    return f"{req['method']} {req['url'][:60]}"


def check_origin_connection(conn, problems):
    """llhttp against the strict parser on one upstream connection's bytes."""
    raw = base64.b64decode(conn["raw"])
    # HPE_* are llhttp's parse errors; socket errors (ECONNRESET when the node closes with bytes
    # unread) say nothing about framing. Node's own timeouts show up as an incomplete request.
    errors = [e for e in conn["errors"] if (e["code"] or "").startswith("HPE_")]
    for e in errors:
        problems.append(f"upstream conn {conn['id']}: llhttp refused the forwarded bytes: "
                        f"{e['code']} ({e['reason']}) at byte {e['bytesParsed']} of {raw[:300]!r}")
    strict, problem = parse_requests(raw)
    if problem:
        problems.append(f"upstream conn {conn['id']}: forwarded bytes are not strict HTTP/1.1: "
                        f"{problem}; bytes {raw[:300]!r}")
    llhttp = conn["requests"]
    if len(strict) != len(llhttp) and not errors and not problem:
        problems.append(f"upstream conn {conn['id']}: strict parser frames {len(strict)} requests,"
                        f" llhttp {len(llhttp)} ({[describe(r) + ' ' + r['kind'] for r in llhttp]})")
    for i, (s, l) in enumerate(zip(strict, llhttp), 1):
        mine = (s.method, s.target, len(s.body))
        theirs = (l["method"], l["url"], l["bodyBytes"])
        if mine != theirs:
            problems.append(f"upstream conn {conn['id']} request {i}: strict parser frames "
                            f"{mine}, llhttp {theirs}")


def check_forwarded_request(req, problems):
    """Every request llhttp saw must have come from the proxy and carry one valid Host."""
    what = describe(req)
    hosts = raw_values(req, "host")
    if len(hosts) != 1:
        problems.append(f"{what} reached the origin with {len(hosts)} Host fields {hosts}")
    elif not _AUTHORITY.fullmatch(hosts[0]):
        problems.append(f"{what} reached the origin with an invalid Host {hosts[0]!r}")
    via = ",".join(raw_values(req, "via"))
    if via.split(",")[-1].strip() != VIA:
        problems.append(f"{what} reached the origin without Via: {VIA} (smuggled past the "
                        f"proxy); Via {via!r}, headers {req['rawHeaders'][:12]}")
    if not req["complete"]:
        problems.append(f"{what}: llhttp still waits for the end of its body "
                        f"({req['bodyBytes']} bytes so far)")


def check_answer(j, resp, req, client, problems):
    """Client response j answered origin request req; client is the client's request j."""
    ids = raw_values(req, "x-request-id")
    rid = (resp.header("x-request-id") or b"").decode("latin-1")
    if ids != [rid]:
        problems.append(f"client response {j + 1} (X-Request-Id {rid!r}) answers origin request "
                        f"{describe(req)} with X-Request-Id {ids}: a response to a request the "
                        f"proxy did not send was delivered to the client")
    if client is None:
        return
    if req["method"] != client.method or req["bodyBytes"] != len(client.body):
        problems.append(f"client request {j + 1} is {client.method} with a {len(client.body)}-byte"
                        f" body; the origin saw {req['method']} with {req['bodyBytes']} bytes")
    want, got = normalise_target(client.target), normalise_target(req["url"])
    if want != got:
        problems.append(f"client request {j + 1} asked for {want!r}; the origin saw {got!r}")
    authority = client_authority(client)
    hosts = raw_values(req, "host")
    if authority and len(hosts) == 1 and canonical_authority(hosts[0]) != authority:
        problems.append(f"client request {j + 1} is for authority {authority!r}; the origin saw "
                        f"Host {hosts[0]!r}")


def differential_problems(case, received, records):
    """Everything that breaks the invariant for one case ([] when it holds)."""
    problems = []
    client, _ = parse_requests(case.data)
    responses, problem, _ = parse_responses(received, [m.method for m in client])
    if problem:
        problems.append(f"client got a malformed response stream: {problem}; {received[:300]!r}")
    finals = [r for r in responses if r.status >= 200]
    answered = [r for r in finals if r.header("x-llhttp-origin") == b"1"]
    for r in finals:
        if r.header("x-llhttp-origin") == b"1":
            continue
        if r.header("x-llhttp-origin") is not None:
            problems.append(f"client got the origin's llhttp error {r.status}")
            continue
        try:
            body = json.loads(r.body)
            refusal = r.status >= 400 and isinstance(body, dict) and "error" in body
        except ValueError:
            refusal = False
        if not refusal:
            problems.append(f"client got a {r.status} neither from the origin nor a JSON refusal")
    llhttp = {}
    for conn in records["connections"]:
        check_origin_connection(conn, problems)
        for seq, req in enumerate(conn["requests"], 1):
            llhttp[(conn["id"], seq)] = req
            check_forwarded_request(req, problems)
    if len(llhttp) != len(answered):
        problems.append(f"the origin's llhttp parsed {len(llhttp)} requests "
                        f"({[describe(r) for r in llhttp.values()]}) but the client got "
                        f"{len(answered)} responses from the origin")
    seen = set()
    for j, r in enumerate(finals):  # final response j answers client request j (RFC 9112 9.3.2)
        if r not in answered:
            continue
        key = (int(r.header("x-llhttp-conn") or 0), int(r.header("x-llhttp-seq") or 0))
        if key not in llhttp or key in seen:
            problems.append(f"client response {j + 1} claims origin request {key}, "
                            f"{'answered twice' if key in seen else 'which llhttp never parsed'}")
            continue
        seen.add(key)
        check_answer(j, r, llhttp[key], client[j] if j < len(client) else None, problems)
    if case.forwards is not None and len(answered) != case.forwards:
        problems.append(f"control case: {case.forwards} requests must be forwarded, "
                        f"{len(answered)} were; statuses {[r.status for r in finals]}")
    return problems


# --- running the corpus -------------------------------------------------------------------------

class Lane:
    """One llhttp origin and one node routing / to it; runs cases one at a time."""

    def __init__(self, test, index):
        self.data_port, self.control_port = free_port(), free_port()
        self.origin = test.start_process(
            [NODEJS, ORIGIN_JS, str(self.data_port), str(self.control_port)], f"llhttp-{index}")
        wait_until(lambda: port_open(self.control_port) or self._died(), 10,
                   message="llhttp origin to listen")
        # No health checks, retries, cache or passive ejection: the origin sees exactly what
        # the proxy forwards for the case, and a case that upsets the origin cannot take it
        # out of rotation for the cases after it (which would then "pass" as refusals).
        self.node = test.start_node(
            [service("app", [f"127.0.0.1:{self.data_port}"], health_check={"enabled": False},
                     retries=0, cache=False, passive_eject_failures=0, request_timeout_ms=1500)],
            api_gateway={"worker_threads": 1, "header_timeout_ms": 800, "idle_timeout_ms": 3000},
            name=f"node-{index}")

    def _died(self):
        if not self.origin.alive():
            raise AssertionError(f"llhttp origin exited:\n{self.origin.log()}")
        return False

    def records(self):
        return request(self.control_port, "GET", "/__records").json()

    def reset(self):
        request(self.control_port, "POST", "/__reset")
        time.sleep(0.05)  # lets the node see its pooled upstream connections close

    def run(self, case):
        """Sends the case on a fresh connection; returns (bytes received, origin records)."""
        self.reset()
        sock = socket.create_connection(("127.0.0.1", self.node.data_port), timeout=2)
        try:
            sock.sendall(case.data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the node may close before it has read everything
        received, start, last = b"", time.monotonic(), None
        while True:
            now = time.monotonic()
            until = min(start + HARD_S, (last + QUIET_S) if last else start + FIRST_BYTE_S)
            if now >= until:
                if last and now < start + HARD_S and self._more_to_come(case, received):
                    last = now - QUIET_S + 0.1
                    continue
                break
            readable, _, _ = select.select([sock], [], [], until - now)
            if not readable:
                continue
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                break
            received, last = received + chunk, time.monotonic()
        sock.close()
        time.sleep(0.02)
        return received, self.records()

    def _more_to_come(self, case, received):
        """A response half sent, or the origin answered more than the client has yet."""
        client, _ = parse_requests(case.data)
        responses, _, incomplete = parse_responses(received, [m.method for m in client])
        answered = sum(1 for r in responses if r.header("x-llhttp-origin") == b"1")
        done = sum(1 for c in self.records()["connections"] for r in c["requests"] if r["complete"])
        return incomplete or done > answered


class DifferentialTest(IntegrationTest):
    def test_llhttp_frames_every_forwarded_byte_as_the_proxy_meant(self):
        # No silent skip: scripts/install-deps.sh installs nodejs, and without it this check
        # would pass by not running.
        self.assertIsNotNone(NODEJS, "node not installed (Debian package nodejs, scripts/install-deps.sh)")
        cases = load_corpus()
        self.assertGreaterEqual(len(cases), 80)
        lanes = [Lane(self, i) for i in range(LANES)]
        results = {}

        def work(lane, mine):
            for case in mine:
                try:
                    results[case.name] = lane.run(case)
                except Exception as e:  # reported per case below
                    results[case.name] = e

        threads = [threading.Thread(target=work, args=(lane, cases[i::LANES]))
                   for i, lane in enumerate(lanes)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        verbose = os.environ.get("X0_DIFF_VERBOSE")
        for case in cases:
            with self.subTest(case.name):
                result = results[case.name]
                if isinstance(result, Exception):
                    raise result
                received, records = result
                problems = differential_problems(case, received, records)
                if verbose:
                    statuses = [s.decode() for s in re.findall(rb"HTTP/1\.1 (\d{3})", received)]
                    seen = [len(c["requests"]) for c in records["connections"]]
                    print(f"\n[{case.name}] client got {statuses}, llhttp requests per upstream "
                          f"connection {seen}" + "".join(f"\n  - {p}" for p in problems))
                self.assertEqual(problems, [], f"{case.source}: {case.name}; client sent "
                                 f"{case.data[:200]!r}; client got {received[:400]!r}")


if __name__ == "__main__":
    unittest.main()
