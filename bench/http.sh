#!/usr/bin/env bash
# bench/http.sh - HTTP load on `facecluster serve` with wrk: GET /health and
# POST /detect-face (a real ~1 MP single-face photo, multipart, bench/http_detect.lua),
# each with 8 and 64 connections for DURATION seconds (default 30). Reports
# (and /detect-face with 1 connection: one request's latency alone), reporting
# requests/s, p50, p99, errors (socket errors + non-2xx), the server's RSS at
# start, after a warm-up and after each run, and the load average around each run
# (the machine is shared); writes bench/HTTP_RESULTS.md (measured figures only).
#
#   bench/http.sh                 # FC_BUILD=build, DURATION=30
#   FC_BUILD=build/asan DURATION=5 bench/http.sh   # quick check
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
BUILD=${FC_BUILD:-build}
DURATION=${DURATION:-30}
OUT=${OUT:-bench/HTTP_RESULTS.md}
command -v wrk >/dev/null || { echo "bench/http.sh: wrk not installed (apt-get install wrk)" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/fc-http-bench.XXXXXX")
pid=""
cleanup() {
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid"; wait "$pid" || true; fi
    rm -rf "$tmp"
}
trap cleanup EXIT

# A ~1 MP photo with one face: a shared-data portrait when present, else the
# leftmost face region of samples/sample1.jpg, scaled to about 1 megapixel.
shared=../shared/data/facenet-pytorch/test_images/angelina_jolie/1.jpg
/usr/bin/python3 - "$shared" "$tmp/photo.jpg" <<'PY'
import math, os, sys
from PIL import Image
src, out = sys.argv[1], sys.argv[2]
if os.path.exists(src):
    im = Image.open(src).convert("RGB")
else:
    im = Image.open("samples/sample1.jpg").convert("RGB").crop((0, 0, 1100, 1000))
k = math.sqrt(1_000_000 / (im.width * im.height))
im = im.resize((round(im.width * k), round(im.height * k)), Image.LANCZOS)
im.save(out, quality=90)
print("photo: %s -> %dx%d (%.2f MP), %d bytes" % (src if os.path.exists(src) else "samples/sample1.jpg crop",
      im.width, im.height, im.width * im.height / 1e6, os.path.getsize(out)))
PY
photo_info=$(/usr/bin/python3 -c "from PIL import Image; im=Image.open('$tmp/photo.jpg'); print('%dx%d, %d bytes' % (im.width, im.height, __import__('os').path.getsize('$tmp/photo.jpg')))")

mkdir -p "$tmp/data" "$tmp/buckets"
FC_DATA_DIR="$tmp/data" LOCAL_STORAGE_PATH="$tmp/buckets" FC_HTTP_ACCESS_LOG=0 \
    "$BUILD/facecluster" serve --host 127.0.0.1 --port 0 2>"$tmp/serve.log" &
pid=$!
port=""
for _ in $(seq 1 300); do
    port=$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$tmp/serve.log")
    [ -n "$port" ] && break
    kill -0 "$pid" 2>/dev/null || { cat "$tmp/serve.log" >&2; exit 1; }
    sleep 0.1
done
[ -n "$port" ] || { echo "server did not start" >&2; exit 1; }
url=http://127.0.0.1:$port
rss() { awk '/^VmRSS/ {print $2}' "/proc/$pid/status"; }
load() { cut -d' ' -f1-3 /proc/loadavg; }
export FC_BENCH_PHOTO=$tmp/photo.jpg

curl -sS -X POST "$url/detect-face" -F user_id=bench.user -F "file=@$tmp/photo.jpg" >"$tmp/first.json"
echo "first /detect-face answer: $(cat "$tmp/first.json")"
rss_start=$(rss)
# Warm-up: both connection counts of both routes, so that every HTTP thread,
# pipeline worker and malloc arena has had its peak load once.
wrk -t2 -c64 -d10s --timeout 30s -s bench/http_detect.lua "$url/detect-face" >/dev/null
wrk -t2 -c8 -d5s --timeout 30s -s bench/http_detect.lua "$url/detect-face" >/dev/null
wrk -t2 -c64 -d2s "$url/health" >/dev/null
rss_warm=$(rss)

rows=()
for target in health detect; do
    for conns in 1 8 64; do
        [ "$target" = health ] && [ "$conns" = 1 ] && continue
        if [ "$target" = health ]; then
            args=("$url/health")
        else
            args=(-s bench/http_detect.lua "$url/detect-face")
        fi
        load_before=$(load)
        wrk -t"$((conns < 2 ? 1 : 2))" -c"$conns" -d"${DURATION}s" --timeout 30s --latency "${args[@]}" >"$tmp/wrk.txt"
        load_after=$(load)
        rss_after=$(rss)
        row=$(/usr/bin/python3 - "$tmp/wrk.txt" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
def ms(v):
    n, u = re.match(r"([\d.]+)(us|ms|s|m)", v).groups()
    return float(n) * {"us": 1e-3, "ms": 1, "s": 1e3, "m": 6e4}[u]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
p50 = ms(re.search(r"\s50%\s+(\S+)", t).group(1))
p99 = ms(re.search(r"\s99%\s+(\S+)", t).group(1))
total = int(re.search(r"(\d+) requests in", t).group(1))
m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", t)
sock = sum(map(int, m.groups())) if m else 0
m = re.search(r"Non-2xx or 3xx responses: (\d+)", t)
non2xx = int(m.group(1)) if m else 0
print("%d|%.1f|%.2f|%.2f|%d|%d" % (total, rps, p50, p99, sock, non2xx))
PY
)
        echo "$target c=$conns: $row (requests|req/s|p50 ms|p99 ms|socket errors|non-2xx), RSS $rss_after kB, load $load_before -> $load_after"
        rows+=("$target|$conns|$row|$rss_after|$load_before|$load_after")
    done
done
rss_end=$(rss)
kill -TERM "$pid"
wait "$pid"
status=$?
pid=""

{
    echo "# HTTP benchmark (bench/http.sh)"
    echo
    echo "Measured $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(nproc) CPUs ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n1)), shared with other work:"
    echo "load averages (1, 5, 15 min) are given before and after each run."
    echo "\`$BUILD/facecluster serve\` on 127.0.0.1, default threads, access log off, embedded store;"
    echo "wrk 2 threads, ${DURATION} s per run, --timeout 30s. \`/detect-face\`: one ${photo_info} single-face JPEG"
    echo "in a multipart form (bench/http_detect.lua); every request runs the whole pipeline and upserts the profile."
    echo
    echo "| route | connections | requests | req/s | p50 ms | p99 ms | socket errors | non-2xx | RSS after (kB) | load before | load after |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|"
    for r in "${rows[@]}"; do
        IFS='|' read -r target conns total rps p50 p99 sock non2xx rss_a lb la <<<"$r"
        route=$([ "$target" = health ] && echo "GET /health" || echo "POST /detect-face")
        echo "| $route | $conns | $total | $rps | $p50 | $p99 | $sock | $non2xx | $rss_a | $lb | $la |"
    done
    echo
    echo "Server RSS: $rss_start kB after the first request, $rss_warm kB after warm-up (/detect-face 10 s"
    echo "with 64 connections and 5 s with 8, /health 2 s with 64), $rss_end kB after all runs"
    echo "($(/usr/bin/python3 -c "print('%+.1f%%' % (100.0 * ($rss_end - $rss_warm) / $rss_warm))") against warm-up). Exit status on SIGTERM: $status."
} >"$OUT"
echo "wrote $OUT"
