#!/usr/bin/env python3
"""Route tests of `facecluster serve` on the embedded default: every API.md route and
its error cases against the real binary ($FC_BUILD/facecluster), a temporary
FC_DATA_DIR (SQLite store) and a temporary LOCAL_STORAGE_PATH holding real photos
(samples/sample1..6.jpg; /work/shared/data photos when present). Includes the
original README's three curl smoke tests, run with the real `curl`, jobs with
wait=false (polling, cancel), 409 for a second run of a bucket, and restarts
after a graceful stop and after a kill in the middle of a run.

Usage: tests/api/test_routes.py [NAME-SUBSTRING ...]
Prints PASS/FAIL/SKIP per test and ends with `N passed, N failed, N skipped`.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_http import BINARY, OID, ROOT, Server, Skip, check, eq, multipart  # noqa: E402

SAMPLES = [os.path.join(ROOT, "samples", "sample%d.jpg" % i) for i in range(1, 7)]
SHARED = os.path.normpath(os.path.join(ROOT, "..", "shared", "data"))
SHARED_FACES = os.path.join(SHARED, "facenet-pytorch", "test_images")
STATS_KEYS = ("total_persons", "total_images", "total_faces", "unassigned_faces",
              "single_person_images", "multi_person_images", "max_persons_per_image",
              "avg_faces_per_person", "clustering_id", "database_saved", "processing_time_seconds",
              "original_file_count", "processed_file_count", "failed_files", "batch_size_used",
              "max_concurrent_used", "avg_processing_time_per_image", "files_per_second",
              "clustering_method")
TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


class World:
    """The data every test shares: a bucket root, a single-face photo, a blank one."""

    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="fc-routes-")
        self.buckets = os.path.join(self.tmp, "buckets")
        self.put("my-bucket/my-sub", SAMPLES)
        with open(os.path.join(self.buckets, "my-bucket/my-sub/corrupt.jpg"), "wb") as f:
            f.write(b"\xff\xd8\xff\xe0 this is not really a JPEG")
        with open(os.path.join(self.buckets, "my-bucket/my-sub/notes.txt"), "w") as f:
            f.write("not an image: not listed")
        # 36 images: long enough (seconds) to poll, cancel and collide with
        self.put("big/many", [SAMPLES[i % 6] for i in range(36)], rename=True)
        self.put("usersAvatars", SAMPLES[:1])
        self.put("usersAvatars/nested", SAMPLES[1:2])
        os.makedirs(os.path.join(self.buckets, "empty/none"))
        self.face = os.path.join(self.tmp, "face.jpg")
        self.blank = os.path.join(self.tmp, "blank.png")
        from PIL import Image  # noqa: PLC0415 - only the tests need PIL
        if os.path.isdir(SHARED_FACES):
            shutil.copy(os.path.join(SHARED_FACES, "angelina_jolie", "1.jpg"), self.face)
        else:  # the leftmost face of sample1, alone
            Image.open(SAMPLES[0]).crop((330, 250, 700, 700)).save(self.face, quality=92)
        self.sample1_face = os.path.join(self.tmp, "sample1_face.jpg")
        Image.open(SAMPLES[0]).crop((330, 250, 700, 700)).save(self.sample1_face, quality=92)
        Image.new("RGB", (400, 300), (200, 200, 200)).save(self.blank)

    def put(self, prefix, files, rename=False):
        d = os.path.join(self.buckets, prefix)
        os.makedirs(d, exist_ok=True)
        for i, f in enumerate(files):
            name = "img%03d.jpg" % i if rename else os.path.basename(f)
            shutil.copy(f, os.path.join(d, name))

    def server(self, data_dir=None, **kw):
        env = {"LOCAL_STORAGE_PATH": self.buckets}
        if data_dir:
            env["FC_DATA_DIR"] = data_dir
        return Server(env, threads=kw.get("threads", 6))


def upload(s, method, path, fields):
    body, ctype = multipart(fields)
    return s.json(method, path, body=body, headers={"Content-Type": ctype})


def photo(path, name="file"):
    with open(path, "rb") as f:
        return (name, f.read(), os.path.basename(path), "image/jpeg")


def curl(s, *args):
    out = subprocess.run(["curl", "-sS", "-w", "\n%{http_code}"] +
                         [a.replace("PORT", str(s.port)) for a in args],
                         capture_output=True, text=True, timeout=300)
    body, _, code = out.stdout.rpartition("\n")
    return int(code), json.loads(body) if body else None


def poll(s, job_id, until=("done", "failed", "cancelled"), timeout=120):
    deadline = time.monotonic() + timeout
    while True:
        status, doc = s.json("GET", "/jobs/" + job_id)
        eq(status, 200)
        if doc["status"] in until or time.monotonic() > deadline:
            return doc
        time.sleep(0.05)


def cluster(s, bucket="my-bucket/my-sub", query=""):
    status, doc = s.json("POST", "/cluster-bucket-persons/%s%s" % (bucket, query), timeout=300)
    eq(status, 200, doc)
    return doc


# --- service ------------------------------------------------------------------------

@test
def health_and_avatars(s):
    status, doc = s.json("GET", "/health")
    eq((status, doc["status"], doc["database"], doc["vector_store"]), (200, "healthy", "connected", "connected"))
    eq((doc["beanie_database"], doc["mongoengine_database"]), ("connected", "connected"))
    eq(s.json("GET", "/debug/list-avatars"), (200, {"files": ["usersAvatars/nested/sample2.jpg",
                                                              "usersAvatars/sample1.jpg"]}))


@test
def fresh_data_dir_starts(s):
    fresh = tempfile.mkdtemp(prefix="fc-fresh-")
    try:
        with Server({"FC_DATA_DIR": fresh, "LOCAL_STORAGE_PATH": None}) as t:  # the default root
            eq(t.json("GET", "/health")[1]["status"], "healthy")
            eq(t.json("GET", "/debug/list-avatars"), (200, {"files": []}))
    finally:
        shutil.rmtree(fresh, ignore_errors=True)


@test
def start_up_error_is_clear(s):
    env = dict(os.environ, FC_DATA_DIR=s.world.tmp, MONGODB_URL="mongodb://127.0.0.1:9/x",
               FC_MODELS_DIR=os.path.join(ROOT, "models"))
    out = subprocess.run([BINARY, "serve", "--port", "0"], env=env, capture_output=True, text=True, timeout=60)
    eq(out.returncode, 1)
    check("cannot start: database" in out.stderr, out.stderr)
    env.pop("MONGODB_URL")
    env["LOCAL_STORAGE_PATH"] = "/nonexistent/buckets"
    out = subprocess.run([BINARY, "serve", "--port", "0"], env=env, capture_output=True, text=True, timeout=60)
    eq(out.returncode, 1)
    check("cannot start: image source" in out.stderr, out.stderr)
    env.pop("LOCAL_STORAGE_PATH")
    env["FC_MODELS_DIR"] = "/nonexistent"
    out = subprocess.run([BINARY, "serve", "--port", "0"], env=env, capture_output=True, text=True, timeout=60)
    eq(out.returncode, 1)
    check("face pipeline" in out.stderr, out.stderr)


# --- profiles -----------------------------------------------------------------------

@test
def readme_curl_detect_face(s):
    code, doc = curl(s, "-X", "POST", "http://localhost:PORT/detect-face", "-F", "user_id=test.user@demo",
                     "-F", "file=@" + s.world.face, "-F", "min_face_size=30", "-F", "min_confidence=0.4",
                     "-F", "blur_threshold=50")
    eq(code, 200, doc)
    eq((doc["user_id"], doc["has_face"], doc["message"], doc["reason"]),
       ("test.user@demo", True, "Face detected and profile saved successfully", None))
    check(0 < doc["face_quality"] <= 1 and 0.4 <= doc["confidence"] <= 1, doc)


@test
def enrol_soft_failures(s):
    status, doc = upload(s, "POST", "/detect-face", [("user_id", "group", None, None), photo(SAMPLES[0])])
    eq((status, doc["has_face"]), (200, False))  # no profile saved
    eq(doc["reason"], "Multiple faces detected (3). Please use image with single face.")
    status, doc = upload(s, "POST", "/detect-face", [("user_id", "nobody", None, None), photo(s.world.blank)])
    eq((status, doc["has_face"], doc["reason"]), (200, False, "No faces detected in image"))
    status, doc = upload(s, "POST", "/detect-face", [("user_id", "blurry", None, None), photo(s.world.face),
                                                     ("blur_threshold", "100000", None, None),
                                                     ("min_face_size", "5000", None, None)])
    eq(status, 200)
    check(doc["reason"].startswith("Quality check failed: Size too small: "), doc)
    check("; Too blurry: " in doc["reason"] and doc["reason"].endswith(" < 100000.0"), doc)
    m = doc["debug_info"]["quality_metrics"]
    eq(sorted(m), ["blur_score", "blur_threshold", "confidence", "face_size", "min_confidence_required",
                   "min_size_required"])
    eq((m["min_size_required"], m["min_confidence_required"], m["blur_threshold"]), (5000, 0.4, 100000.0))
    checks = doc["debug_info"]["detailed_checks"]
    eq(len(checks), 3)
    h, w = m["face_size"]
    eq(checks[0], "Size too small: %dx%d < 5000" % (h, w))
    eq(checks[1], "Confidence OK: %.3f >= 0.4" % m["confidence"])
    eq(checks[2], "Too blurry: %.2f < 100000.0" % m["blur_score"])
    eq(s.json("GET", "/debug-profile/blurry")[0], 404)
    # a minimum beyond 32 bits is not cut to its low bits (2**32 + 30 was a minimum of 30)
    status, doc = upload(s, "POST", "/detect-face", [("user_id", "huge_min", None, None), photo(s.world.face),
                                                     ("min_face_size", str(2**32 + 30), None, None)])
    eq((status, doc["has_face"]), (200, False), doc)
    check(doc["reason"].startswith("Quality check failed: Size too small: "), doc)
    eq(s.json("GET", "/debug-profile/huge_min")[0], 404)


@test
def enrol_errors(s):
    eq(upload(s, "POST", "/detect-face", [("user_id", "u", None, None), ("file", b"", "e.jpg", "image/jpeg")]),
       (400, {"detail": "Empty file uploaded"}))
    status, doc = upload(s, "POST", "/detect-face", [("user_id", "u", None, None),
                                                     ("file", b"GIF89a garbage", "x.gif", "image/gif")])
    eq(status, 400)
    check(doc["detail"].startswith("Invalid image file: "), doc)
    # the decoder's reason, whole, once (it was "Invalid image file: Invalid image
    # file: e format (..." : the prefix written over the reason it wrapped)
    status, doc = upload(s, "POST", "/detect-face", [("user_id", "u", None, None),
                                                     ("file", b"# notes\nnot an image", "a.jpg", "image/jpeg")])
    eq((status, doc["detail"]), (400, 'Invalid image file: not a supported image format (20 bytes, first '
                                      'bytes 23 20 6e 6f 74 65 73 0a 6e 6f 74 20 61 6e 20 69 "# notes.not an i")'))
    with open(s.world.face, "rb") as f:
        head = f.read(1000)
    status, doc = upload(s, "POST", "/detect-face", [("user_id", "u", None, None), ("file", head, "cut.jpg", None)])
    eq(status, 400)
    check(doc["detail"].startswith("Invalid image file: jpeg: ") and doc["detail"].count("Invalid") == 1, doc)
    # a threshold that is no finite number is a 422 (it was a 200 without debug_info for
    # nan, inf and -inf: jansson makes no JSON number of them; "Too blurry: 300.20 < nan")
    for bad in ("nan", "inf", "-inf", "1e400"):
        status, doc = upload(s, "POST", "/detect-face", [("user_id", "u", None, None), photo(s.world.face),
                                                         ("blur_threshold", bad, None, None),
                                                         ("min_face_size", "5000", None, None)])
        eq((status, doc), (422, {"detail": [{"loc": ["body", "blur_threshold"],
                                             "msg": "ensure this value is a finite number",
                                             "type": "value_error.number.not_finite_number"}]}))
    # a plain field sent as a file part (with a filename) is refused as FastAPI's Form()
    # refuses an UploadFile (user_id was taken from the file's bytes)
    eq(upload(s, "POST", "/detect-face", [("user_id", b"mallory", "id.txt", "text/plain"), photo(s.world.face),
                                          ("min_face_size", b"30", "", None)]),
       (422, {"detail": [{"loc": ["body", "user_id"], "msg": "str type expected", "type": "type_error.str"},
                         {"loc": ["body", "min_face_size"], "msg": "value is not a valid integer",
                          "type": "type_error.integer"}]}))
    eq(s.json("GET", "/debug-profile/mallory")[0], 404)
    eq(upload(s, "POST", "/detect-face", [("user_id", "no spaces", None, None), photo(s.world.face)]),
       (400, {"detail": "Invalid user ID format. Use alphanumeric characters with .-_@ only"}))
    eq(upload(s, "PUT", "/update-face/bad%20id", [photo(s.world.face)])[0], 400)


@test
def unicode_user_ids(s):
    # API.md's ^[\w\-\.@]{1,64}$ is Python's: \w takes Unicode letters (the CLI did,
    # the HTTP routes answered 400 to any non-ASCII id)
    status, doc = upload(s, "POST", "/detect-face", [("user_id", "jos\u00e9@example.com", None, None),
                                                     photo(s.world.face)])
    eq((status, doc["user_id"], doc["has_face"]), (200, "jos\u00e9@example.com", True), doc)
    status, doc = upload(s, "PUT", "/update-face/%E5%BC%A0%E4%BC%9F", [photo(s.world.face)])
    eq((status, doc["user_id"], doc["message"]), (200, "\u5f20\u4f1f", "Profile updated successfully"), doc)
    eq(s.json("GET", "/debug-profile/jos%C3%A9%40example.com")[1]["exists"], True)
    eq(upload(s, "PUT", "/update-face/a%E2%80%94b", [photo(s.world.face)]),  # an em dash is no \w
       (400, {"detail": "Invalid user ID format. Use alphanumeric characters with .-_@ only"}))
    for uid in ("jos%C3%A9%40example.com", "%E5%BC%A0%E4%BC%9F"):
        eq(s.json("DELETE", "/debug-profile/" + uid)[0], 200)


@test
def profiles_debug_update_delete(s):
    status, doc = upload(s, "PUT", "/update-face/carol", [photo(s.world.face)])
    eq((status, doc["message"], doc["has_face"]), (200, "Profile updated successfully", True))
    status, doc = s.json("GET", "/debug-profile/carol")
    eq((status, doc["exists"], doc["user_id"]), (200, True, "carol"))
    p = doc["profile"]
    eq((p["embedding_size"], len(p["embedding_sample"]), p["has_bbox"]), (512, 5, True))
    b = p["bbox_info"]
    eq((b["width"], b["height"]), (b["values"][2], b["values"][3]))  # [x, y, w, h]
    status, doc = s.json("GET", "/debug-profiles?limit=1")
    eq((status, len(doc["profiles"])), (200, 1))
    check(doc["total_profiles"] >= 1, doc)
    eq(sorted(doc["profiles"][0]), ["confidence", "created_at", "embedding_size", "has_bbox",
                                    "quality_score", "updated_at", "user_id"])
    eq(s.json("DELETE", "/debug-profile/carol"),
       (200, {"user_id": "carol", "deleted": True, "message": "Profile for carol deleted successfully"}))
    eq(s.json("DELETE", "/debug-profile/carol"), (404, {"detail": "Profile carol not found"}))
    eq(s.json("GET", "/debug-profile/carol"), (404, {"detail": "Profile carol not found"}))
    status, doc = s.json("GET", "/debug-quality-settings")
    eq((status, doc["default_min_face_size"]), (200, 30))


# --- clustering -----------------------------------------------------------------------

@test
def readme_curl_cluster(s):
    code, doc = curl(s, "-X", "POST", "http://localhost:PORT/cluster-bucket-persons/my-bucket/my-sub")
    eq(code, 200, doc)
    eq(doc["bucket"], "my-bucket/my-sub")
    for k in STATS_KEYS:
        check(k in doc["stats"], "stats lacks %s" % k)
    st = doc["stats"]
    eq((st["original_file_count"], st["failed_files"], st["database_saved"]), (7, 1, True))
    eq([f["path"] for f in st["failed"]], ["my-bucket/my-sub/corrupt.jpg"])
    sizes = [c["total_appearances"] for c in doc["person_clusters"]]
    eq(sizes, sorted(sizes, reverse=True))
    eq(sum(sizes) + len(doc["unassigned"]), st["total_faces"])
    c = doc["person_clusters"][0]
    eq(sorted(c), ["avg_confidence", "best_quality", "cluster_id", "image_paths", "owner_face_id",
                   "person_id", "total_appearances", "unique_images"])
    for c in doc["person_clusters"]:  # distinct paths, in member order
        eq((c["unique_images"], len(set(c["image_paths"]))), (len(c["image_paths"]),) * 2, c)
    s.world.run_id = st["clustering_id"]


@test
def cluster_errors_and_alias(s):
    eq(s.json("POST", "/cluster-bucket-persons/empty/none"), (404, {"detail": "No valid images found in empty/none/"}))
    eq(s.json("POST", "/cluster-bucket-persons/no-such/bucket"),
       (404, {"detail": "No valid images found in no-such/bucket/"}))
    eq(s.json("POST", "/cluster-bucket-persons/no-such/bucket?wait=false")[0], 404)
    # a file where the bucket or sub-bucket folder would be: no images there (it was
    # 500 "Error listing ...: <server path>: Not a directory")
    with open(os.path.join(s.world.buckets, "plainfile"), "w") as f:
        f.write("not a folder")
    eq(s.json("POST", "/cluster-bucket-persons/plainfile/s"), (404, {"detail": "No valid images found in plainfile/s/"}))
    eq(s.json("POST", "/cluster-bucket-persons/usersAvatars/sample1.jpg"),
       (404, {"detail": "No valid images found in usersAvatars/sample1.jpg/"}))
    doc = cluster(s, "my-bucket/my-sub", "?max_images=2&batch_size=1&max_concurrent=1").get("stats")
    eq((doc["original_file_count"], doc["batch_size_used"], doc["max_concurrent_used"]), (2, 1, 1))
    status, doc = s.json("POST", "/cluster-bucket-with-db/my-bucket/my-sub?max_images=3")
    eq((status, doc["stats"]["original_file_count"]), (200, 3))


@test
def run_without_faces(s):
    s.world.put("bad/one", [])
    with open(os.path.join(s.world.buckets, "bad/one/corrupt.jpg"), "wb") as f:
        f.write(b"\xff\xd8\xff\xe0 not a jpeg")
    doc = cluster(s, "bad/one")
    eq((doc["person_clusters"], doc["unassigned"], doc["stats"]["failed_files"]), ([], [], 1))
    check(doc["stats"]["failed"][0]["reason"].startswith("jpeg: "), doc["stats"])


@test
def job_polling_progress_and_conflict(s):
    # progress comes per stored batch: small batches for a visible ETA
    status, doc = s.json("POST", "/cluster-bucket-persons/big/many?wait=false&max_concurrent=1&batch_size=4")
    eq(status, 202, doc)
    eq(sorted(doc), ["clustering_id", "job_id", "status_url"])
    eq(doc["status_url"], "/jobs/" + doc["job_id"])
    check(len(doc["clustering_id"] or "") == 24, doc)
    job, cid = doc["job_id"], doc["clustering_id"]
    # one run per bucket at a time, whether the second one waits or not
    eq(s.json("POST", "/cluster-bucket-persons/big/many"),
       (409, {"detail": "A clustering run of big/many is already in progress"}))
    eq(s.json("POST", "/cluster-bucket-persons/big/many?wait=false")[0], 409)
    mid = poll(s, job, until=("running",))
    eq(sorted(mid), ["clustering_id", "error", "eta_seconds", "finished_at", "job_id", "kind", "progress",
                     "result_url", "started_at", "status"])
    eq((mid["kind"], mid["clustering_id"]), ("cluster", cid))
    seen_eta = False
    while mid["status"] == "running":
        seen_eta = seen_eta or (mid["eta_seconds"] is not None and mid["progress"]["done"] > 0)
        time.sleep(0.03)
        mid = s.json("GET", "/jobs/" + job)[1]
    eq(mid["status"], "done", mid)
    check(seen_eta, "an ETA while running")
    eq((mid["progress"]["done"], mid["progress"]["total"]), (36, 36))
    check(mid["progress"]["faces"] > 36 and mid["finished_at"] and mid["error"] is None, mid)
    eq(mid["result_url"], "/person-cluster-status/big/many?clustering_id=" + cid)
    status, doc = s.json("GET", mid["result_url"])
    eq((status, doc["clustering_id"], doc["total_images"]), (200, cid, 36))
    eq(s.json("GET", "/jobs/" + OID), (404, {"detail": "Job %s not found" % OID}))
    eq(s.json("DELETE", "/jobs/" + OID)[0], 404)


@test
def job_cancel(s):
    status, doc = s.json("POST", "/cluster-bucket-persons/big/many?wait=false&max_concurrent=1")
    eq(status, 202, doc)
    poll(s, doc["job_id"], until=("running",))
    # a running run's data is not cleaned up (its vectors were deleted, the rest refused:
    # 200 with overall_success false)
    q = "/cleanup-person-data/big/many?clustering_id=" + doc["clustering_id"]
    eq(s.json("DELETE", q), (409, {"detail": "Clustering %s is still running: cancel it first"
                                             % doc["clustering_id"]}))
    status, dry = s.json("DELETE", q + "&dry_run=true")
    eq((status, dry["cleanup_steps"]["qdrant"]["deleted"]), (200, 0), dry)
    status, _ = s.json("DELETE", "/jobs/" + doc["job_id"])
    eq(status, 200)
    end = poll(s, doc["job_id"])
    eq(end["status"], "cancelled", end)
    check(end["progress"]["done"] < 36, end)
    # a cancelled run is no result
    eq(s.json("GET", "/person-cluster-status/big/many?clustering_id=" + doc["clustering_id"]),
       (404, {"detail": "Clustering %s not found in person_clustering_big_many" % doc["clustering_id"]}))


@test
def cancel_queued_job(s):
    status, first = s.json("POST", "/cluster-bucket-persons/big/many?wait=false&max_concurrent=1")
    eq(status, 202, first)
    status, queued = s.json("POST", "/cluster-bucket-persons/my-bucket/my-sub?wait=false")
    eq((status, queued["clustering_id"]), (202, None), queued)  # behind big/many
    # a queued job ends when cancelled: it neither holds its bucket nor waits for
    # big/many's run (it stayed "queued", and a new run of its bucket was 409, until then)
    status, doc = s.json("DELETE", "/jobs/" + queued["job_id"])
    eq((status, doc["status"], doc["error"]), (200, "cancelled", "Job cancelled before it started"), doc)
    status, again = s.json("POST", "/cluster-bucket-persons/my-bucket/my-sub?wait=false")
    eq(status, 202, again)
    for job in (first["job_id"], again["job_id"]):
        s.json("DELETE", "/jobs/" + job)
        check(poll(s, job)["status"] in ("cancelled", "done"))


@test
def job_keeps_its_run_beside_a_cli_run(s):
    # a `facecluster cluster` of the same bucket on the same store, started while the
    # job runs: /jobs/{id} kept reporting the newest running run of the bucket, the CLI's
    s.world.put("cli/beside", [SAMPLES[i % 6] for i in range(120)], rename=True)
    status, doc = s.json("POST", "/cluster-bucket-persons/cli/beside?wait=false&max_concurrent=1&batch_size=4")
    eq(status, 202, doc)
    job, cid = doc["job_id"], doc["clustering_id"]
    env = dict(s.env, FC_THREADS="1")
    cli = subprocess.Popen([BINARY, "cluster", "--bucket", "cli", "--sub", "beside", "--threads", "1"], env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        seen, cli_running = set(), None
        while True:
            mid = s.json("GET", "/jobs/" + job)[1]
            if mid["status"] != "running":
                break
            seen.add(mid["clustering_id"])
            if cli_running is None:
                others = [i for i, st in runs_of(s.env["FC_DATA_DIR"]).items() if st == "running" and i != cid]
                cli_running = time.monotonic() if others else None
            elif time.monotonic() - cli_running > 0.5:  # progress comes every ~100 ms
                break
        if cli_running is None:
            raise Skip("the job ended before the CLI's run began")
        eq(seen, {cid})
    finally:
        s.json("DELETE", "/jobs/" + job)
        poll(s, job)
        cli.terminate()
        cli.wait(60)


@test
def cluster_status_views(s):
    eq(s.json("GET", "/person-cluster-status/empty/none"),
       (404, {"detail": "No person clustering results found for empty/none in collection person_clustering_empty_none"}))
    eq(s.json("GET", "/person-cluster-status/my-bucket/my-sub?clustering_id=" + OID),
       (404, {"detail": "Clustering %s not found in person_clustering_my_bucket_my_sub" % OID}))
    status, doc = s.json("GET", "/person-cluster-status/my-bucket/my-sub")
    eq(status, 200)
    check(doc["total_clustering_documents"] >= 2, doc)
    eq(sorted(doc), ["all_clusterings", "bucket_path", "collection_name", "latest_clustering",
                     "total_clustering_documents"])
    stamps = [r["timestamp"] for r in doc["all_clusterings"]]
    eq(stamps, sorted(stamps, reverse=True))
    run = s.world.run_id
    status, one = s.json("GET", "/person-cluster-status/my-bucket/my-sub?clustering_id=%s&show_details=true" % run)
    eq((status, one["clustering_type"], one["clustering_id"]), (200, "person_based_with_overlaps", run))
    check(len(one["top_persons"]) <= 5 and one["top_persons"][0]["person_rank"] == 1, one)
    check(1 <= len(one["top_persons"][0]["sample_images"]) <= 3, one)
    eq(len(one["detailed_clusters"]), one["person_clusters_count"])
    eq(sorted(one["assignment_info"]), ["avg_similarity", "total_assigned", "total_users"])
    status, one = s.json("GET", "/person-cluster-status/my-bucket/my-sub?clustering_id=%s&collection_name="
                         "person_clustering_my_bucket_my_sub" % run.upper())
    eq((status, one["top_persons"][0]["sample_images"]), (200, []))
    eq(s.json("GET", "/person-cluster-status/my-bucket/my-sub?collection_name=bogus"),
       (400, {"detail": "Invalid collection_name"}))


@test
def person_details_and_verify(s):
    run = s.world.run_id
    status, doc = s.json("GET", "/person-details/my-bucket/my-sub/person_0?clustering_id=" + run)
    eq(status, 200, doc)
    eq(sorted(doc), ["all_appearances", "avg_confidence", "best_quality", "clustering_id", "embeddings_in_qdrant",
                     "image_paths", "owner_face", "person_id", "total_appearances"])
    eq((doc["embeddings_in_qdrant"], len(doc["all_appearances"])), (doc["total_appearances"],) * 2)
    eq(sum(a["is_owner"] for a in doc["all_appearances"]), 1)
    eq(len(doc["all_appearances"][0]["bbox"]), 4)
    eq(s.json("GET", "/person-details/my-bucket/my-sub/nobody"), (404, {"detail": "Person nobody not found in my-bucket/my-sub"}))
    status, doc = s.json("GET", "/verify-storage/my-bucket/my-sub?clustering_id=" + run)
    eq((status, doc["total_consistency"], doc["metadata_only"], doc["vectors_only"]), (200, True, [], []))
    check(doc["matching_face_ids"] > 0, doc)
    eq(s.json("GET", "/verify-storage/my-bucket/my-sub?clustering_id=" + OID)[0], 404)


@test
def latin1_file_names(s):
    # Linux file names are bytes: photos from a Latin-1 system are named caf\xe9.jpg.
    # JSON shows each byte outside valid UTF-8 as its Latin-1 character (docs/jobs.md);
    # no face, path or failed entry may be left out (the answer was a 500 "out of
    # memory", and the stored run's views left those faces' paths out)
    d = os.path.join(os.fsencode(s.world.buckets), b"latin1/photos")
    os.makedirs(os.path.join(d, b"f\xeate"), exist_ok=True)
    for src, name in ((SAMPLES[0], b"caf\xe9.jpg"), (SAMPLES[1], b"f\xeate/gar\xe7on.jpg"),
                      (SAMPLES[2], b"plain.jpg")):
        shutil.copy(src, os.path.join(d, name))
    with open(os.path.join(d, b"bad\xff.jpg"), "wb") as f:
        f.write(b"not an image")
    doc = cluster(s, "latin1/photos")
    st = doc["stats"]
    eq((st["failed_files"], [f["path"] for f in st["failed"]]), (1, ["latin1/photos/bad\u00ff.jpg"]))
    want = {"latin1/photos/caf\u00e9.jpg", "latin1/photos/f\u00eate/gar\u00e7on.jpg", "latin1/photos/plain.jpg"}
    paths = [p for c in doc["person_clusters"] for p in c["image_paths"]] + doc["unassigned"]
    eq(set(paths), want)
    eq(sum(c["total_appearances"] for c in doc["person_clusters"]) + len(doc["unassigned"]), st["total_faces"])
    run = st["clustering_id"]
    status, one = s.json("GET", "/person-cluster-status/latin1/photos?clustering_id=%s&show_details=true" % run)
    eq(status, 200, one)
    eq(set(p for c in one["detailed_clusters"] for p in c["image_paths"]), want)
    eq(sum(len(c["image_paths"]) for c in one["detailed_clusters"]), sum(c["size"] for c in one["detailed_clusters"]))
    seen = set()
    for c in one["detailed_clusters"]:
        status, det = s.json("GET", "/person-details/latin1/photos/%s?clustering_id=%s" % (c["person_id"], run))
        eq((status, len(det["all_appearances"]), len(det["image_paths"])), (200, c["size"], c["size"]), det)
        check(det["owner_face"] and det["owner_face"]["image_path"] in want, det)
        seen.update(a["image_path"] for a in det["all_appearances"])
    eq(seen, want)


# --- assignments ------------------------------------------------------------------------

@test
def readme_curl_assign(s):
    run = s.world.run_id
    # without ../shared the README's enrolment above used this same face: one user per
    # face, so that the assignment below has one right answer
    s.json("DELETE", "/debug-profile/test.user@demo")
    status, doc = upload(s, "POST", "/detect-face", [("user_id", "sam", None, None), photo(s.world.sample1_face)])
    eq((status, doc["has_face"]), (200, True), doc)
    code, doc = curl(s, "-X", "POST", "http://localhost:PORT/assignments/my-bucket/my-sub?clustering_id=%s"
                     "&threshold=0.7&strategy=centroid" % run)
    eq(code, 200, doc)
    eq(sorted(doc), ["assigned_clusters", "assignments", "bucket_path", "clustering_id", "collection_name",
                     "dry_run", "saved_to_db", "strategy", "threshold", "timestamp", "total_clusters",
                     "unassigned_cluster_ids", "unassigned_clusters"])
    eq((doc["threshold"], doc["strategy"], doc["saved_to_db"]), (0.7, "centroid", True))
    eq(doc["assigned_clusters"] + doc["unassigned_clusters"], doc["total_clusters"])
    users = {a["user_id"] for a in doc["assignments"].values()}
    check("sam" in users, doc["assignments"])
    for cid, a in doc["assignments"].items():
        check(a["similarity"] >= 0.7 and a["person_id"] == cid, a)
    status, got = s.json("GET", "/assignments/my-bucket/my-sub?clustering_id=" + run)
    eq((status, got["total_assignments"]), (200, doc["assigned_clusters"]))
    eq(sorted(got["assignments"][0]), ["cluster_id", "created_at", "face_count", "similarity", "strategy", "user_id"])
    status, vote = s.json("POST", "/assignments/my-bucket/my-sub?clustering_id=%s&strategy=vote&dry_run=true"
                          "&one_to_one=true&margin=0.05" % run)
    eq((status, vote["strategy"], vote["dry_run"], vote["saved_to_db"]), (200, "vote", True, False))
    # explain=true (extension): why each person has no user; here none reaches 0.99
    status, why = s.json("POST", "/assignments/my-bucket/my-sub?clustering_id=%s&threshold=0.99"
                         "&dry_run=true&explain=true" % run)
    eq((status, why["assigned_clusters"]), (200, 0), why)
    eq(sorted(why["unassigned_details"]), sorted(why["unassigned_cluster_ids"]))
    for cid, d in why["unassigned_details"].items():
        eq(sorted(d), ["best_user_id", "reason", "second_similarity", "similarity"], d)
        eq(d["reason"], "below_threshold", d)
        check(d["best_user_id"] is not None and d["similarity"] < 0.99, d)
    check(any(d["best_user_id"] == "sam" and d["similarity"] >= 0.7 for d in why["unassigned_details"].values()),
          why["unassigned_details"])
    status, bad = s.json("POST", "/assignments/my-bucket/my-sub?clustering_id=%s&explain=maybe" % run)
    eq((status, bad["detail"][0]["loc"], bad["detail"][0]["type"]), (422, ["query", "explain"], "type_error.bool"), bad)
    status, doc = s.json("GET", "/assignments/user/sam?include_details=true&bucket_name=my-bucket&sub_bucket=my-sub")
    eq((status, doc["user_id"]), (200, "sam"))
    check(doc["total_assignments"] >= 1 and doc["clusterings"][0]["clusters"][0]["image_paths"], doc)
    eq(doc["filters_applied"], {"bucket_name": "my-bucket", "sub_bucket": "my-sub", "clustering_id": None})


@test
def assignment_reads_and_errors(s):
    run = s.world.run_id
    eq(s.json("GET", "/assignments/my-bucket/my-sub"), (200, {
        "message": "Please provide clustering_id parameter to get specific assignments",
        "example": "/assignments/my-bucket/my-sub?clustering_id=<your_clustering_id>"}))
    eq(s.json("POST", "/assignments/my-bucket/my-sub?clustering_id=bad")[0], 400)
    eq(s.json("POST", "/assignments/my-bucket/my-sub?clustering_id=" + OID),
       (404, {"detail": "Clustering %s not found in person_clustering_my_bucket_my_sub" % OID}))
    status, doc = s.json("GET", "/assignments/user/ghost")
    eq((status, doc["total_assignments"], doc["assignments"]), (200, 0, []))
    eq(doc["message"], "No assignments found matching the specified filters")
    eq(s.json("POST", "/assignments/batch"),
       (400, {"detail": "Either provide collection_name, or both bucket_name and sub_bucket"}))
    status, doc = s.json("POST", "/assignments/batch?collection_name=person_clustering_my_bucket_my_sub&dry_run=true")
    eq((status, doc["collection_name"]), (200, "person_clustering_my_bucket_my_sub"))
    eq(doc["total_documents_processed"], len(doc["results"]))
    status, doc = s.json("GET", "/assignments/debug/collections")
    check(status == 200 and "person_clustering_my_bucket_my_sub" in [c["name"] for c in doc["collections"]], doc)
    status, doc = s.json("GET", "/assignments/debug/collection/person_clustering_my_bucket_my_sub")
    eq((status, doc["ready_for_assignment"]), (200, True))
    check(doc["document_count"] >= 1 and "person_clusters" in doc["fields"], doc)
    eq(s.json("GET", "/assignments/debug/collection/nope")[0], 404)
    status, doc = s.json("GET", "/assignments/debug/test-db-connection")
    eq((status, doc["status"]), (200, "success"))
    check("user_profiles" in doc["collections"], doc)
    eq(s.json("DELETE", "/assignments/clustering/" + OID), (200, {"clustering_id": OID, "deleted_count": 0}))
    status, doc = s.json("DELETE", "/assignments/clustering/" + run)
    check(status == 200 and doc["deleted_count"] >= 1, doc)


@test
def no_profiles_404(s):
    with s.world.server() as t:
        doc = cluster(t, "my-bucket/my-sub", "?max_images=2")  # corrupt.jpg, sample1.jpg
        eq(t.json("POST", "/assignments/my-bucket/my-sub?clustering_id=" + doc["stats"]["clustering_id"]),
           (404, {"detail": "No user profiles found"}))


@test
def cleanup_dry_run_then_delete(s):
    doc = cluster(s, "my-bucket/my-sub", "?max_images=2")
    run = doc["stats"]["clustering_id"]
    q = "/cleanup-person-data/my-bucket/my-sub?clustering_id=" + run
    status, dry = s.json("DELETE", q + "&dry_run=true")
    eq((status, dry["dry_run"], dry["summary"]["overall_success"]), (200, True, True))
    eq(sorted(dry["cleanup_steps"]), ["assignments", "faces", "qdrant", "run"])
    faces = dry["cleanup_steps"]["faces"]["found"]
    eq((dry["cleanup_steps"]["qdrant"]["found"], dry["cleanup_steps"]["faces"]["deleted"]), (faces, 0))
    status, done = s.json("DELETE", q)
    eq((status, done["errors"], done["summary"]["failed_steps"]), (200, [], 0))
    eq((done["cleanup_steps"]["qdrant"]["deleted"], done["cleanup_steps"]["faces"]["deleted"]), (faces, faces))
    eq(s.json("GET", "/person-cluster-status/my-bucket/my-sub?clustering_id=" + run)[0], 404)
    eq(s.json("DELETE", q)[0], 404)


@test
def metrics_counted(s):
    status, _, body = s.request("GET", "/metrics")
    text = body.decode()
    eq(status, 200)
    for needle in ('fc_jobs_total{status="done"}', 'fc_jobs_total{status="cancelled"}', "fc_jobs_running",
                   'fc_enroll_seconds_bucket{le="0.01"}', 'fc_faces_processed_total{caller="cluster"}',
                   'fc_faces_processed_total{caller="enroll"}'):
        check(needle in text, "no %s in /metrics" % needle)


# --- shared data ------------------------------------------------------------------------

@test
def shared_photos_cluster_and_assign(s):
    if not os.path.isdir(SHARED_FACES):
        raise Skip("../shared/data not present")
    names = sorted(os.listdir(SHARED_FACES))
    s.world.put("shared/people", [os.path.join(SHARED_FACES, n, "1.jpg") for n in names], rename=True)
    with s.world.server() as t:
        for n in names:
            status, doc = upload(t, "POST", "/detect-face", [("user_id", n, None, None),
                                                             photo(os.path.join(SHARED_FACES, n, "1.jpg"))])
            eq((status, doc["has_face"], doc["reason"]), (200, True, None), (n, doc))
        doc = cluster(t, "shared/people")
        eq(doc["stats"]["total_faces"], len(names))
        # The embedder finds two of these four people alike (cosine 0.55), so the
        # clustering may join them; whatever it made, each assigned person goes to
        # a user whose own photo is in it.
        check(len(doc["person_clusters"]) >= len(names) - 1, doc["person_clusters"])
        status, doc = t.json("POST", "/assignments/shared/people?clustering_id=" + doc["stats"]["clustering_id"])
        eq(status, 200)
        check(doc["assigned_clusters"] >= len(names) - 1, doc)
        for a in doc["assignments"].values():
            own = "shared/people/img%03d.jpg" % names.index(a["user_id"])
            check(own in a["image_paths"], (a["user_id"], a["image_paths"]))


@test
def waiting_requests_free_their_thread_and_are_answered_at_shutdown(s):
    with s.world.server(threads=1) as t:  # one HTTP thread for everything
        got = {}

        def ask(key, path):
            got[key] = t.json("POST", path, timeout=300)

        first = threading.Thread(target=ask, args=("a", "/cluster-bucket-persons/big/many?max_concurrent=1"))
        first.start()
        deadline = time.monotonic() + 60
        while "fc_jobs_running 1" not in t.request("GET", "/metrics")[2].decode():
            check(time.monotonic() < deadline and "a" not in got, ("the job never ran", got, t.log[-5:]))
            time.sleep(0.05)
        second = threading.Thread(target=ask, args=("b", "/cluster-bucket-persons/my-bucket/my-sub"))
        second.start()  # queued behind big/many, waiting too
        # in flight: the two waiting requests and this /metrics one (before, a SIGTERM
        # could come before the second request had connected: refused)
        while "http_requests_in_flight 3" not in t.request("GET", "/metrics")[2].decode():
            check(time.monotonic() < deadline and not got, ("the second request never waited", got))
            time.sleep(0.05)
        for _ in range(5):  # the waiting requests hold no HTTP thread
            t0 = time.monotonic()
            eq(t.request("GET", "/health", timeout=5)[0], 200)
            check(time.monotonic() - t0 < 1.0, "a /health took %.2f s" % (time.monotonic() - t0))
        check(not got, ("the job ended too soon for this test", got))
        t.proc.send_signal(signal.SIGTERM)  # both waiting requests are answered, then exit 0
        first.join(60)
        second.join(60)
        eq((got["a"][0], got["b"][0]), (503, 503), got)
        check("cancelled" in got["a"][1]["detail"] and "cancelled" in got["b"][1]["detail"], got)


# --- restarts ---------------------------------------------------------------------------

def runs_of(data_dir):
    env = dict(os.environ, FC_DATA_DIR=data_dir)
    out = subprocess.run([BINARY, "runs", "--json"], env=env, capture_output=True, text=True, timeout=60)
    eq(out.returncode, 0, out.stderr)
    rows = [json.loads(line) for line in out.stdout.splitlines() if line.strip()]
    return {r["clustering_id"]: r["status"] for r in rows}


@test
def restart_after_sigterm_and_kill(s):
    data = tempfile.mkdtemp(prefix="fc-restart-")
    try:
        ids = []
        for how in ("term", "kill"):
            t = s.world.server(data).__enter__()
            status, doc = t.json("POST", "/cluster-bucket-persons/big/many?wait=false&max_concurrent=1&batch_size=4")
            eq(status, 202, doc)
            poll(t, doc["job_id"], until=("running",))
            while t.json("GET", "/jobs/" + doc["job_id"])[1]["progress"]["done"] < 2:
                time.sleep(0.05)
            ids.append(doc["clustering_id"])
            if how == "term":
                eq(t.stop(), 0)
                check(any("stopped" in l for l in t.log), t.log[-5:])
            else:
                t.proc.send_signal(signal.SIGKILL)
                t.proc.wait(30)
        with s.world.server(data) as t:
            eq(t.json("GET", "/person-cluster-status/big/many"),
               (404, {"detail": "No person clustering results found for big/many in collection person_clustering_big_many"}))
            eq(t.json("GET", "/jobs/" + OID)[0], 404)
            eq(t.json("POST", "/cluster-bucket-persons/big/many?max_images=2")[0], 200)
            eq(t.json("POST", "/cluster-bucket-persons/big/many?resume=true&clustering_id=" + OID),
               (404, {"detail": "Clustering %s not found in person_clustering_big_many" % OID}))
            runs = runs_of(data)
            eq([runs[i] for i in ids], ["failed", "failed"])
            # an interrupted run of another bucket is not this bucket's to continue
            eq(t.json("POST", "/cluster-bucket-persons/my-bucket/my-sub?resume=true&clustering_id=" + ids[0]),
               (404, {"detail": "Clustering %s not found in person_clustering_my_bucket_my_sub" % ids[0]}))
            # resume=true continues an interrupted run: the one named, then the newest
            # left; the images it had stored are not read again
            for cid in (ids[0], ids[1]):
                q = "?resume=true&clustering_id=%s" % cid if cid == ids[0] else "?resume=true"
                doc = cluster(t, "big/many", q)
                st = doc["stats"]
                eq((st["clustering_id"], st["resumed"], st["total_images"]), (cid, True, 36), st)
                check(st["images_skipped"] >= 2 and st["images_run"] == 36 - st["images_skipped"], st)
            eq(t.json("POST", "/cluster-bucket-persons/big/many?resume=true"),
               (404, {"detail": "No interrupted run of big/many to resume"}))
            eq(t.json("POST", "/cluster-bucket-persons/big/many?resume=true&clustering_id=" + ids[0]),
               (409, {"detail": "Clustering %s is done: only an interrupted (failed) run can be "
                                "resumed" % ids[0]}))
            status, doc = t.json("GET", "/person-cluster-status/big/many?clustering_id=" + ids[1])
            eq((status, doc.get("total_images")), (200, 36), doc)
        runs = runs_of(data)
        eq([runs[i] for i in ids], ["done", "done"])
    finally:
        shutil.rmtree(data, ignore_errors=True)


@test
def resume_and_incremental_requests(s):
    eq(s.json("POST", "/cluster-bucket-persons/my-bucket/my-sub?resume=true&incremental=true"),
       (400, {"detail": "resume and incremental exclude each other (a resumed incremental run "
                        "stays incremental)"}))
    eq(s.json("POST", "/cluster-bucket-persons/my-bucket/my-sub?clustering_id=" + OID),
       (400, {"detail": "clustering_id is taken only with resume=true"}))
    eq(s.json("POST", "/cluster-bucket-persons/my-bucket/my-sub?resume=true&clustering_id=nothex"),
       (400, {"detail": "Invalid clustering_id format"}))
    s.world.put("grow/day1", SAMPLES[:2])
    eq(s.json("POST", "/cluster-bucket-persons/grow/day1?resume=true"),
       (404, {"detail": "No interrupted run of grow/day1 to resume"}))
    eq(s.json("POST", "/cluster-bucket-persons/grow/day1?incremental=true&wait=false"),
       (404, {"detail": "No finished run of grow/day1 to extend: cluster it once first"}))
    first = cluster(s, "grow/day1")["stats"]
    # nothing new: the finished run is the answer, and no run is made
    same = cluster(s, "grow/day1", "?incremental=true")["stats"]
    eq((same["clustering_id"], same["unchanged"]), (first["clustering_id"], True), same)
    s.world.put("grow/day1", SAMPLES[2:3])
    doc = cluster(s, "grow/day1", "?incremental=true")
    more = doc["stats"]
    check(more["clustering_id"] != first["clustering_id"], more)
    eq((more["extends"], more["unchanged"], more["new_images"], more["images_run"], more["total_images"]),
       (first["clustering_id"], False, 1, 1, 3), more)
    # the persons of the first run keep their ids
    before = {p["person_id"] for p in s.json("GET", "/person-cluster-status/grow/day1?clustering_id=%s&show_details=true"
                                              % first["clustering_id"])[1]["detailed_clusters"]}
    after = {p["person_id"] for p in doc["person_clusters"]}
    check(before and before <= after, (before, after))


@test
def full_disk_reads_answer(s):
    # A server started on a full disk whose database was closed cleanly (no -shm file,
    # and no room to make one) did not start ("database: open: disk I/O error: the
    # disk is full"). It now reads the file holding it alone (warning on stderr): the
    # GET routes answer, writes fail saying the disk is full, and once space is freed
    # they work again. The same setup as tests/e2e/jobs.sh's full-disk cases.
    if os.geteuid() != 0:
        raise Skip("needs root to mount a tmpfs")
    mnt = tempfile.mkdtemp(prefix="fc-full-")
    # 8 MB: the first server's WAL (16 KB pages, 1.4 MB) must fit beside the database
    # for its checkpoint at close; on 2 MB it filled the disk and the -shm stayed
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", mnt],
                      capture_output=True).returncode != 0:
        os.rmdir(mnt)
        raise Skip("cannot mount a tmpfs here")
    try:
        with s.world.server(mnt) as t:
            run = cluster(t)["stats"]["clustering_id"]
            status, doc = upload(t, "POST", "/detect-face", [("user_id", "sam", None, None),
                                                             photo(s.world.sample1_face)])
            eq((status, doc["has_face"]), (200, True), doc)
            status, doc = t.json("POST", "/assignments/my-bucket/my-sub?clustering_id=%s&threshold=0.7" % run)
            eq((status, doc["saved_to_db"]), (200, True), doc)
        check(not os.path.exists(os.path.join(mnt, "facecluster.db-shm")), [(f, os.path.getsize(os.path.join(mnt, f))) for f in os.listdir(mnt)])
        subprocess.run("dd if=/dev/zero of=%s/fill bs=4k 2>/dev/null" % mnt, shell=True)
        with s.world.server(mnt) as t:
            check(any("disk is full" in l and "holding it alone" in l for l in t.log), t.log[-5:])
            status, doc = t.json("GET", "/debug-profiles")
            eq((status, [p["user_id"] for p in doc["profiles"]]), (200, ["sam"]), doc)
            status, doc = t.json("GET", "/person-cluster-status/my-bucket/my-sub")
            eq((status, doc["clustering_id"]), (200, run), doc)
            person = doc["top_persons"][0]["person_id"]
            eq(t.json("GET", "/person-details/my-bucket/my-sub/%s?clustering_id=%s" % (person, run))[0], 200)
            status, doc = t.json("GET", "/assignments/my-bucket/my-sub?clustering_id=" + run)
            check(status == 200 and doc["total_assignments"] >= 1, doc)
            status, doc = t.json("GET", "/assignments/user/sam")
            check(status == 200 and doc["total_assignments"] >= 1, doc)
            status, doc = t.json("GET", "/verify-storage/my-bucket/my-sub?clustering_id=" + run)
            eq((status, doc.get("total_consistency")), (200, True), doc)
            status, doc = t.json("GET", "/health")
            eq((status, doc["status"]), (200, "healthy"), doc)
            # writes fail, saying why; a job too, and its status answers
            status, doc = upload(t, "POST", "/detect-face", [("user_id", "kim", None, None),
                                                             photo(s.world.sample1_face)])
            check(status == 503 and "disk is full" in doc["detail"], (status, doc))
            status, doc = t.json("POST", "/cluster-bucket-persons/my-bucket/my-sub")
            check(status == 503 and "disk is full" in doc["detail"], (status, doc))
            status, doc = t.json("POST", "/cluster-bucket-persons/my-bucket/my-sub?wait=false")
            eq(status, 202, doc)
            job = poll(t, doc["job_id"])
            check(job["status"] == "failed" and "disk is full" in job["error"], job)
            os.unlink(os.path.join(mnt, "fill"))
            status, doc = upload(t, "POST", "/detect-face", [("user_id", "kim", None, None),
                                                             photo(s.world.sample1_face)])
            eq((status, doc["has_face"]), (200, True), doc)
    finally:
        subprocess.run(["umount", mnt])
        os.rmdir(mnt)


def main(argv):
    if not os.access(BINARY, os.X_OK):
        print("tests/api: %s not found (build it with make)" % BINARY)
        print("0 passed, 1 failed, 0 skipped")
        return 1
    selected = [t for t in TESTS if len(argv) < 2 or any(a in t.__name__ for a in argv[1:])]
    passed = failed = skipped = 0
    world = World()
    world.run_id = None
    try:
        shared = world.server().__enter__()
    except AssertionError as e:
        print("FAIL server start: %s" % e)
        print("0 passed, 1 failed, 0 skipped")
        return 1
    shared.world = world
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
    shutil.rmtree(world.tmp, ignore_errors=True)
    print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
