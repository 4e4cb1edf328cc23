#!/usr/bin/env python3
"""HTTP tests of `facecluster serve`: start the real binary ($FC_BUILD/facecluster,
FC_BUILD defaulting to build) on 127.0.0.1 with a free port, talk real HTTP to it
(http.client, and raw sockets for hostile clients), stop it with SIGTERM and
require exit status 0 (so an ASan/LSan build also fails the test on leaks).

Usage: tests/api/test_http.py [NAME-SUBSTRING ...]
Prints PASS/FAIL/SKIP per test and ends with `N passed, N failed, N skipped`.
"""
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
BUILD = os.environ.get("FC_BUILD", "build")
BINARY = os.path.join(ROOT, BUILD, "facecluster") if not os.path.isabs(BUILD) else os.path.join(BUILD, "facecluster")
OID = "64f0c0ffee0123456789abcd"


class Skip(Exception):
    pass


class Server:
    """A `facecluster serve` child process on 127.0.0.1 and a free port."""

    def __init__(self, env=None, threads=2):
        self.env = dict(os.environ)
        for k in ("API_KEYS", "CORS_ORIGINS", "MAX_IMAGE_SIZE_BYTES", "FC_HTTP_IDLE_TIMEOUT",
                  "FC_HTTP_REQUEST_TIMEOUT", "FC_WEB_ASSETS", "FC_HTTP_ACCESS_LOG",
                  "FC_HTTP_MAX_CONNECTIONS", "FC_HTTP_PER_IP_CONNECTIONS"):
            self.env.pop(k, None)
        self.env["FC_ROOT"] = ROOT
        # Each server gets its own embedded store and bucket root unless the test
        # gives them; models from the repo whatever the working directory.
        self.tmp = tempfile.TemporaryDirectory(prefix="fc-http-")
        self.env.setdefault("FC_MODELS_DIR", os.path.join(ROOT, "models"))
        self.env["FC_DATA_DIR"] = self.tmp.name
        self.env["LOCAL_STORAGE_PATH"] = os.path.join(self.tmp.name, "buckets")
        os.makedirs(self.env["LOCAL_STORAGE_PATH"])
        self.env.update(env or {})
        for k in [k for k, v in self.env.items() if v is None]:  # None: unset it
            del self.env[k]
        self.threads = threads
        self.log = []
        self.proc = None
        self.port = None

    def __enter__(self):
        self.proc = subprocess.Popen(
            [BINARY, "serve", "--host", "127.0.0.1", "--port", "0", "--threads", str(self.threads)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=self.env)
        ready = threading.Event()

        def drain():
            for raw in self.proc.stderr:
                line = raw.decode("utf-8", "replace").rstrip("\n")
                self.log.append(line)
                m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
                if m:
                    self.port = int(m.group(1))
                    ready.set()
            ready.set()

        self.drainer = threading.Thread(target=drain, daemon=True)
        self.drainer.start()
        if not ready.wait(30) or not self.port:
            self.proc.kill()
            raise AssertionError("server did not start:\n" + "\n".join(self.log[-20:]))
        return self

    def stop(self, timeout=30):
        """SIGTERM, wait; returns the exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            status = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("server did not exit within %ss of SIGTERM" % timeout)
        self.drainer.join(5)
        return status

    def __exit__(self, kind, value, tb):
        status = self.stop()
        if kind is None and status != 0:
            raise AssertionError("server exited with status %d:\n%s" % (status, "\n".join(self.log[-40:])))

    def request(self, method, path, body=None, headers=None, timeout=20):
        """(status, headers dict with lower-case names, body bytes)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            data = r.read()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, data
        finally:
            conn.close()

    def json(self, method, path, **kw):
        status, headers, data = self.request(method, path, **kw)
        return status, json.loads(data) if data else None

    def connect(self, timeout=10):
        return socket.create_connection(("127.0.0.1", self.port), timeout=timeout)


def raw_exchange(server, data, timeout=10):
    """Sends bytes on a fresh connection, returns everything read until close/timeout."""
    s = server.connect(timeout)
    try:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        return read_all(s)
    finally:
        s.close()


def read_all(sock):
    out = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except (ConnectionResetError, socket.timeout):
            break
        if not chunk:
            break
        out += chunk
    return out


def status_of(response):
    m = re.match(rb"HTTP/1\.[01] (\d{3})", response)
    return int(m.group(1)) if m else None


def multipart(fields, boundary="----fcTestBoundary7MA4YWxkTrZu0gW"):
    """fields: list of (name, value bytes/str, filename or None, content type or None)."""
    out = b""
    for name, value, filename, ctype in fields:
        out += b"--" + boundary.encode() + b"\r\n"
        disp = 'form-data; name="%s"' % name
        if filename is not None:
            disp += '; filename="%s"' % filename
        out += b"Content-Disposition: " + disp.encode() + b"\r\n"
        if ctype:
            out += b"Content-Type: " + ctype.encode() + b"\r\n"
        out += b"\r\n" + (value.encode() if isinstance(value, str) else value) + b"\r\n"
    out += b"--" + boundary.encode() + b"--\r\n"
    return out, "multipart/form-data; boundary=" + boundary


def wait_log(server, pattern, seconds=5):
    """Whether a line of the server's stderr matches pattern within seconds (the
    access log is written when a request completes, read by another thread)."""
    deadline = time.monotonic() + seconds
    while True:
        if any(re.search(pattern, line) for line in list(server.log)):
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)


def check(cond, msg="check failed"):
    if not cond:
        raise AssertionError(msg)


def eq(got, want, what=""):
    if got != want:
        raise AssertionError("%s\n  got:  %r\n  want: %r" % (what, got, want))


TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


# The contract: every route of API.md (method, path as in /openapi.json).
API_ROUTES = [
    ("get", "/health"), ("get", "/debug/list-avatars"), ("get", "/metrics"),
    ("post", "/detect-face"), ("put", "/update-face/{user_id}"), ("get", "/debug-quality-settings"),
    ("get", "/debug-profiles"), ("get", "/debug-profile/{user_id}"), ("delete", "/debug-profile/{user_id}"),
    ("post", "/cluster-bucket-persons/{bucket_name}/{sub_bucket}"),
    ("post", "/cluster-bucket-with-db/{bucket_name}/{sub_bucket}"),
    ("get", "/jobs/{job_id}"), ("delete", "/jobs/{job_id}"),
    ("get", "/person-cluster-status/{bucket_name}/{sub_bucket}"),
    ("get", "/person-details/{bucket_name}/{sub_bucket}/{person_id}"),
    ("delete", "/cleanup-person-data/{bucket_name}/{sub_bucket}"),
    ("get", "/verify-storage/{bucket_name}/{sub_bucket}"),
    ("post", "/assignments/{bucket_name}/{sub_bucket}"), ("post", "/assignments/batch"),
    ("get", "/assignments/{bucket_name}/{sub_bucket}"), ("get", "/assignments/user/{user_id}"),
    ("delete", "/assignments/clustering/{clustering_id}"), ("get", "/assignments/debug/collections"),
    ("get", "/assignments/debug/collection/{name}"), ("get", "/assignments/debug/test-db-connection"),
]


# --- service routes ------------------------------------------------------------

@test
def health(s):
    status, headers, body = s.request("GET", "/health")
    eq(status, 200)
    eq(headers.get("content-type"), "application/json")
    doc = json.loads(body)
    for key in ("status", "database", "vector_store", "version", "beanie_database", "mongoengine_database"):
        check(key in doc, "missing %s in %s" % (key, doc))
    eq(doc["database"], "connected")
    status, headers, body = s.request("HEAD", "/health")
    eq((status, body), (200, b""))


@test
def openapi_lists_every_route(s):
    status, headers, body = s.request("GET", "/openapi.json")
    eq(status, 200)
    doc = json.loads(body)
    check(doc["openapi"].startswith("3.0"), doc["openapi"])
    for method, path in API_ROUTES:
        check(method in doc["paths"].get(path, {}), "%s %s missing from /openapi.json" % (method.upper(), path))
    op = doc["paths"]["/assignments/{bucket_name}/{sub_bucket}"]["post"]
    names = [p["name"] for p in op["parameters"]]
    eq(names, ["bucket_name", "sub_bucket", "clustering_id", "collection_name", "threshold", "strategy",
               "dry_run", "overwrite", "one_to_one", "margin", "explain"], "assignment parameters")
    threshold = op["parameters"][4]["schema"]
    eq((threshold["default"], threshold["minimum"], threshold["maximum"]), (0.65, 0.0, 1.0))
    eq(op["responses"]["422"]["content"]["application/json"]["schema"]["$ref"],
       "#/components/schemas/HTTPValidationError")
    body_ref = doc["paths"]["/detect-face"]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]["$ref"]
    schema = doc["components"]["schemas"][body_ref.split("/")[-1]]
    eq(schema["required"], ["user_id", "file"])
    eq(schema["properties"]["file"]["format"], "binary")
    check("/docs" not in doc["paths"] and "/static/swagger-ui/{file}" not in doc["paths"])


@test
def docs_and_redoc_pages_with_assets(s):
    status, headers, page = s.request("GET", "/docs")
    eq(status, 200)
    check(headers["content-type"].startswith("text/html"))
    check(b"SwaggerUIBundle" in page and b"/openapi.json" in page and b"cdn" not in page.lower())
    status, headers, redoc = s.request("GET", "/redoc")
    eq(status, 200)
    check(b'<redoc spec-url="/openapi.json">' in redoc and b"cdn" not in redoc.lower())
    assets = re.findall(rb'(?:src|href)="(/static/[^"]+)"', page + redoc)
    check(len(assets) >= 4, assets)
    status, _, body = s.request("GET", assets[0].decode())
    if status == 404 and b"not installed" in body:
        raise Skip("node_modules lacks swagger-ui-dist/redoc (scripts/setup installs them): "
                   + body.decode(errors="replace"))
    for url in sorted(set(assets)):
        status, headers, body = s.request("GET", url.decode())
        eq(status, 200, url.decode())
        check(len(body) > 500, "%s: %d bytes" % (url, len(body)))
        want = "application/javascript" if url.endswith(b".js") else "text/css" if url.endswith(b".css") else "image/png"
        check(headers["content-type"].startswith(want), "%s: %s" % (url, headers["content-type"]))
    status, _, body = s.request("GET", "/docs/oauth2-redirect")
    eq(status, 200)


@test
def static_assets_cannot_escape(s):
    with tempfile.TemporaryDirectory() as tmp:
        os.makedirs(os.path.join(tmp, "swagger-ui-dist"))
        with open(os.path.join(tmp, "swagger-ui-dist", "ok.js"), "w") as f:
            f.write("ok();")
        with open(os.path.join(tmp, "secret.txt"), "w") as f:
            f.write("secret")
        os.symlink(os.path.join(tmp, "secret.txt"), os.path.join(tmp, "swagger-ui-dist", "link.js"))
        os.symlink("/etc", os.path.join(tmp, "swagger-ui-dist", "etc"))
        with Server({"FC_WEB_ASSETS": tmp}) as t:
            status, _, body = t.request("GET", "/static/swagger-ui/ok.js")
            eq((status, body), (200, b"ok();"))
            for path in ["/static/swagger-ui/link.js", "/static/swagger-ui/..%2fsecret.txt",
                         "/static/swagger-ui/%2e%2e%2fsecret.txt", "/static/swagger-ui/../secret.txt",
                         "/static/swagger-ui/etc/hostname", "/static/swagger-ui/etc%2fhostname",
                         "/static/swagger-ui/.", "/static/swagger-ui/..", "/static/swagger-ui/%2e%2e",
                         "/static/swagger-ui/ok.js%00", "/static/swagger-ui/%2Fetc%2Fhostname",
                         "/static/redoc/..%2f..%2fsecret.txt", "/static/swagger-ui/ok.js/"]:
                status, _, body = t.request("GET", path)
                check(status in (404, 307, 422), "%s -> %d" % (path, status))
                check(b"secret" not in body and b"localhost" not in body, path)


@test
def metrics_prometheus_text(s):
    s.request("GET", "/health")
    s.request("GET", "/nowhere")
    # A request is counted when libmicrohttpd reports it complete, which can come just
    # after the client has read the last byte: ask again until it shows (bounded).
    deadline = time.time() + 5
    while True:
        status, headers, body = s.request("GET", "/metrics")
        eq(status, 200)
        text = body.decode()
        if 'route="unmatched",status="404"' in text or time.time() > deadline:
            break
        time.sleep(0.02)
    check(headers["content-type"].startswith("text/plain; version=0.0.4"), headers["content-type"])
    for want in ['http_requests_total{method="GET",route="/health",status="200"}',
                 'http_requests_total{method="GET",route="unmatched",status="404"}',
                 '# TYPE http_request_duration_seconds histogram',
                 'http_request_duration_seconds_bucket{method="GET",route="/health",status="200",le="+Inf"}',
                 'http_requests_in_flight ']:
        check(want in text, "missing %s in\n%s" % (want, text))
    for line in text.splitlines():
        check(line.startswith("#") or re.match(r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? \S+$', line), line)


@test
def debug_quality_settings(s):
    status, doc = s.json("GET", "/debug-quality-settings")
    eq(status, 200)
    eq((doc["default_min_face_size"], doc["default_min_confidence"], doc["default_blur_threshold"]), (30, 0.4, 50))
    eq(doc["suggestions"]["strict"], {"min_face_size": 60, "min_confidence": 0.7, "blur_threshold": 120})
    eq(sorted(doc["suggestions"]), ["lenient", "normal", "strict", "very_lenient"])


# --- routing and validation ------------------------------------------------------

@test
def not_found_and_method_not_allowed(s):
    eq(s.json("GET", "/no/such/route"), (404, {"detail": "Not Found"}))
    status, headers, body = s.request("DELETE", "/health")
    eq((status, json.loads(body)), (405, {"detail": "Method Not Allowed"}))
    eq(headers.get("allow"), "GET, HEAD")
    status, headers, body = s.request("GET", "/health/?x=1")
    eq((status, headers.get("location")), (307, "/health?x=1"))
    eq(s.request("GET", "/jobs/x")[0], 404)


@test
def validation_errors_fastapi_shape(s):
    status, doc = s.json("POST", "/assignments/b/s?threshold=2&strategy=best&dry_run=perhaps")
    eq(status, 422)
    eq(doc, {"detail": [
        {"loc": ["query", "clustering_id"], "msg": "field required", "type": "value_error.missing"},
        {"loc": ["query", "threshold"], "msg": "ensure this value is less than or equal to 1.0",
         "type": "value_error.number.not_le", "ctx": {"limit_value": 1.0}},
        {"loc": ["query", "strategy"], "msg": 'string does not match regex "^(centroid|vote)$"',
         "type": "value_error.str.regex", "ctx": {"pattern": "^(centroid|vote)$"}},
        {"loc": ["query", "dry_run"], "msg": "value could not be parsed to a boolean", "type": "type_error.bool"}]})
    status, doc = s.json("POST", "/cluster-bucket-persons/b/s?batch_size=abc&max_concurrent=0")
    eq(doc, {"detail": [
        {"loc": ["query", "batch_size"], "msg": "value is not a valid integer", "type": "type_error.integer"},
        {"loc": ["query", "max_concurrent"], "msg": "ensure this value is greater than or equal to 1",
         "type": "value_error.number.not_ge", "ctx": {"limit_value": 1}}]})
    eq(s.request("POST", "/cluster-bucket-persons/b/s?batch_size=50&max_concurrent=1&wait=false")[0], 404)
    eq(s.json("GET", "/person-cluster-status/b/s?clustering_id=xyz"), (400, {"detail": "Invalid clustering_id format"}))
    eq(s.request("GET", "/person-cluster-status/b/s?clustering_id=" + OID)[0], 404)


@test
def fixed_routes_before_parameterised(s):
    # include_details exists only on /assignments/user/{user_id}
    status, doc = s.json("GET", "/assignments/user/bob?include_details=nope")
    eq(status, 422)
    eq(doc["detail"][0]["loc"], ["query", "include_details"])
    # a bad clustering_id would be 400 on /assignments/{b}/{s}; the debug routes take no parameter
    eq(s.request("GET", "/assignments/debug/collections?clustering_id=bad")[0], 200)
    eq(s.request("GET", "/assignments/debug/test-db-connection?clustering_id=bad")[0], 200)
    eq(s.request("GET", "/assignments/b/s?clustering_id=bad")[0], 400)
    status, doc = s.json("POST", "/assignments/batch?strategy=x")
    eq([e["loc"] for e in doc["detail"]], [["query", "strategy"]])
    eq(s.request("DELETE", "/assignments/clustering/" + OID)[0], 200)


@test
def bucket_names_refused(s):
    bad = ["/person-cluster-status/%2e%2e/s", "/person-cluster-status/%2E%2e/s", "/person-cluster-status/../s",
           "/person-cluster-status/b/..", "/person-cluster-status/./s", "/person-cluster-status/a%2Fb/s",
           "/person-cluster-status/a%2fb/s", "/person-cluster-status/a%00/s", "/person-cluster-status/%00/s",
           "/person-cluster-status/a%5Cb/s", "/person-cluster-status/" + "a" * 129 + "/s",
           "/cluster-bucket-persons/%2e%2e/s", "/assignments/b/%2e%2e", "/verify-storage/a%20b/s?clustering_id=" + OID]
    for path in bad:
        method = "POST" if path.startswith("/cluster") else "GET"
        status, doc = s.json(method, path)
        eq(status, 400, path)
        check(doc["detail"].startswith("Invalid "), doc)
    eq(s.request("POST", "/assignments/batch?bucket_name=..&sub_bucket=s")[0], 400)
    eq(s.request("GET", "/person-cluster-status/" + "a" * 128 + "/s.b-c_d")[0], 404)
    # a raw NUL byte in the request line: a 4xx or a closed connection, never a crash
    answer = raw_exchange(s, b"GET /person-cluster-status/a\x00b/s HTTP/1.1\r\nHost: x\r\n\r\n")
    check(answer == b"" or 400 <= status_of(answer) < 500, answer[:80])
    # a '/' as such just makes another segment: no route
    eq(s.request("GET", "/person-cluster-status/a/b/s")[0], 404)
    eq(s.request("GET", "/health")[0], 200)


# --- access control ----------------------------------------------------------

@test
def api_keys(s):
    with Server({"API_KEYS": "key-one, key-two"}) as t:
        for path in ["/health", "/docs", "/redoc", "/openapi.json"]:
            eq(t.request("GET", path)[0], 200, path)
        check(t.request("GET", "/static/swagger-ui/swagger-ui.css")[0] in (200, 404))
        eq(t.json("GET", "/metrics"), (401, {"detail": "Invalid or missing API key"}))
        eq(t.request("GET", "/debug-quality-settings", headers={"X-API-Key": "key-three"})[0], 401)
        eq(t.request("GET", "/debug-quality-settings", headers={"X-API-Key": "key-two"})[0], 200)
        eq(t.request("GET", "/metrics", headers={"x-api-key": "key-one"})[0], 200)
        # preflights carry no key
        eq(t.request("OPTIONS", "/metrics", headers={"Origin": "https://x.example",
                                                      "Access-Control-Request-Method": "GET"})[0], 200)
    eq(s.request("GET", "/metrics")[0], 200)  # no API_KEYS: open


@test
def cors(s):
    status, headers, _ = s.request("GET", "/health", headers={"Origin": "https://any.example"})
    eq(headers.get("access-control-allow-origin"), "*")
    status, headers, _ = s.request("GET", "/nope", headers={"Origin": "https://any.example"})
    eq((status, headers.get("access-control-allow-origin")), (404, "*"))
    status, headers, body = s.request("OPTIONS", "/detect-face", headers={
        "Origin": "https://any.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "x-api-key, content-type"})
    eq((status, body), (200, b"OK"))
    eq(headers.get("access-control-allow-origin"), "*")
    check("POST" in headers.get("access-control-allow-methods", ""))
    eq(headers.get("access-control-allow-headers"), "x-api-key, content-type")
    eq(s.request("OPTIONS", "/health")[0], 405)  # not a preflight
    with Server({"CORS_ORIGINS": "https://a.example,https://b.example"}) as t:
        status, headers, _ = t.request("GET", "/health", headers={"Origin": "https://b.example"})
        eq(headers.get("access-control-allow-origin"), "https://b.example")
        eq(headers.get("vary"), "Origin")
        status, headers, _ = t.request("GET", "/health", headers={"Origin": "https://evil.example"})
        check("access-control-allow-origin" not in headers)
        status, headers, body = t.request("OPTIONS", "/health", headers={
            "Origin": "https://evil.example", "Access-Control-Request-Method": "GET"})
        eq((status, body), (400, b"Disallowed CORS origin"))


# --- uploads ------------------------------------------------------------------------

@test
def multipart_upload_validated(s):
    body, ctype = multipart([("user_id", "alice@example.com", None, None),
                             ("file", b"\xff\xd8\xff" + bytes(range(256)) * 40, "face.jpg", "image/jpeg"),
                             ("min_face_size", "40", None, None), ("unrelated", "x" * 1000, None, None)])
    status, doc = s.json("POST", "/detect-face", body=body, headers={"Content-Type": ctype})
    eq(status, 400)
    check(doc["detail"].startswith("Invalid image file: "), doc)
    body, ctype = multipart([("user_id", "alice", None, None), ("min_confidence", "high", None, None)])
    eq(s.json("POST", "/detect-face", body=body, headers={"Content-Type": ctype}), (422, {"detail": [
        {"loc": ["body", "file"], "msg": "field required", "type": "value_error.missing"},
        {"loc": ["body", "min_confidence"], "msg": "value is not a valid float", "type": "type_error.float"}]}))
    body, ctype = multipart([("user_id", "bad id!", None, None), ("file", b"x", "f.png", None)])
    eq(s.json("POST", "/detect-face", body=body, headers={"Content-Type": ctype}),
       (400, {"detail": "Invalid user ID format. Use alphanumeric characters with .-_@ only"}))
    body, ctype = multipart([("file", b"img", "f.png", "image/png")])
    eq(s.request("PUT", "/update-face/bob", body=body, headers={"Content-Type": ctype})[0], 400)
    status, doc = s.json("POST", "/detect-face", body="user_id=bob&min_face_size=3",
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
    eq((status, [e["loc"] for e in doc["detail"]]), (422, [["body", "file"]]))


@test
def wrong_content_type(s):
    status, doc = s.json("POST", "/detect-face", body=json.dumps({"user_id": "a"}),
                         headers={"Content-Type": "application/json"})
    eq(status, 422)
    eq([e["loc"] for e in doc["detail"]], [["body", "user_id"], ["body", "file"]])
    status, doc = s.json("POST", "/detect-face", body=b"\x00" * 5000, headers={"Content-Type": "image/jpeg"})
    eq(status, 422)


@test
def malformed_multipart(s):
    parse_error = {"detail": "There was an error parsing the body"}
    cases = [
        (b"this is not multipart at all", "multipart/form-data; boundary=abc"),
        (b"--abc\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nno closing boundary", "multipart/form-data; boundary=abc"),
        (b"--abc\r\nX: y\r\n\r\nno disposition\r\n--abc--\r\n", "multipart/form-data; boundary=abc"),
        (b"--abc\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--abc--", "multipart/form-data"),
        (b"--abc\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--abc--", "multipart/form-data; boundary=\"a\tb\""),
    ]
    for body, ctype in cases:
        eq(s.json("POST", "/detect-face", body=body, headers={"Content-Type": ctype}), (400, parse_error), body[:30])
    eq(s.request("GET", "/health")[0], 200)


@test
def upload_size_limit(s):
    with Server({"MAX_IMAGE_SIZE_BYTES": "1000"}) as t:
        ok, ctype = multipart([("user_id", "u", None, None), ("file", b"x" * 1000, "f.jpg", None)])
        eq(t.request("POST", "/detect-face", body=ok, headers={"Content-Type": ctype})[0], 400)
        big, ctype = multipart([("user_id", "u", None, None), ("file", b"x" * 1001, "f.jpg", None)])
        status, doc = t.json("POST", "/detect-face", body=big, headers={"Content-Type": ctype})
        eq(status, 413)
        check("larger than 1000 bytes" in doc["detail"], doc)
        # a Content-Length beyond the limit is refused before any body is sent
        sock = t.connect()
        sock.sendall(b"POST /detect-face HTTP/1.1\r\nHost: x\r\nContent-Type: " + ctype.encode() +
                     b"\r\nContent-Length: 50000000\r\n\r\n")
        answer = read_all(sock)
        sock.close()
        eq(status_of(answer), 413, answer[:100])
        check(b'"detail"' in answer)
        # chunked without a length: cut off past the limit (connection closed), server fine
        sock = t.connect()
        sock.sendall(b"POST /detect-face HTTP/1.1\r\nHost: x\r\nContent-Type: " + ctype.encode() +
                     b"\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = b"%x\r\n%s\r\n" % (65536, b"y" * 65536)
        try:
            for _ in range(40):
                sock.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        answer = read_all(sock)
        sock.close()
        check(answer == b"" or status_of(answer) == 413, answer[:100])
        eq(t.request("GET", "/health")[0], 200)


# --- hostile clients -------------------------------------------------------------------

@test
def megabyte_of_headers(s):
    junk = b"".join(b"X-Junk-%d: %s\r\n" % (i, b"a" * 1000) for i in range(1024))
    answer = raw_exchange(s, b"GET /health HTTP/1.1\r\nHost: x\r\n" + junk + b"\r\n")
    st = status_of(answer)
    check(answer == b"" or st in (400, 413, 431), answer[:100])
    answer = raw_exchange(s, b"GET /health?" + b"a" * (1 << 20) + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    check(answer == b"" or 400 <= status_of(answer) < 500, answer[:100])
    eq(s.request("GET", "/health")[0], 200)


@test
def conflicting_content_lengths(s):
    # libmicrohttpd read the body by the first Content-Length and served the bytes
    # after it as a second request ("abcde" then GET /health: two answers); a proxy
    # taking the other length sees one request: request smuggling. Now one 400, closed.
    answer = raw_exchange(s, b"POST /detect-face HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                             b"Content-Length: 50\r\n\r\nabcdeGET /health HTTP/1.1\r\nHost: x\r\n\r\n")
    eq((status_of(answer), answer.count(b"HTTP/1.1 ")), (400, 1), answer)
    check(answer.endswith(b'{"detail":"Conflicting Content-Length headers"}'), answer)
    # the same length twice is one length (RFC 9112 6.3)
    answer = raw_exchange(s, b"POST /detect-face HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                             b"content-length: 5\r\nConnection: close\r\n\r\nabcde")
    eq(status_of(answer), 422, answer)


@test
def body_that_stops_half_way(s):
    with Server({"FC_HTTP_IDLE_TIMEOUT": "2"}) as t:
        body, ctype = multipart([("user_id", "u", None, None), ("file", b"z" * 4000, "f.jpg", None)])
        head = (b"POST /detect-face HTTP/1.1\r\nHost: x\r\nContent-Type: " + ctype.encode() +
                b"\r\nContent-Length: %d\r\n\r\n" % len(body))
        # the client disappears half-way
        sock = t.connect()
        sock.sendall(head + body[:len(body) // 2])
        sock.close()
        # the client stays but sends no more: closed after the idle timeout
        sock = t.connect(timeout=15)
        sock.sendall(head + body[:len(body) // 2])
        t0 = time.monotonic()
        answer = read_all(sock)
        waited = time.monotonic() - t0
        sock.close()
        check(status_of(answer) in (None, 408) and waited < 10, "%r after %.1fs" % (answer[:60], waited))
        eq(t.request("GET", "/health")[0], 200)
        check(wait_log(t, r"POST /detect-face - .* ms - "), "no log line for the aborted requests:\n"
              + "\n".join(t.log[-5:]))


@test
def slow_client_one_byte_a_second(s):
    with Server({"FC_HTTP_REQUEST_TIMEOUT": "3", "FC_HTTP_IDLE_TIMEOUT": "30"}, threads=1) as t:
        request = b"GET /health HTTP/1.1\r\nHost: localhost\r\nX-Slow: " + b"s" * 100 + b"\r\n\r\n"
        result = {}

        def trickle():
            sock = t.connect(timeout=20)
            t0 = time.monotonic()
            try:
                for byte in request:
                    sock.sendall(bytes([byte]))
                    time.sleep(1)
                result["answer"] = read_all(sock)
            except (BrokenPipeError, ConnectionResetError, socket.timeout):
                result["answer"] = b""
            result["seconds"] = time.monotonic() - t0
            sock.close()

        slow = threading.Thread(target=trickle)
        slow.start()
        time.sleep(0.5)
        t0 = time.monotonic()
        for _ in range(30):  # one polling thread, and others are still served meanwhile
            eq(t.request("GET", "/health", timeout=5)[0], 200)
        served = time.monotonic() - t0
        slow.join(30)
        check(not slow.is_alive(), "slow client still connected after 30 s")
        check(result["answer"] == b"" and result["seconds"] < 10,
              "slow client: %r after %.1fs" % (result["answer"][:60], result["seconds"]))
        check(served < 5, "30 requests took %.1fs beside the slow client" % served)
        status, headers, body = t.request("GET", "/metrics")
        check(re.search(rb"http_receive_timeouts_total [1-9]", body), body.decode())


@test
def parallel_requests(s):
    results = []

    def worker():
        for _ in range(10):
            results.append(s.request("GET", "/debug-quality-settings")[0])

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    eq(results.count(200), 160)


@test
def per_address_connection_limit(s):
    # FC_HTTP_PER_IP_CONNECTIONS=2: a third connection from 127.0.0.1 is closed
    # unanswered while two are open; once one closes, a new one is served
    with Server(env={"FC_HTTP_PER_IP_CONNECTIONS": "2"}) as t:
        held = [t.connect() for _ in range(2)]
        for sock in held:  # each has a request answered: both are really open
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            check(sock.recv(12).startswith(b"HTTP/1.1 200"), "held connection not served")
        started = time.monotonic()
        for _ in range(20):
            eq(raw_exchange(t, b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
               b"", "a third connection from the same address")
        seconds = time.monotonic() - started
        # libmicrohttpd logs each refusal: at most one line a second of them is shown
        time.sleep(0.3)
        refusals = [l for l in t.log if "libmicrohttpd" in l]
        check(1 <= len(refusals) <= 2 + int(seconds) and len(refusals) < 20,
              (round(seconds, 2), refusals))
        held.pop().close()
        time.sleep(0.3)
        eq(t.request("GET", "/health")[0], 200)
        for sock in held:
            sock.close()
    # unset: no limit of its own (the default server above served 16 at once)
    with Server() as t:
        held = [t.connect() for _ in range(8)]
        for sock in held:
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        check(all(sock.recv(12).startswith(b"HTTP/1.1 200") for sock in held), "8 at once")
        for sock in held:
            sock.close()


@test
def access_log_lines(s):
    s.request("GET", "/health?secret=1")
    check(wait_log(s, r" api 127\.0\.0\.1 GET /health 200 \d+\.\d\d ms$"), s.log[-5:])
    check(not any("secret" in l for l in s.log), "query strings stay out of the log")
    raw_exchange(s, b"GET /x\x1b[31m\"y HTTP/1.1\r\nHost: x\r\n\r\n")
    check(wait_log(s, r"GET /x\\x1b\[31m\\x22y 404"), "control bytes escaped: %s" % s.log[-3:])


@test
def sigterm_under_load_repeated(s):
    """SIGTERM while clients keep connecting, 40 times: each stop exits 0. With
    libmicrohttpd's epoll loop, quiescing races a worker thread for the listening
    socket and the loser aborts the server ("Failed to remove listen FD from epoll
    set"): seen in `make asan test` (upload_size_limit) and in 1 of 30 such stops on a
    busy machine, though rarely on a quiet one; the server uses poll() now (server.c)."""
    for i in range(40):
        t = Server().__enter__()
        done = threading.Event()

        def hammer():
            while not done.is_set():
                try:
                    c = http.client.HTTPConnection("127.0.0.1", t.port, timeout=2)
                    c.request("GET", "/health")
                    c.getresponse().read()
                    c.close()
                except (OSError, http.client.HTTPException):
                    pass  # refused or cut once it stops: expected

        clients = [threading.Thread(target=hammer) for _ in range(6)]
        for c in clients:
            c.start()
        time.sleep(0.15)
        status = t.stop()
        done.set()
        for c in clients:
            c.join(10)
        eq(status, 0, "stop %d: %s" % (i, [l for l in t.log if "Fatal" in l] or t.log[-5:]))


@test
def sigterm_graceful(s):
    with Server() as t:
        body, ctype = multipart([("user_id", "u", None, None), ("file", b"q" * 3000, "f.jpg", None)])
        sock = t.connect(timeout=20)
        sock.sendall(b"POST /detect-face HTTP/1.1\r\nHost: x\r\nContent-Type: " + ctype.encode() +
                     b"\r\nContent-Length: %d\r\n\r\n" % len(body) + body[:1000])
        time.sleep(0.3)
        t.proc.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        check(t.proc.poll() is None, "exited with a request in flight")
        refused = False
        try:
            socket.create_connection(("127.0.0.1", t.port), timeout=2).close()
        except OSError:
            refused = True
        check(refused, "still accepting connections after SIGTERM")
        sock.sendall(body[1000:])
        answer = read_all(sock)
        sock.close()
        eq(status_of(answer), 400, answer[:100])  # not an image: answered, not dropped
        eq(t.proc.wait(15), 0)
        check(any("SIGTERM" in l for l in t.log) and any("stopped" in l for l in t.log), t.log[-5:])


def main(argv):
    if not os.access(BINARY, os.X_OK):
        print("tests/api: %s not found (build it with make)" % BINARY)
        print("0 passed, 1 failed, 0 skipped")
        return 1
    selected = [t for t in TESTS if len(argv) < 2 or any(a in t.__name__ for a in argv[1:])]
    passed = failed = skipped = 0
    try:
        shared = Server().__enter__()
    except AssertionError as e:
        print("FAIL server start: %s" % e)
        print("0 passed, 1 failed, 0 skipped")
        return 1
    for t in selected:
        t0 = time.monotonic()
        try:
            t(shared)
            passed += 1
            print("PASS %s (%.0f ms)" % (t.__name__, (time.monotonic() - t0) * 1e3), flush=True)
        except Skip as e:
            skipped += 1
            print("SKIP %s: skipped: %s" % (t.__name__, e), flush=True)
        except Exception as e:  # noqa: BLE001 - a test's failure, whatever it raised
            failed += 1
            print("FAIL %s: %s: %s" % (t.__name__, type(e).__name__, e), flush=True)
    try:
        shared.__exit__(None, None, None)
    except AssertionError as e:
        failed += 1
        print("FAIL shared server shutdown: %s" % e)
    print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
