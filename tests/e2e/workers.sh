#!/usr/bin/env bash
# tests/e2e/workers.sh - several `facecluster worker` processes on one bucket with the
# embedded store (docs/workers.md): two workers start together on ~96 real photos,
# one is killed with SIGKILL after it committed a batch and while it holds a lease;
# the survivor takes the lease over when it expires, the run completes, and every
# image is in it exactly once, with the faces of an uninterrupted `cluster` run.
# Ends with "N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 1
FC=${FC_BUILD:-build}/facecluster
tmp=$(mktemp -d "${TMPDIR:-/tmp}/fc-workers.XXXXXX")
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done; rm -rf "$tmp"; }
trap cleanup EXIT
pass=0 fail=0 skip=0
ok() { echo "ok   $1"; pass=$((pass + 1)); }
ko() { echo "FAIL $1: $2"; fail=$((fail + 1)); }
PY=/usr/bin/python3
COPIES=${FC_WORKERS_COPIES:-16}

# --- the bucket: copies of the samples under distinct names ------------------------
mkdir -p "$tmp/root/b/s"
for c in $(seq 1 "$COPIES"); do
    for f in samples/*.jpg; do cp "$f" "$tmp/root/b/s/c${c}_$(basename "$f")"; done
done
n_images=$(ls "$tmp/root/b/s" | wc -l)

# --- reference: one uninterrupted cluster run ---------------------------------------
if FC_DATA_DIR=$tmp/ref "$FC" cluster "$tmp/root" --bucket b --sub s --threads 1 --quiet \
        >"$tmp/ref.out" 2>"$tmp/ref.err" &&
   FC_DATA_DIR=$tmp/ref "$FC" persons latest --json >"$tmp/ref.json"; then
    ok "reference cluster run ($n_images images)"
else
    ko "reference cluster run" "$(tail -3 "$tmp/ref.err")"
fi

# --- two workers, one killed mid-run -------------------------------------------------
export FC_DATA_DIR=$tmp/w
wargs=("$tmp/root" --bucket b --sub s --threads 1 --lease-images 4 --lease-seconds 2 --verbose)
"$FC" worker "${wargs[@]}" >"$tmp/a.out" 2>"$tmp/a.err" & a=$!; pids+=("$a")
"$FC" worker "${wargs[@]}" >"$tmp/b.out" 2>"$tmp/b.err" & b=$!; pids+=("$b")

# kill A once it has committed a batch and its latest line is a new lease
killed=0
for _ in $(seq 1 1200); do
    last=$(grep -E ': (lease|committed) ' "$tmp/a.err" | tail -n 1)
    if grep -q ': committed ' "$tmp/a.err" && [[ $last == *": lease "* ]]; then
        kill -9 "$a" && killed=1
        break
    fi
    kill -0 "$a" 2>/dev/null || break
    sleep 0.05
done
wait "$a" 2>/dev/null
inflight=$(grep -E ': lease ' "$tmp/a.err" | tail -n 1 | sed -E 's/.*taken over\)://')
if [ "$killed" = 1 ] && [ -n "$inflight" ]; then
    ok "worker A killed with SIGKILL holding a lease of:$inflight"
else
    ko "kill worker A mid-run" "A ended before it could be killed: $(tail -2 "$tmp/a.err")"
fi

if timeout 300 tail --pid="$b" -f /dev/null; wait "$b"; then
    ok "worker B ended with status 0"
else
    ko "worker B" "$(tail -3 "$tmp/b.err")"
fi

# --- the run is done, every image exactly once ------------------------------------------
"$FC" runs >"$tmp/runs.out" 2>&1
if [ "$(grep -c ' done ' "$tmp/runs.out")" = 1 ] && ! grep -qE ' (running|failed) ' "$tmp/runs.out" &&
   grep -q " done .* $n_images " "$tmp/runs.out"; then
    ok "facecluster runs: one run, done, $n_images images"
else
    ko "runs" "$(cat "$tmp/runs.out")"
fi
grep -q "finished        by this worker" "$tmp/b.out" && ok "the survivor committed the run" ||
    ko "finisher" "$(cat "$tmp/b.out")"

"$FC" persons latest --json >"$tmp/w.json" 2>"$tmp/w.err"
if out=$($PY - "$tmp/ref.json" "$tmp/w.json" "$n_images" 2>&1 <<'PYEOF'
import json, sys, collections
def faces(path):
    per, ids = collections.Counter(), []
    for line in open(path):
        o = json.loads(line)
        for f in o.get("faces", []) + o.get("unassigned", []):
            per[f["image_path"]] += 1
            ids.append(f["face_id"])
    return per, ids
ref, ref_ids = faces(sys.argv[1])
got, ids = faces(sys.argv[2])
assert len(ids) == len(set(ids)), "duplicate face ids"
assert sum(got.values()) == sum(ref.values()), "faces %d, reference %d" % (sum(got.values()), sum(ref.values()))
diff = {k: (got[k], ref[k]) for k in set(ref) | set(got) if got[k] != ref[k]}
assert not diff, "per-image face counts differ: %s" % sorted(diff.items())[:5]
print("%d faces in %d images, as the reference" % (len(ids), len(got)))
PYEOF
); then
    ok "faces per image equal the uninterrupted run's, no duplicates ($out)"
else
    ko "faces per image" "$out"
fi

# --- A's in-flight images: not committed by A, leased (taken over) and committed by B ----
if [ -n "$inflight" ] && $PY - "$tmp/a.err" "$tmp/b.err" "$inflight" <<'PYEOF'
import re, sys
def events(path):
    ev = []
    for line in open(path):
        m = re.search(r": lease (\d+) images \((\d+) taken over\):(.*)", line)
        if m:
            ev.append(("lease", int(m.group(2)), m.group(3).split()))
        elif ": committed " in line:
            ev.append(("committed", 0, []))
    return ev
inflight = set(sys.argv[3].split())
a, b = events(sys.argv[1]), events(sys.argv[2])
assert a[-1][0] == "lease", "A's last event is its lease"
# B: every in-flight image in a lease with takeovers that B then committed
for i, (kind, taken, imgs) in enumerate(b):
    if kind == "lease" and inflight & set(imgs):
        assert taken > 0, "B leased A's image without a takeover"
        assert i + 1 < len(b) and b[i + 1][0] == "committed", "B did not commit it"
        inflight -= set(imgs)
assert not inflight, "not taken over by B: %s" % sorted(inflight)
PYEOF
then
    ok "A's in-flight images were taken over and committed by B"
else
    ko "takeover" "see above; B's log: $(grep -c 'taken over' "$tmp/b.err") lease lines"
fi

printf '%d passed, %d failed, %d skipped\n' "$pass" "$fail" "$skip"
[ "$fail" -eq 0 ]
