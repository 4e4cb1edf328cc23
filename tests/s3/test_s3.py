#!/usr/bin/python3
"""tests/s3/test_s3.py - the S3 source against a real S3 server (s3rver, npm).

Starts s3rver on 127.0.0.1 (free port, temporary directory), fills bucket `fcbucket`
(the sample photos, 1100 tiny objects, a few non-images, a large object), puts a
SigV4-verifying proxy in front of it (s3rver checks the access key but not V4
signatures; the proxy does, with AWS's algorithm, and can fail a request with 503 to
exercise retries), then runs the C tests `build/tests s3srv_` with the endpoints in
FC_TEST_S3_* variables. The C tests kill and restart s3rver themselves through
FC_TEST_S3_PIDFILE and FC_TEST_S3_RESTART (`test_s3.py --start DIR PORT PIDFILE`).

Ends with `N passed, N failed, N skipped`: the C tests plus this runner's own checks
(the verifier against AWS's published SigV4 examples, and what the proxy saw).
"""
import hashlib
import hmac
import html
import http.client
import http.server
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
S3RVER = os.path.join(ROOT, "node_modules", "s3rver", "bin", "s3rver.js")
BUCKET = "fcbucket"
ACCESS_KEY = SECRET_KEY = "S3RVER"  # s3rver's built-in account
N_MANY = 1100
NAMES_BUCKET = "fcnames"
# Key names an event's uploads bring (each object's bytes are its key). The two with a
# control byte are legal S3 keys that XML 1.0 cannot carry; they are not listed (not
# safe keys), nor is the .txt: N_NAMES are.
NAME_KEYS = ["names/with space.jpg", "names/plus+sign.jpg", "names/pct%41%2F.jpg",
             "names/eq=amp&semi;.jpg", "names/!*'()~$,@:;.jpg", "names/caf\u00e9.jpg",
             "names/cafe\u0301.jpg", "names/\u65e5\u672c\u8a9e \u5199\u771f.jpg",
             "names/emoji \U0001f600.png", "names/a b+c/deep/er/x.JPG",
             "names/" + "/".join(c * 200 for c in "abcd") + "/" + "e" * 90 + ".jpg",
             "names/bell\x07.jpg", "names/tab\t.jpg", "names/notes.txt"]
N_NAMES = 11
FLAKY_FAILURES = 2  # 503s the proxy answers before letting a flaky/ key through
# Bucket of the timeout test: under stall/day1/, ok.jpg passes, stuck.jpg stops after
# its first 100 bytes (a stalled server), slow.jpg comes in 12 pieces 0.25 s apart
# (3 s: slower than the test's 2 s timeout as a whole, but always moving)
STALL_BUCKET = "fcstall"
STALL_RELEASE = threading.Event()  # set at the end: stalled answers give up
# A server away for a while: under outage/day1/ (each sample twice) and tail/day1/ (each
# once) the proxy serves OUTAGE_PASS[prefix] objects, then answers 503 to every object
# until OUTAGE_OVER is set. A moment's trouble: under blip/day1/ (each sample once)
# BLIP_KEYS fail once each. apidown/day1/ (each sample once, for the HTTP API) has an
# outage of its own, over when APIDOWN_OVER is set.
OUTAGE_PASS = {"outage/": 3, "tail/": 1, "apidown/": 2}
OUTAGE_OVER = threading.Event()  # not for apidown/
APIDOWN_OVER = threading.Event()
OUTAGE_SERVED = {}  # key -> 200s the proxy let through
BLIP_KEYS = {"blip/day1/sample2.jpg", "blip/day1/sample5.jpg"}
BLIP_SEEN = set()

# ---- SigV4 (AWS "Signature Version 4" for S3, header-based) --------------------------


def _uri_encode(s, keep_slash):
    return urllib.parse.quote(s, safe="-_.~" + ("/" if keep_slash else ""))


def canonical_query(raw):
    pairs = []
    for part in raw.split("&") if raw else []:
        name, _, value = part.partition("=")
        pairs.append((_uri_encode(urllib.parse.unquote(name), False),
                      _uri_encode(urllib.parse.unquote(value), False)))
    return "&".join(f"{n}={v}" for n, v in sorted(pairs))


def sigv4_signature(secret, method, path, query, headers, signed, amz_date, scope):
    """headers: lower-case name -> value; signed: the names, sorted; scope:
    date/region/service/aws4_request. Returns the hex signature."""
    canon = "\n".join([
        method, path, canonical_query(query),
        "".join(f"{h}:{' '.join(headers.get(h, '').split())}\n" for h in signed),
        ";".join(signed), headers.get("x-amz-content-sha256", "UNSIGNED-PAYLOAD")])
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                         hashlib.sha256(canon.encode()).hexdigest()])
    key = ("AWS4" + secret).encode()
    for part in scope.split("/"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def verifier_self_test():
    """The two header-signed examples of AWS's S3 docs ("Signature Calculations for
    the Authorization Header"): GET Object with Range, and GET Bucket (list)."""
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    scope = "20130524/us-east-1/s3/aws4_request"
    h = {"host": "examplebucket.s3.amazonaws.com", "range": "bytes=0-9",
         "x-amz-content-sha256": empty, "x-amz-date": "20130524T000000Z"}
    get = sigv4_signature(secret, "GET", "/test.txt", "", h, sorted(h), h["x-amz-date"], scope)
    del h["range"]
    lst = sigv4_signature(secret, "GET", "/", "max-keys=2&prefix=J", h, sorted(h),
                          h["x-amz-date"], scope)
    return [("sigv4 verifier: AWS GET Object example",
             get == "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41", get),
            ("sigv4 verifier: AWS list example",
             lst == "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7", lst)]


# ---- the verifying, fault-injecting proxy -------------------------------------------

STATS = {"verified": 0, "rejected": 0, "continuations": 0, "flaky_503": 0, "outage_503": 0, "forwarded": 0, "stalled": 0,
         "url_encoded_lists": 0}
STATS_LOCK = threading.Lock()
FLAKY_SEEN = {}


def url_encoded_listing(body):
    """A ListObjectsV2 page as S3 answers `encoding-type=url`, which s3rver 3.7.1 does
    not implement (its bucket.js: "currently unimplemented"): each <Key> and <Prefix>
    URL-encoded (space as '+', '/' kept; keys with bytes XML 1.0 cannot carry become
    readable) and <EncodingType>url</EncodingType> added."""
    def encode(m):
        value = html.unescape(m.group(2).decode("utf-8", "surrogateescape"))
        enc = urllib.parse.quote_plus(value.encode("utf-8", "surrogateescape"), safe="/")
        return b"<%s>%s</%s>" % (m.group(1), enc.encode(), m.group(1))
    body = re.sub(rb"<(Key|Prefix)>(.*?)</\1>", encode, body, flags=re.S)
    return body.replace(b"<IsTruncated>", b"<EncodingType>url</EncodingType><IsTruncated>", 1)


def _error_xml(code, message):
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
            f"<Message>{message}</Message></Error>").encode()


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    upstream_port = 0

    def log_message(self, *args):
        pass

    def _reply(self, status, body, headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _check_signature(self):
        """None when the request may go on, else (code, message)."""
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("AWS4-HMAC-SHA256 "):
            return None  # anonymous or V2: s3rver decides
        fields = dict(p.strip().split("=", 1) for p in auth[len("AWS4-HMAC-SHA256 "):].split(","))
        key, _, scope = fields["Credential"].partition("/")
        if key != ACCESS_KEY:
            return None  # s3rver answers InvalidAccessKeyId
        signed = fields["SignedHeaders"].split(";")
        headers = {k.lower(): v for k, v in self.headers.items()}
        path, _, query = self.path.partition("?")
        path = _uri_encode(urllib.parse.unquote(path), True)  # S3's canonical URI
        want = sigv4_signature(SECRET_KEY, self.command, path, query, headers, signed,
                               headers.get("x-amz-date", ""), scope)
        with STATS_LOCK:
            if want != fields["Signature"] or "x-amz-content-sha256" not in signed:
                STATS["rejected"] += 1
                return ("SignatureDoesNotMatch", "The request signature we calculated does "
                        "not match the signature you provided.")
            STATS["verified"] += 1
            if "continuation-token=" in query:
                STATS["continuations"] += 1
        return None

    def do_GET(self):
        bad = self._check_signature()
        if bad:
            return self._reply(403, _error_xml(*bad), [("Content-Type", "application/xml")])
        if self._outage():
            return self._reply(503, _error_xml("ServiceUnavailable", "Please try again."),
                               [("Content-Type", "application/xml")])
        if "/flaky/" in self.path:
            with STATS_LOCK:
                n = FLAKY_SEEN.get(self.path, 0)
                FLAKY_SEEN[self.path] = n + 1
                if n < FLAKY_FAILURES:
                    STATS["flaky_503"] += 1
            if n < FLAKY_FAILURES:
                return self._reply(503, _error_xml("SlowDown", "Please reduce your request rate."),
                                   [("Content-Type", "application/xml")])
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.upstream_port, timeout=30)
            conn.request(self.command, self.path, headers=dict(self.headers.items()))
            resp = conn.getresponse()
            body = resp.read()
            conn.close()
        except OSError as e:
            return self._reply(502, _error_xml("BadGateway", str(e)))
        with STATS_LOCK:
            STATS["forwarded"] += 1
        query = urllib.parse.parse_qs(self.path.partition("?")[2])
        if resp.status == 200 and query.get("encoding-type") == ["url"]:
            body = url_encoded_listing(body)
            with STATS_LOCK:
                STATS["url_encoded_lists"] += 1
        keep = [(k, v) for k, v in resp.getheaders()
                if k.lower() in ("content-type", "etag", "last-modified", "x-amz-request-id")]
        if resp.status == 200 and self.path.startswith(f"/{STALL_BUCKET}/stall/"):
            return self._reply_slowly(body, keep, self.path.endswith("/stuck.jpg"))
        self._reply(resp.status, body, keep)

    def _outage(self):
        """True when this object GET is one the outage or a blip fails (see OUTAGE_PASS)."""
        path = urllib.parse.unquote(self.path.partition("?")[0])
        key = path[len(BUCKET) + 2:] if path.startswith(f"/{BUCKET}/") else ""
        prefix = key.partition("/")[0] + "/"
        if prefix not in OUTAGE_PASS and prefix != "blip/":
            return False
        with STATS_LOCK:
            down = (prefix in OUTAGE_PASS and
                    not (APIDOWN_OVER if prefix == "apidown/" else OUTAGE_OVER).is_set() and
                    sum(v for k, v in OUTAGE_SERVED.items() if k.startswith(prefix)) >=
                    OUTAGE_PASS[prefix])
            blip = key in BLIP_KEYS and key not in BLIP_SEEN
            BLIP_SEEN.add(key)
            if down or blip:
                STATS["outage_503"] += 1
            elif prefix in OUTAGE_PASS:
                OUTAGE_SERVED[key] = OUTAGE_SERVED.get(key, 0) + 1
        return down or blip

    def _reply_slowly(self, body, headers, stall):
        """A 200 with body sent in 12 pieces 0.25 s apart, or (stall) its first 100
        bytes and then nothing until the client hangs up or the test ends."""
        self.send_response(200)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if stall:
            with STATS_LOCK:
                STATS["stalled"] += 1
            self.wfile.write(body[:100])
            self.wfile.flush()
            STALL_RELEASE.wait(300)
            self.close_connection = True
            return
        step = len(body) // 12 + 1
        for i in range(0, len(body), step):
            self.wfile.write(body[i:i + step])
            self.wfile.flush()
            time.sleep(0.25)

    do_HEAD = do_GET


class ProxyServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)  # clients hanging up are normal


# ---- s3rver ----------------------------------------------------------------------------


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, seconds):
    end = time.time() + seconds
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


def start_s3rver(directory, port, pidfile):
    """Starts s3rver detached (its own session), waits until it listens, writes its pid."""
    log = open(os.path.join(directory, "..", f"s3rver-{port}.log"), "ab")
    # s3rver makes its continuation tokens with DES, which OpenSSL 3 keeps in its
    # legacy provider: without this flag every truncated listing is a 500.
    p = subprocess.Popen(["node", "--openssl-legacy-provider", S3RVER, "-d", directory, "-a", "127.0.0.1", "-p", str(port),
                          "--service-endpoint", "localhost", "-s"],
                         stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True)
    with open(pidfile + ".tmp", "w") as f:
        f.write(f"{p.pid}\n")
    os.replace(pidfile + ".tmp", pidfile)
    if not wait_port(port, 30):
        p.kill()
        raise RuntimeError(f"s3rver did not listen on 127.0.0.1:{port} within 30 s")
    return p.pid


def stop_s3rver(pidfile):
    try:
        pid = int(open(pidfile).read())
        os.kill(pid, signal.SIGKILL)
    except (OSError, ValueError):
        pass


def fill_bucket(port):
    """Creates the bucket and its objects (anonymous requests, which s3rver allows)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def put(path, body=b""):
        conn.request("PUT", path, body=body, headers={"Content-Length": str(len(body))})
        r = conn.getresponse()
        r.read()
        if r.status != 200:
            raise RuntimeError(f"PUT {path}: HTTP {r.status}")

    put(f"/{BUCKET}")
    samples = os.path.join(ROOT, "samples")
    n_samples = 0
    for name in sorted(os.listdir(samples)) if os.path.isdir(samples) else []:
        if name.endswith(".jpg"):
            put(f"/{BUCKET}/event/day1/{name}", open(os.path.join(samples, name), "rb").read())
            n_samples += 1
    for i in range(N_MANY):
        key = f"many/k{i:04d}.jpg"
        put(f"/{BUCKET}/{key}", key.encode())
    for key in ("many/readme.txt", "many/sub/notes.json", "many2/other.jpg",
                "event/day1/.DS_Store", "event/day2/x.png", "flaky/a.jpg", "flaky/b.jpg"):
        put(f"/{BUCKET}/{urllib.parse.quote(key)}", key.encode())
    put(f"/{BUCKET}/big/large.jpg", bytes(range(256)) * 1024)  # 256 KiB
    put(f"/{BUCKET}/odd/sp%20ace%2Bplus%3D.jpg", b"odd key")    # "sp ace+plus=.jpg"
    for key in (LONG_KEY, "cjk/deeper/short.jpg"):
        put(f"/{BUCKET}/{urllib.parse.quote(key)}", bytes(2000))
    for name in sorted(os.listdir(samples)) if os.path.isdir(samples) else []:
        if name.endswith(".jpg"):
            body = open(os.path.join(samples, name), "rb").read()
            for key in (f"outage/day1/a_{name}", f"outage/day1/b_{name}", f"blip/day1/{name}",
                        f"tail/day1/{name}", f"apidown/day1/{name}"):
                put(f"/{BUCKET}/{key}", body)
    put(f"/{STALL_BUCKET}")
    for name, sample in (("ok.jpg", "sample1.jpg"), ("stuck.jpg", "sample2.jpg"),
                         ("slow.jpg", "sample3.jpg")):
        put(f"/{STALL_BUCKET}/stall/day1/{name}", open(os.path.join(samples, sample), "rb").read())
    put(f"/{NAMES_BUCKET}")
    for key in NAME_KEYS:
        put(f"/{NAMES_BUCKET}/{urllib.parse.quote(key)}", key.encode())
    conn.close()
    return n_samples


def cluster_over_s3(build, tmp, port, n_samples):
    """`facecluster cluster --bucket event --sub day1` with the S3 source configured
    (WASABI_*): every sample photo is fetched through the signing proxy, processed and
    stored. Returns (ok, detail)."""
    env = dict(os.environ, FC_DATA_DIR=os.path.join(tmp, "fcdata"),
               WASABI_ENDPOINT=f"http://127.0.0.1:{port}", WASABI_ACCESS_KEY=ACCESS_KEY,
               WASABI_SECRET_KEY=SECRET_KEY, WASABI_BUCKET_NAME=BUCKET, WASABI_REGION="us-east-1")
    fc = os.path.join(ROOT, build, "facecluster")
    p = subprocess.run([fc, "cluster", "--bucket", "event", "--sub", "day1", "--json", "--quiet"],
                       env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=300)
    if p.returncode != 0:
        return False, f"exit {p.returncode}: {p.stderr.strip()[-300:]}"
    try:
        stats = json.loads(p.stdout)
        stats = stats.get("stats", stats)
    except ValueError:
        return False, "not JSON: " + p.stdout[:200]
    ok = (stats.get("processed_file_count") == n_samples and stats.get("failed_files") == 0
          and stats.get("total_faces", 0) >= n_samples)
    return ok, json.dumps({k: stats.get(k) for k in ("processed_file_count", "failed_files",
                                                      "total_faces", "total_persons")})


def incremental_over_s3(build, tmp, port, direct_port):
    """After cluster_over_s3: `cluster --incremental` sees no change in the bucket (the
    ETags stay), then sample1.jpg replaced by sample2.jpg's bytes under the same key is
    one changed image, read again (it kept the old photo's faces). Returns (ok, detail)."""
    env = dict(os.environ, FC_DATA_DIR=os.path.join(tmp, "fcdata"),
               WASABI_ENDPOINT=f"http://127.0.0.1:{port}", WASABI_ACCESS_KEY=ACCESS_KEY,
               WASABI_SECRET_KEY=SECRET_KEY, WASABI_BUCKET_NAME=BUCKET, WASABI_REGION="us-east-1")
    fc = os.path.join(ROOT, build, "facecluster")

    def incremental():
        p = subprocess.run([fc, "cluster", "--bucket", "event", "--sub", "day1", "--incremental",
                            "--json", "--quiet"], env=env, cwd=ROOT, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=300)
        if p.returncode != 0:
            raise RuntimeError(f"exit {p.returncode}: {p.stderr.strip()[-300:]}")
        return json.loads(p.stdout)

    try:
        same = incremental()
        body = open(os.path.join(ROOT, "samples", "sample2.jpg"), "rb").read()
        conn = http.client.HTTPConnection("127.0.0.1", direct_port, timeout=30)
        conn.request("PUT", f"/{BUCKET}/event/day1/sample1.jpg", body=body,
                     headers={"Content-Length": str(len(body))})
        r = conn.getresponse()
        r.read()
        conn.close()
        changed = incremental()
    except (RuntimeError, ValueError, OSError) as e:
        return False, str(e)
    keys = ("changed_images", "new_images", "removed_faces", "new_faces", "total_images")
    ok = (same.get("changed_images") == 0 and same.get("new_faces") == 0 and
          changed.get("changed_images") == 1 and changed.get("new_images") == 0 and
          changed.get("removed_faces", 0) >= 1 and changed.get("new_faces", 0) >= 1 and
          changed.get("total_images") == same.get("total_images"))
    return ok, json.dumps([{k: d.get(k) for k in keys} for d in (same, changed)])


def workers_over_s3(build, tmp, port, n_samples):
    """Two `facecluster worker --bucket event --sub day1` (no PATH: the configured
    source, as README shows) share one run over S3: both exit 0, one commits it, and
    `runs` shows it done with every sample photo. Returns (ok, detail)."""
    env = dict(os.environ, FC_DATA_DIR=os.path.join(tmp, "fcworkers"),
               WASABI_ENDPOINT=f"http://127.0.0.1:{port}", WASABI_ACCESS_KEY=ACCESS_KEY,
               WASABI_SECRET_KEY=SECRET_KEY, WASABI_BUCKET_NAME=BUCKET)
    fc = os.path.join(ROOT, build, "facecluster")
    args = [fc, "worker", "--bucket", "event", "--sub", "day1", "--threads", "1",
            "--lease-images", "2"]
    procs = [subprocess.Popen(args, env=env, cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    runs = subprocess.run([fc, "runs"], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=60).stdout
    ok = (all(p.returncode == 0 for p in procs) and
          sum("by this worker:" in o for o, _ in outs) == 1 and
          re.search(rf" done .* {n_samples} ", runs) is not None)
    return ok, json.dumps({"exit": [p.returncode for p in procs],
                           "stderr": [e.strip()[-200:] for _, e in outs], "runs": runs[-300:]})


LONG_KEY = "cjk/deeper/" + "\u5199" * 70 + "/" + "\u5199" * 30 + ".jpg"  # 326 bytes


def failed_long_keys_over_s3(build, tmp, port):
    """Two photos over MAX_IMAGE_SIZE_BYTES, one under a 326-byte key of 3-byte
    characters (the error names the key cut to fit): both are listed in the stats'
    `failed`, each with a reason. Returns (ok, detail)."""
    env = dict(os.environ, FC_DATA_DIR=os.path.join(tmp, "fclong"), MAX_IMAGE_SIZE_BYTES="1000",
               WASABI_ENDPOINT=f"http://127.0.0.1:{port}", WASABI_ACCESS_KEY=ACCESS_KEY,
               WASABI_SECRET_KEY=SECRET_KEY, WASABI_BUCKET_NAME=BUCKET)
    fc = os.path.join(ROOT, build, "facecluster")
    p = subprocess.run([fc, "cluster", "--bucket", "cjk", "--sub", "deeper", "--json", "--quiet"],
                       env=env, cwd=ROOT, capture_output=True, timeout=300)
    try:
        stats = json.loads(p.stdout)
        stats = stats.get("stats", stats)
    except ValueError:
        return False, f"exit {p.returncode}: {p.stderr[-300:]!r} {p.stdout[:200]!r}"
    failed = stats.get("failed", [])
    ok = (stats.get("failed_files") == 2 and sorted(f["path"] for f in failed) ==
          sorted([LONG_KEY, "cjk/deeper/short.jpg"]) and
          all("MAX_IMAGE_SIZE_BYTES" in f["reason"] for f in failed))
    return ok, json.dumps({"failed_files": stats.get("failed_files"), "failed": failed})


def stalled_server_over_s3(build, tmp, port):
    """WASABI_TIMEOUT_SECONDS=2 WASABI_ATTEMPTS=2: a photo whose answer stops half-way
    fails within seconds with a reason naming the timeout and the settings (there was
    no setting: 120 s per attempt, 5 attempts), a photo that comes slowly but keeps
    moving (3 s) is read whole, the rest of the run goes on; a bad value is a
    start-up error naming the variable. Returns (ok, detail)."""
    env = dict(os.environ, FC_DATA_DIR=os.path.join(tmp, "fcstall"),
               WASABI_ENDPOINT=f"http://127.0.0.1:{port}", WASABI_ACCESS_KEY=ACCESS_KEY,
               WASABI_SECRET_KEY=SECRET_KEY, WASABI_BUCKET_NAME=STALL_BUCKET,
               WASABI_TIMEOUT_SECONDS="2", WASABI_ATTEMPTS="2")
    fc = os.path.join(ROOT, build, "facecluster")
    t0 = time.monotonic()
    try:
        p = subprocess.run([fc, "cluster", "--bucket", "stall", "--sub", "day1", "--json", "--quiet"],
                           env=env, cwd=ROOT, capture_output=True, timeout=90)
    except subprocess.TimeoutExpired:
        return False, "still running after 90 s"
    took = time.monotonic() - t0
    bad = [subprocess.run([fc, "cluster", "--bucket", "stall", "--sub", "day1", "--quiet"],
                          env=dict(env, **{var: val}), cwd=ROOT, capture_output=True, text=True,
                          timeout=60) for var, val in (("WASABI_TIMEOUT_SECONDS", "0"),
                                                       ("WASABI_ATTEMPTS", "many"))]
    try:
        stats = json.loads(p.stdout)
    except ValueError:
        return False, f"exit {p.returncode}: {p.stderr[-300:]!r} {p.stdout[:200]!r}"
    failed = stats.get("failed", [])
    reason = failed[0]["reason"] if failed else ""
    ok = (p.returncode == 0 and took < 30 and stats.get("processed_file_count") == 2 and
          [f["path"] for f in failed] == ["stall/day1/stuck.jpg"] and
          "Operation too slow" in reason and "after 2 attempts" in reason and
          "WASABI_TIMEOUT_SECONDS" in reason and
          all(b.returncode != 0 and var in b.stderr for b, var in
              zip(bad, ("WASABI_TIMEOUT_SECONDS", "WASABI_ATTEMPTS"))))
    return ok, json.dumps({"took": round(took, 1), "exit": p.returncode, "processed":
                           stats.get("processed_file_count"), "failed": failed,
                           "bad": [(b.returncode, b.stderr.strip()[-200:]) for b in bad]})


def outage_over_s3(build, tmp, port, n_samples):
    """WASABI_ATTEMPTS=1 (a 503 is final). blip/day1/: the two photos that failed once
    are fetched again after the others, and nothing is failed. outage/day1/: after 3
    photos the server answers 503 to everything: `cluster` stops with exit status 4
    and a reason naming --resume, instead of failing every photo after them (a
    `worker` too, with its own words); once the server is back, `--resume` reads the
    rest, and no photo is read twice. tail/day1/: down after the first photo, so the
    five after it are fewer than the 8 in a row that mean an outage, but failing again
    when fetched once more they are: exit 4 too, not a run done with 5 failed photos.
    Returns (ok, detail)."""
    env = dict(os.environ, FC_DATA_DIR=os.path.join(tmp, "fcoutage"), WASABI_ATTEMPTS="1",
               WASABI_ENDPOINT=f"http://127.0.0.1:{port}", WASABI_ACCESS_KEY=ACCESS_KEY,
               WASABI_SECRET_KEY=SECRET_KEY, WASABI_BUCKET_NAME=BUCKET)
    fc = os.path.join(ROOT, build, "facecluster")

    def cluster(sub, *more):
        p = subprocess.run([fc, "cluster", "--bucket", sub, "--sub", "day1", "--threads", "1",
                            "--json", "--quiet", *more], env=env, cwd=ROOT, capture_output=True,
                           text=True, timeout=300)
        try:
            stats = json.loads(p.stdout) if p.returncode == 0 else {}
        except ValueError:
            stats = {}
        return p.returncode, p.stderr.strip()[-400:], stats.get("stats", stats)

    blip = cluster("blip")
    down = cluster("outage")
    tail = cluster("tail")
    worker = subprocess.run([fc, "worker", "--bucket", "outage", "--sub", "day1", "--threads",
                             "1"], env=dict(env, FC_DATA_DIR=os.path.join(tmp, "fcoutage-w")),
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    OUTAGE_OVER.set()
    resumed = cluster("outage", "--resume")
    tail_resumed = cluster("tail", "--resume")
    n = 2 * n_samples
    ok = (blip[0] == 0 and blip[2].get("processed_file_count") == n_samples and
          blip[2].get("failed_files") == 0 and BLIP_SEEN >= BLIP_KEYS and
          down[0] == 4 and "stopped answering" in down[1] and "--resume" in down[1] and
          f"its 3 of {n} images" in down[1] and tail[0] == 4 and
          f"its 1 of {n_samples} images" in tail[1] and tail_resumed[0] == 0 and
          tail_resumed[2].get("processed_file_count") == n_samples and
          tail_resumed[2].get("failed_files") == 0 and
          "HTTP 503 ServiceUnavailable" in down[1] and worker.returncode == 4 and
          "worker started again continues the run" in worker.stderr and resumed[0] == 0 and
          resumed[2].get("processed_file_count") == n and resumed[2].get("failed_files") == 0 and
          len(OUTAGE_SERVED) == n + n_samples and set(OUTAGE_SERVED.values()) == {1})
    return ok, json.dumps({"blip": blip, "down": down[:2], "resumed": resumed,
                           "tail": [tail[:2], tail_resumed],
                           "worker": [worker.returncode, worker.stderr.strip()[-300:]],
                           "served": OUTAGE_SERVED})


def serve_over_s3(port, n_samples):
    """`facecluster serve` with WASABI_* set reads the S3 bucket (API.md, Sources of
    images): POST /cluster-bucket-persons/event/day1 clusters every sample photo
    fetched through the signing proxy, and a wrong secret is a start-up error, not a
    silent fallback to the local folders. A bucket whose photos answer 503 after the
    first two (apidown/) is a 503 whose detail says the source stopped answering and
    how to continue; once the source is back, resume=true continues that run and reads
    none of the photos it had stored again. Returns (ok, detail)."""
    sys.path.insert(0, os.path.join(ROOT, "tests", "api"))
    from test_http import BINARY, Server  # noqa: PLC0415 - the API tests' server helper
    env = dict(WASABI_ENDPOINT=f"http://127.0.0.1:{port}", WASABI_ACCESS_KEY=ACCESS_KEY,
               WASABI_SECRET_KEY=SECRET_KEY, WASABI_BUCKET_NAME=BUCKET, WASABI_ATTEMPTS="1")
    try:
        with Server(env) as s:
            status, doc = s.json("POST", "/cluster-bucket-persons/event/day1", timeout=300)
            avatars = s.json("GET", "/debug/list-avatars")
            # one fetch at a time: the 2 that pass are the first 2, and the 4 after them
            # fail twice, 8 in a row (with 12 at once the order the answers come in varies)
            down = s.json("POST", "/cluster-bucket-persons/apidown/day1?max_concurrent=1",
                          timeout=300)
            APIDOWN_OVER.set()
            back = s.json("POST", "/cluster-bucket-persons/apidown/day1?resume=true", timeout=300)
        bad = dict(os.environ, **env, FC_ROOT=ROOT,
                   FC_DATA_DIR=tempfile.mkdtemp(prefix="fc-s3-serve-"))
        bad["WASABI_SECRET_KEY"] = "wrong"
        try:
            p = subprocess.run([BINARY, "serve", "--host", "127.0.0.1", "--port", "0"], env=bad,
                               capture_output=True, text=True, timeout=30)
        except subprocess.TimeoutExpired:  # it started and listens
            p = subprocess.CompletedProcess([], None, "", "still serving after 30 s")
        shutil.rmtree(bad["FC_DATA_DIR"], ignore_errors=True)
    except (AssertionError, OSError, ValueError) as e:
        return False, str(e)
    stats = (doc or {}).get("stats", {})
    ok = (status == 200 and stats.get("processed_file_count") == n_samples and
          stats.get("failed_files") == 0 and len(doc.get("person_clusters", [])) > 0 and
          avatars == (200, {"files": []}) and p.returncode == 1 and
          "cannot start: image source S3" in p.stderr and "SignatureDoesNotMatch" in p.stderr and
          down[0] == 503 and "stopped answering" in (down[1] or {}).get("detail", "") and
          f"its 2 of {n_samples} images stored so far, and POST /cluster-bucket-persons/"
          "apidown/day1?resume=true continues it" in down[1]["detail"] and
          back[0] == 200 and back[1]["stats"].get("resumed") is True and
          back[1]["stats"].get("processed_file_count") == n_samples and
          back[1]["stats"].get("images_skipped") == 2 and back[1]["stats"].get("failed_files") == 0 and
          sorted(v for k, v in OUTAGE_SERVED.items() if k.startswith("apidown/")) == [1] * n_samples)
    return ok, json.dumps({"status": status, "stats": {k: stats.get(k) for k in (
        "processed_file_count", "failed_files")}, "detail": (doc or {}).get("detail"),
        "avatars": avatars, "bad_secret": [p.returncode, p.stderr.strip()[-300:]],
        "apidown": down, "apidown_resumed": [back[0], (back[1] or {}).get("stats", back[1])]})


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "--start":  # used by the C tests to restart
        start_s3rver(sys.argv[2], int(sys.argv[3]), sys.argv[4])
        return 0
    build = os.environ.get("FC_BUILD", "build")
    tests_bin = os.path.join(ROOT, build, "tests")
    if not os.path.exists(S3RVER) or not os.path.exists(tests_bin):
        print(f"SKIP s3 tests: {S3RVER if not os.path.exists(S3RVER) else tests_bin} missing "
              "(scripts/setup installs node_modules; make builds the tests)")
        print("0 passed, 0 failed, 1 skipped")
        return 0
    passed = failed = skipped = 0
    for name, ok, detail in verifier_self_test():
        print(("PASS " if ok else "FAIL ") + name + ("" if ok else f": got {detail}"))
        passed, failed = passed + ok, failed + (not ok)

    tmp = tempfile.mkdtemp(prefix="fc-s3-")
    data = os.path.join(tmp, "data")
    os.mkdir(data)
    port, pidfile = free_port(), os.path.join(tmp, "s3rver.pid")
    proxy = None
    try:
        start_s3rver(data, port, pidfile)
        n_samples = fill_bucket(port)
        Proxy.upstream_port = port
        proxy = ProxyServer(("127.0.0.1", 0), Proxy)
        threading.Thread(target=proxy.serve_forever, daemon=True).start()
        pport = proxy.server_address[1]
        env = dict(os.environ,
                   FC_ROOT=ROOT,
                   FC_TEST_S3_ENDPOINT=f"http://127.0.0.1:{pport}",
                   FC_TEST_S3_VHOST_ENDPOINT=f"http://s3.localhost:{pport}",
                   FC_TEST_S3_DIRECT=f"http://127.0.0.1:{port}",
                   FC_TEST_S3_BUCKET=BUCKET, FC_TEST_S3_KEY=ACCESS_KEY,
                   FC_TEST_S3_NAMES_BUCKET=NAMES_BUCKET, FC_TEST_S3_NAMES=str(N_NAMES),
                   FC_TEST_S3_SECRET=SECRET_KEY, FC_TEST_S3_MANY=str(N_MANY),
                   FC_TEST_S3_SAMPLES=str(n_samples), FC_TEST_S3_PIDFILE=pidfile,
                   FC_TEST_S3_RESTART=f"/usr/bin/python3 {os.path.abspath(__file__)} --start "
                                      f"{data} {port} {pidfile}")
        p = subprocess.run([tests_bin, "s3srv_"], env=env, cwd=ROOT, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=540)
        counts = None
        for line in p.stdout.splitlines():
            m = re.fullmatch(r"(\d+) passed, (\d+) failed, (\d+) skipped", line)
            if m:
                counts = tuple(int(g) for g in m.groups())
            else:
                print(line)
        if counts is None:
            print(f"FAIL build/tests s3srv_ ended (status {p.returncode}) without a count line")
            failed += 1
        else:
            passed, failed, skipped = passed + counts[0], failed + counts[1], skipped + counts[2]
            if p.returncode != 0 and counts[1] == 0:
                print(f"FAIL build/tests s3srv_ exited with status {p.returncode}")
                failed += 1
        print("proxy: " + json.dumps(STATS))
        checks = [("proxy verified continuation-token requests", STATS["continuations"] >= 2),
                  ("proxy rejected the wrong-secret requests", STATS["rejected"] >= 1),
                  ("proxy failed flaky/ requests with 503", STATS["flaky_503"] >= FLAKY_FAILURES),
                  ("listings asked for encoding-type=url", STATS["url_encoded_lists"] >= 2)]
        if counts is None or counts[0] == 0:
            checks = []
        for name, ok in checks:
            print(("PASS " if ok else "FAIL ") + name)
            passed, failed = passed + ok, failed + (not ok)
        ok, detail = cluster_over_s3(build, tmp, pport, n_samples)
        print(("PASS " if ok else "FAIL ") + "cluster command over S3 (event/day1, SigV4 proxy)" +
              ("" if ok else ": " + detail))
        passed, failed = passed + ok, failed + (not ok)
        ok, detail = incremental_over_s3(build, tmp, pport, port)
        print(("PASS " if ok else "FAIL ") + "cluster --incremental over S3: unchanged bucket, "
              "then an object replaced under its key (ETag)" + ("" if ok else ": " + detail))
        passed, failed = passed + ok, failed + (not ok)
        ok, detail = failed_long_keys_over_s3(build, tmp, pport)
        print(("PASS " if ok else "FAIL ") + "every failed file is listed, a long key of "
              "3-byte characters too" + ("" if ok else ": " + detail))
        passed, failed = passed + ok, failed + (not ok)
        ok, detail = workers_over_s3(build, tmp, pport, n_samples)
        print(("PASS " if ok else "FAIL ") + "two workers over S3 share one run of "
              "event/day1" + ("" if ok else ": " + detail))
        passed, failed = passed + ok, failed + (not ok)
        ok, detail = stalled_server_over_s3(build, tmp, pport)
        print(("PASS " if ok else "FAIL ") + "a stalled S3 answer times out after "
              "WASABI_TIMEOUT_SECONDS x WASABI_ATTEMPTS, a slow one that moves is read" +
              ("" if ok else ": " + detail))
        passed, failed = passed + ok, failed + (not ok)
        ok, detail = outage_over_s3(build, tmp, pport, n_samples)
        print(("PASS " if ok else "FAIL ") + "an S3 outage mid-run stops the run for --resume "
              "(exit 4); a photo that failed once is fetched again" +
              ("" if ok else ": " + detail))
        passed, failed = passed + ok, failed + (not ok)
        ok, detail = serve_over_s3(pport, n_samples)
        print(("PASS " if ok else "FAIL ") + "serve over S3: cluster-bucket-persons reads the "
              "bucket (503 when it stopped answering); a wrong secret stops the start" + ("" if ok else ": " + detail))
        passed, failed = passed + ok, failed + (not ok)
    finally:
        STALL_RELEASE.set()
        if proxy:
            proxy.shutdown()
        stop_s3rver(pidfile)
        subprocess.run(["rm", "-rf", tmp])
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
