#!/usr/bin/env bash
# tests/e2e/nn_bench.sh - `facecluster nn MODEL --bench N` as issue 3 and the README
# describe it, on the default models (scripts/setup): the report's lines and its last
# line `median_ms=<x>`, the multiply-add count (exact for a model's known size, the
# same in --info, and doubled by --batch 2), --threads honoured, and clear failures (exit status, one
# line on stderr) for bad arguments, a missing file, a truncated model and a shape
# the model cannot take. Ends with "N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 1
FC=${FC_BUILD:-build}/facecluster
MODELS=${FC_MODELS_DIR:-models}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/fc-nn-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0 skip=0
ok() { echo "ok   $1"; pass=$((pass + 1)); }
ko() { echo "FAIL $1: $2"; fail=$((fail + 1)); }
model=$MODELS/fr_landmark.onnx

if [ ! -f "$model" ]; then
    echo "skip nn --bench: $model not present (run scripts/setup)"
    printf '0 passed, 0 failed, 1 skipped\n'
    exit 0
fi

# multiply-adds in millions from a report's compute line
macs() { sed -n 's/^compute: \([0-9.]*\) M multiply-adds per run .*, [0-9.]* G\/s at the median$/\1/p' "$1"; }

# --- a normal run ---------------------------------------------------------------------
if "$FC" nn "$model" --bench 7 --threads 1 >"$tmp/b1.out" 2>"$tmp/b1.err"; then
    ok "nn --bench 7 --threads 1 exits 0"
else
    ko "nn --bench" "exit status $?: $(tail -2 "$tmp/b1.err")"
fi
last=$(tail -n 1 "$tmp/b1.out")
if [[ $last =~ ^median_ms=[0-9]+\.[0-9]+$ ]]; then
    ok "last line is median_ms=<x> ($last)"
else
    ko "last line" "'$last'"
fi
missing=""
for want in '^model: ' '^threads: 1$' '^steps: [0-9]+ ' '^arena: ' '^runs: 7 timed after 5 warm-up$' \
            '^ms: min [0-9.]+  median [0-9.]+  p90 [0-9.]+  max [0-9.]+$' '^load_ms=[0-9.]+$'; do
    grep -Eq "$want" "$tmp/b1.out" || missing="$missing '$want'"
done
if [ -z "$missing" ]; then ok "report lines present"; else ko "report lines" "missing:$missing"; fi
# min <= median <= p90 <= max
if awk '/^ms: /{ if (!($3 <= $5 && $5 <= $7 && $7 <= $9)) exit 1; found = 1 } END { exit !found }' "$tmp/b1.out"; then
    ok "min <= median <= p90 <= max"
else
    ko "ordered statistics" "$(grep '^ms: ' "$tmp/b1.out")"
fi

# --- multiply-adds: fr_landmark is 15.6 M; a batch of 2 is twice that ----------------------
m1=$(macs "$tmp/b1.out")
if [ "$m1" = "15.6" ]; then ok "fr_landmark: 15.6 M multiply-adds per run"; else ko "multiply-adds" "'$m1'"; fi
if "$FC" nn "$model" --bench 3 --threads 1 --batch 2 >"$tmp/b2.out" 2>"$tmp/b2.err" &&
   awk -v a="$m1" -v b="$(macs "$tmp/b2.out")" 'BEGIN { exit !(b > 0 && b - 2 * a < 0.15 && 2 * a - b < 0.15) }'; then
    ok "--batch 2 doubles the multiply-adds ($(macs "$tmp/b2.out") M)"
else
    ko "--batch 2" "$(macs "$tmp/b2.out") M vs $m1 M; $(tail -1 "$tmp/b2.err")"
fi
if "$FC" nn "$model" --info >"$tmp/info.out" 2>&1 &&
   grep -q "^planned for the declared input shapes: .*, $m1 M multiply-adds per run$" "$tmp/info.out"; then
    ok "--info gives the same count for the declared shapes"
else
    ko "--info" "$(grep -E '^planned|nn:' "$tmp/info.out")"
fi
if "$FC" nn "$model" --bench 3 --threads 2 >"$tmp/t2.out" 2>&1 && grep -q '^threads: 2$' "$tmp/t2.out"; then
    ok "--threads 2 is used"
else
    ko "--threads 2" "$(grep -E '^threads|nn:' "$tmp/t2.out")"
fi

# --- failures: exit status and one clear line ---------------------------------------------
# expect_fail NAME STATUS PATTERN ARGS...: facecluster nn ARGS exits STATUS, stderr matches PATTERN
expect_fail() {
    local name=$1 want=$2 pattern=$3 got
    shift 3
    "$FC" nn "$@" >"$tmp/f.out" 2>"$tmp/f.err"
    got=$?
    if [ "$got" = "$want" ] && grep -Eq "$pattern" "$tmp/f.err" && ! grep -q '^median_ms=' "$tmp/f.out"; then
        ok "$name: exit $got, $(grep -E "$pattern" "$tmp/f.err" | head -n 1)"
    else
        ko "$name" "exit $got (want $want); stderr: $(head -n 2 "$tmp/f.err")"
    fi
}
expect_fail "--bench 0" 2 'take a whole number >= 1' "$model" --bench 0
expect_fail "--threads x" 2 'take a whole number >= 1' "$model" --bench 3 --threads x
expect_fail "missing model" 1 'nn: .*nothing-here\.onnx: No such file' "$tmp/nothing-here.onnx" --bench 3
head -c 5000 "$model" >"$tmp/truncated.onnx"
expect_fail "truncated model" 1 'not an ONNX model' "$tmp/truncated.onnx" --bench 3
expect_fail "impossible shape" 1 'nn: .+' "$model" --bench 3 --shape 1x3x7

printf '%d passed, %d failed, %d skipped\n' "$pass" "$fail" "$skip"
[ "$fail" -eq 0 ]
