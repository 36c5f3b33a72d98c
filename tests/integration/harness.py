# Integration-test harness: starts the real x0tta6bl4 binary (nodes and test origins) on loopback,
# or a node inside a network namespace on that namespace's address (netns.py makes them),
# each in its own process group and always killed at tearDown, and gives tests small helpers:
# free ports, generated TOML configs, bounded wait-until helpers, http.client requests, and a raw
# socket client for byte-exact requests. Python standard library only.
import http.client
import fcntl
import ipaddress
import json
import os
import secrets
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import unittest

SOURCE_DIR = os.environ.get(
    "X0_SOURCE_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
BINARY = os.environ.get("X0_BINARY", os.path.join(SOURCE_DIR, "build-integ", "x0tta6bl4"))

# The first line of a report by each sanitizer a test build may use (ASan+UBSan: make asan-test;
# TSan: make tsan-test). TSan reports races as WARNINGs and its own failures as ERROR/FATAL.
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                     "WARNING: ThreadSanitizer", "ERROR: ThreadSanitizer", "FATAL: ThreadSanitizer")
_handed_out = set()

# X0_DATA_OVER_TLS=1 runs a test file with its nodes' data plane over HTTPS: each node the harness
# starts on a generated config also listens on [listeners] https, its data_port *is* that
# listener, and request() and RawClient speak TLS to it (Python's ssl: classical X25519). The
# tests themselves do not change (CMakeLists.txt runs a subset of them this way).
DATA_OVER_TLS = os.environ.get("X0_DATA_OVER_TLS") == "1"
TLS_PORTS = set()
_tls_files = []
_tls_context = []


def tls_certificate():
    """A self-signed P-256 certificate and key for the nodes' HTTPS listener, made once."""
    if not _tls_files:
        directory = tempfile.mkdtemp(prefix="x0-integ-tls-")
        cert, key = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert,
                        "-subj", "/CN=localhost", "-days", "2"], check=True, capture_output=True)
        _tls_files.extend([cert, key])
    return _tls_files


def tls_client_context():
    """Trusts anything (the nodes' certificates are self-signed); one per process, since a new
    one loads the system trust store (about 20 ms)."""
    if not _tls_context:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        _tls_context.append(context)
    return _tls_context[0]


def free_port():
    """A loopback TCP port nobody listens on now (never the same one twice in a run). Also fine
    for a listener in a fresh network namespace, where every port is free."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _handed_out:
            _handed_out.add(port)
            return port
    raise RuntimeError("no free port")


def wait_until(predicate, timeout=10.0, interval=0.05, message="condition"):
    """Polls predicate() until it returns a truthy value (returned) or the deadline passes."""
    deadline = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except (OSError, http.client.HTTPException, ValueError) as e:
            last_error = e
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}"
                         + (f" (last error: {last_error!r})" if last_error else ""))


def all_at_once(fn, args, timeout=30):
    """Runs fn(arg) for every arg on its own thread, released together by a barrier; returns
    the results in the order of args. Any exception fails the caller's test with its repr."""
    import threading
    barrier = threading.Barrier(len(args))
    results, errors = [None] * len(args), []

    def one(i, arg):
        try:
            barrier.wait(5)
            results[i] = fn(arg)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(repr(e))
    threads = [threading.Thread(target=one, args=(i, a)) for i, a in enumerate(args)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout)
    if errors or any(th.is_alive() for th in threads):
        raise AssertionError(f"concurrent calls failed: {errors or 'timed out'}")
    return results


def sanitizer_report(text):
    """True when text holds a sanitizer report (see SANITIZER_MARKERS)."""
    return any(m in text for m in SANITIZER_MARKERS)


def first_report(text, limit=6000):
    """The log from its first sanitizer report on (a node that keeps running logs past it)."""
    starts = [i for i in (text.find(m) for m in SANITIZER_MARKERS) if i >= 0]
    start = max(0, text.rfind("\n", 0, min(starts)) + 1) if starts else max(0, len(text) - limit)
    return text[start:start + limit]


def port_open(port, host="127.0.0.1"):
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def header(self, name, default=None):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return default

    def json(self):
        return json.loads(self.body)

    def text(self):
        return self.body.decode("utf-8", "replace")


def request(port, method="GET", path="/", headers=None, body=None, timeout=5.0,
            host="127.0.0.1"):
    """One request on a fresh connection (http.client); returns a Response."""
    if port in TLS_PORTS:
        conn = http.client.HTTPSConnection(host, port, timeout=timeout,
                                           context=tls_client_context())
    else:
        conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return Response(r.status, r.getheaders(), r.read())
    finally:
        conn.close()


class Process:
    """A child process in its own process group; stdout+stderr go to a log file."""

    def __init__(self, args, log_path, env=None):
        self.args = args
        self.log_path = log_path
        self._log = open(log_path, "ab")
        self.proc = subprocess.Popen(args, stdout=self._log, stderr=subprocess.STDOUT, env=env,
                                     start_new_session=True, cwd=os.path.dirname(log_path))

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def alive(self):
        return self.proc.poll() is None

    def signal(self, sig):
        if self.alive():
            os.kill(self.proc.pid, sig)

    def wait(self, timeout):
        return self.proc.wait(timeout=timeout)

    def kill(self):
        """SIGKILL to the whole group; safe to call twice. Once the child is reaped its id may
        belong to someone else, so a reaped child's group is left alone."""
        if self.proc.returncode is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        self._log.close()


class Origin(Process):
    def __init__(self, workdir, port=None, name=None, error_rate=None, latency_ms=None, wait=True):
        self.port = port or free_port()
        self.name = name or f"origin-{self.port}"
        args = [BINARY, "origin", "--port", str(self.port), "--name", self.name]
        if error_rate is not None:
            args += ["--error-rate", str(error_rate)]
        if latency_ms is not None:
            args += ["--latency-ms", str(latency_ms)]
        super().__init__(args, os.path.join(workdir, f"{self.name}.log"))
        if wait:
            self.wait_listening()

    def wait_listening(self):
        wait_until(lambda: port_open(self.port) or self._died(), 5, message=f"{self.name} to listen")
        return self

    def _died(self):
        if not self.alive():
            raise AssertionError(f"{self.name} exited early:\n{self.log()}")
        return False

    def fault(self, **params):
        query = "&".join(f"{k}={v}" for k, v in params.items())
        r = request(self.port, "POST", "/__fault?" + query)
        assert r.status == 200, r.text()
        return r.json()

    def stats(self):
        return request(self.port, "GET", "/__stats").json()

    def count(self, target):
        """Requests this origin received for the exact target (path?query), /health included."""
        from urllib.parse import quote
        return request(self.port, "GET", "/__stats?target=" + quote(target, safe="")).json()["count"]

    def endpoint(self):
        return f"127.0.0.1:{self.port}"


def toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):  # an inline table
        return "{ " + ", ".join(f"{json.dumps(str(k))} = {toml_value(x)}" for k, x in v.items()) + " }"
    return json.dumps(str(v))


def service(name, endpoints, fallback=(), path_prefixes=("/",), hosts=(), **keys):
    """A [[services]] entry with fast health checks (100 ms, thresholds 1/2) unless overridden."""
    health = {"enabled": True, "path": "/health", "interval_ms": 100, "timeout_ms": 300,
              "healthy_threshold": 1, "unhealthy_threshold": 2}
    health.update(keys.pop("health_check", {}))
    s = {"name": name, "hosts": list(hosts), "path_prefixes": list(path_prefixes),
         "endpoints": list(endpoints), "fallback": list(fallback)}
    s.update(keys)
    s["health_check"] = health
    return s


def render_config(node_sections, services):
    """TOML text from {section: {key: value}} and a list of service() dicts."""
    lines = []
    for section, keys in node_sections.items():
        if isinstance(keys, list):  # an array of tables, e.g. "jwt.providers": [{...}, ...]
            for table in keys:
                lines.append(f"[[{section}]]")
                lines += [f"{k} = {toml_value(v)}" for k, v in table.items()]
                lines.append("")
            continue
        lines.append(f"[{section}]")
        lines += [f"{k} = {toml_value(v)}" for k, v in keys.items()]
        lines.append("")
    for s in services:
        s = dict(s)
        health = s.pop("health_check")
        lines.append("[[services]]")
        lines += [f"{k} = {toml_value(v)}" for k, v in s.items()]
        lines.append("[services.health_check]")
        lines += [f"{k} = {toml_value(v)}" for k, v in health.items()]
        lines.append("")
    return "\n".join(lines)


class Node(Process):
    """A node on a generated config (services given) or on the embedded defaults (services=None).
    exec_prefix runs it inside something, e.g. `ip netns exec NAME` (netns.py); then host, the
    namespace's address, is where all its listeners bind and where the harness reaches it."""

    def __init__(self, workdir, services=None, api_gateway=None, extra_sections=None, env=None,
                 name="node", listeners=None, host="127.0.0.1", exec_prefix=(), run_args=()):
        self.workdir = workdir
        self.config_path = None
        self.host = host
        self.admin_token = None
        full_env = dict(os.environ)
        full_env.update(env or {})
        if services is None:
            self.data_port, self.health_port, self.metrics_port = 8080, 8081, 9090
            args = [*exec_prefix, BINARY, "run"]
        else:
            self.data_port, self.health_port, self.metrics_port = free_port(), free_port(), free_port()
            self.sections = {
                "node": {"id": name, "data_dir": os.path.join(workdir, f"{name}-data")},
                "listeners": {"data": f"{host}:{self.data_port}",
                              "health": f"{host}:{self.health_port}",
                              "metrics": f"{host}:{self.metrics_port}",
                              "mesh": f"{host}:{free_port()}",
                              **(listeners or {})},
                "api_gateway": {"worker_threads": 2, **(api_gateway or {})},
                "logging": {"level": "info"},
            }
            self.sections.update(extra_sections or {})
            if not ipaddress.ip_address(host).is_loopback:
                # The harness is no loopback client of a node on another address: its operator
                # calls (post) need a token (the test's own, if its sections set one).
                self.sections["security"] = {"admin_token": secrets.token_hex(16),
                                             **self.sections.get("security", {})}
                self.admin_token = self.sections["security"]["admin_token"]
            if DATA_OVER_TLS and "https" not in self.sections["listeners"]:
                https_port = free_port()
                self.sections["listeners"]["https"] = f"{host}:{https_port}"
                cert, key = tls_certificate()
                self.sections.setdefault("tls", {"cert_file": cert, "key_file": key})
                self.data_port = https_port
                TLS_PORTS.add(https_port)
            self.config_path = os.path.join(workdir, f"{name}.toml")
            self.write_config(services)
            args = [*exec_prefix, BINARY, "run", "--config", self.config_path, *run_args]
        super().__init__(args, os.path.join(workdir, f"{name}.log"), env=full_env)

    def write_config(self, services, sections=None):
        with open(self.config_path, "w") as f:
            f.write(render_config(sections or self.sections, services))

    def wait_started(self, timeout=10.0):
        """Polls /health/startup until 200; on timeout fails with the node's log."""
        def started():
            if not self.alive():
                raise AssertionError(f"node exited with {self.proc.returncode}:\n{self.log()}")
            try:
                return request(self.health_port, "GET", "/health/startup", timeout=1,
                               host=self.host).status == 200
            except OSError:
                return False
        try:
            wait_until(started, timeout, message="/health/startup to answer 200")
        except AssertionError as e:
            raise AssertionError(f"{e}\n--- node log ---\n{self.log()}") from None
        return self

    def get(self, path, port=None, **kw):
        return request(port or self.data_port, "GET", path, host=self.host, **kw)

    def health(self):
        return request(self.health_port, "GET", "/health", host=self.host).json()

    def post(self, path, body=None, timeout=30.0):
        """POST on the data listener (operator API; loopback needs no token, another address
        the node's admin_token); body: JSON-able."""
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if data else {}
        if self.admin_token:
            headers["Authorization"] = f"Bearer {self.admin_token}"
        return request(self.data_port, "POST", path, body=data, timeout=timeout,
                       headers=headers or None, host=self.host)

    def metrics(self, port=None):
        return request(port or self.metrics_port, "GET", "/metrics", host=self.host).text()

    def metric_value(self, name, **labels):
        """Sum of the samples of `name` whose labels include `labels` (0 if none)."""
        total = 0.0
        for line in self.metrics().splitlines():
            if line.startswith("#") or not line.startswith(name):
                continue
            series, _, value = line.rpartition(" ")
            metric, _, label_text = series.partition("{")
            if metric != name:
                continue
            if all(f'{k}="{v}"' in label_text for k, v in labels.items()):
                total += float(value)
        return total


class RawClient:
    """A plain TCP connection for byte-exact requests and reading responses as sent."""

    def __init__(self, port, timeout=5.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        if port in TLS_PORTS:
            self.sock = tls_client_context().wrap_socket(self.sock)
        self.timeout = timeout
        self.buf = b""
        self.eof = False

    def send(self, data):
        self.sock.sendall(data)

    def close(self):
        self.sock.close()

    def _fill(self, deadline):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise socket.timeout("read timed out")
        self.sock.settimeout(remaining)
        try:
            chunk = self.sock.recv(65536)
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            self.eof = True
        self.buf += chunk
        return bool(chunk)

    def _read_until(self, marker, deadline):
        while marker not in self.buf:
            if self.eof or not self._fill(deadline):
                raise ConnectionError(f"closed before {marker!r}; got {self.buf[:200]!r}")
        i = self.buf.index(marker) + len(marker)
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def _read_exact(self, n, deadline):
        while len(self.buf) < n:
            if self.eof or not self._fill(deadline):
                raise ConnectionError(f"closed with {len(self.buf)} of {n} bytes")
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read_response(self, head_request=False, timeout=None):
        """Reads one final response (interim 1xx are kept in .interim); returns a Response
        with .raw (the bytes of the final response) and .interim (list of 1xx status codes)."""
        deadline = time.monotonic() + (timeout or self.timeout)
        interim = []
        while True:
            head = self._read_until(b"\r\n\r\n", deadline)
            lines = head.decode("latin-1").split("\r\n")
            status = int(lines[0].split(" ")[1])
            headers = [tuple(x.strip() for x in line.split(":", 1)) for line in lines[1:] if line]
            if 100 <= status < 200:
                interim.append(status)
                continue
            break
        r = Response(status, headers, b"")
        te = (r.header("Transfer-Encoding") or "").lower()
        body = b""
        if head_request or status in (204, 304):
            pass
        elif "chunked" in te:
            raw = b""
            while True:
                size_line = self._read_until(b"\r\n", deadline)
                raw += size_line
                size = int(size_line.split(b";")[0].strip(), 16)
                if size == 0:
                    raw += self._read_until(b"\r\n", deadline)  # no trailers from our origins
                    break
                data = self._read_exact(size + 2, deadline)
                raw += data
                body += data[:-2]
            r.chunked_raw = raw
        elif r.header("Content-Length") is not None:
            body = self._read_exact(int(r.header("Content-Length")), deadline)
        else:
            while not self.eof and self._fill(deadline):
                pass
            body, self.buf = self.buf, b""
        r.body, r.interim, r.raw = body, interim, head + body
        return r

    def read_some(self, timeout):
        """Bytes that arrive within `timeout` (stops at the first recv that returns data)."""
        try:
            self._fill(time.monotonic() + timeout)
        except socket.timeout:
            pass
        out, self.buf = self.buf, b""
        return out

    def closed_by_peer(self, timeout=3.0):
        """True when the peer closes the connection within `timeout` (buffered bytes dropped)."""
        deadline = time.monotonic() + timeout
        try:
            while not self.eof:
                self._fill(deadline)
        except socket.timeout:
            return False
        return True


class HoldingServer:
    """A loopback HTTP server for peers that stop answering: reads one request head per
    connection; a request for which hold(head) is true gets no byte of answer (the connection
    stays open until close()) and sets `holding`; every other one gets 200 with `body` and sets
    `answered`."""

    def __init__(self, hold, body=b"", family=socket.AF_INET, address="127.0.0.1"):
        self.hold = hold
        self.body = body
        self.listener = socket.socket(family, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind((address, 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.holding = threading.Event()
        self.answered = threading.Event()
        self.held = []
        threading.Thread(target=self._accept_loop, daemon=True).start()

    def endpoint(self):
        return f"127.0.0.1:{self.port}"

    def _accept_loop(self):
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        conn.settimeout(10)
        head = b""
        try:
            while b"\r\n\r\n" not in head:
                chunk = conn.recv(4096)
                if not chunk:
                    conn.close()
                    return
                head += chunk
        except OSError:
            conn.close()
            return
        if self.hold(head):
            self.held.append(conn)
            self.holding.set()
            return
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(self.body)
                     + self.body)
        conn.close()
        self.answered.set()

    def close(self):
        self.listener.close()
        for c in self.held:
            c.close()


# ctest runs integration tests side by side; the few that need the embedded defaults' fixed
# ports (a node on 8080/8081/9090, origins on 9001/9002) take this lock for the whole test,
# from the first such process until every process of the test is dead.
DEFAULT_PORTS_LOCK = "/tmp/x0tta6bl4-default-ports.lock"
DEFAULT_ORIGIN_PORTS = (9001, 9002)


class IntegrationTest(unittest.TestCase):
    """Base class: a temp dir per test and processes that are always killed at cleanup."""

    def setUp(self):
        if not os.path.exists(BINARY):
            self.fail(f"binary not found: {BINARY} (set X0_BINARY)")
        self._tmp = tempfile.TemporaryDirectory(prefix="x0-integ-")
        self.workdir = self._tmp.name
        self._processes = []
        self._ports_lock = None
        self.addCleanup(self._tmp.cleanup)
        self.addCleanup(self._release_default_ports)  # cleanups run last first: after the kills
        self.addCleanup(self._kill_all)

    def hold_default_ports(self):
        """Waits until no other test holds the default ports, then holds them to the end."""
        if self._ports_lock is None:
            self._ports_lock = open(DEFAULT_PORTS_LOCK, "a")
            fcntl.flock(self._ports_lock, fcntl.LOCK_EX)

    def _release_default_ports(self):
        if self._ports_lock is not None:
            self._ports_lock.close()  # closing drops the flock
            self._ports_lock = None

    def _kill_all(self):
        # (a cleanup runs with _outcome.success reset, so look the test up in the result)
        result = getattr(getattr(self, "_outcome", None), "result", None)
        failed = any(getattr(t, "test_case", t) is self
                     for t, _ in getattr(result, "failures", []) + getattr(result, "errors", []))
        for p in reversed(self._processes):
            p.kill()
        if failed or os.environ.get("X0_SHOW_LOGS"):
            for p in self._processes:
                print(f"\n--- {p.log_path} (last 4000 chars) ---\n{p.log()[-4000:]}")
        # In a sanitizer build a report does not always kill the process (and one that does may
        # not fail the test): fail on a report in any process the test started, every one of them
        # registered in _processes before anything waits on it.
        reported = [p for p in self._processes if sanitizer_report(p.log())]
        if reported:
            self.fail("sanitizer report in " + ", ".join(p.log_path for p in reported) + ":\n"
                      + "\n".join(first_report(p.log()) for p in reported))

    def start_origin(self, **kw):
        if kw.get("port") in DEFAULT_ORIGIN_PORTS:
            self.hold_default_ports()
        o = Origin(self.workdir, wait=False, **kw)
        self._processes.append(o)  # before the wait: an origin that never listens is checked too
        return o.wait_listening()

    def start_process(self, args, name):
        """Any other program (e.g. prometheus), killed at cleanup like the rest."""
        p = Process(args, os.path.join(self.workdir, f"{name}.log"))
        self._processes.append(p)
        return p

    def start_node(self, services=None, wait=True, **kw):
        if services is None:
            self.hold_default_ports()
        n = Node(self.workdir, services, **kw)
        self._processes.append(n)
        if wait:
            n.wait_started()
        return n

    def raw(self, port, timeout=5.0):
        """A RawClient closed at cleanup."""
        c = RawClient(port, timeout)
        self.addCleanup(c.close)
        return c

    def run_cli(self, *args, env=None, timeout=10):
        full_env = dict(os.environ)
        full_env.update(env or {})
        p = subprocess.run([BINARY, *args], capture_output=True, text=True, timeout=timeout,
                           env=full_env, cwd=self.workdir)
        # A CLI run is a process of the test too: its sanitizer report fails the test.
        if sanitizer_report(p.stdout) or sanitizer_report(p.stderr):
            self.fail(f"sanitizer report from `x0tta6bl4 {' '.join(args)}`:\n{p.stdout}\n{p.stderr}")
        return p
