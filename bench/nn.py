#!/usr/bin/python3
"""nn.py - inference per model: facecluster vs ONNX Runtime vs OpenCV DNN, side by side.

    bench/nn.py [SUBSTRING ...]        (bench/run calls it; `make bench` calls bench/run)

Models: the default set (models/ or $FC_MODELS_DIR) and every *.onnx in ../shared/models
(or $FC_SHARED/models) when present, as tests/parity/parity.py finds them; arguments
keep only the models whose file name contains one of them. Every model gets one input
tensor, written once and given to all three runtimes: a real photo preprocessed as that
model expects (parity.py's table: size, colour order, normalisation), or a seeded
random tensor when the model has no image input; for embedders also batch 8 (the same
face 8 times). For each model, threads 1 and 2, and batch, the three run one after
another (interleaved, so machine noise hits all alike), each with 5 warm-up runs and
then $BENCH_RUNS timed runs (default 50; more for a model quicker than $BENCH_MIN_SECONDS
(0.5) / 50 at one thread, enough to time it that long), in $BENCH_ROUNDS rounds (default 3: the
three, then the three again, ...); a cell is the median of its rounds' medians, so
a burst of other work on the host during one runtime's turn moves one round, not
the ratio:

    $FC_BUILD/facecluster nn MODEL --bench N --threads T [--batch B] --input NAME=IN.npy
    node bench/ort_bench.js MODEL --runs N --threads T [--batch B] --input NAME=IN.npy
    /usr/bin/python3 bench/cv_bench.py MODEL --runs N --threads T [--batch B] --input NAME=IN.npy

Prints markdown on stdout: this CPU's float32 multiply-add peak per core (bench/fma_peak.c,
built into $FC_BUILD/fma_peak), the table `| model | threads | batch | facecluster ms |
ORT ms | OpenCV ms | fc/ORT | fc/OpenCV | fc G/s (of peak) |` (medians; ratio > 1:
facecluster is slower; the last column is the multiply-add rate facecluster's
`nn --bench` reports, and its share of the peak x threads), why any cell is n/a, and
the output check (facecluster's outputs against ONNX Runtime's on the
benchmark input, compared as tests/parity/parity.py does). Progress goes to stderr.

Environment: BENCH_RUNS (50), BENCH_ROUNDS (3), BENCH_MIN_SECONDS (0.5), BENCH_THREADS ("1 2"), BENCH_CELL_SECONDS (30: a model
whose facecluster run x (runs + 5) would take longer gets fewer runs, at least 10, for
all three runtimes, and the table says so), BENCH_CHECK (1; 0 skips the output check),
FC_BUILD (build), FC_MODELS_DIR, FC_SHARED.
"""

import math
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # leave no __pycache__ in tests/
sys.path.insert(0, os.path.join(ROOT, "tests", "parity"))
import parity  # noqa: E402 - model list, preprocessing table, input builder

RUNS = int(os.environ.get("BENCH_RUNS") or 50)
ROUNDS = max(1, int(os.environ.get("BENCH_ROUNDS") or 3))
MIN_TIMED_SECONDS = float(os.environ.get("BENCH_MIN_SECONDS") or 0.5)
THREADS = [int(t) for t in (os.environ.get("BENCH_THREADS") or "1 2").split()]
CELL_SECONDS = float(os.environ.get("BENCH_CELL_SECONDS") or 30)
CHECK_OUTPUTS = os.environ.get("BENCH_CHECK", "1") != "0"
MIN_RUNS = 10
WARMUP_RUNS = 5
EMBEDDER_BATCH = 8
TIMEOUT = 900  # seconds for one runtime on one row
FC_BUILD = os.environ.get("FC_BUILD") or "build"

RUNTIMES = [  # (column, command prefix before MODEL, runs flag)
    ("facecluster", [parity.FACECLUSTER, "nn"], "--bench"),
    ("ORT", ["node", os.path.join(ROOT, "bench", "ort_bench.js")], "--runs"),
    ("OpenCV", ["/usr/bin/python3", os.path.join(ROOT, "bench", "cv_bench.py")], "--runs"),
]


def progress(msg):
    print(msg, file=sys.stderr, flush=True)


def models(want):
    found = [(m, os.path.join(parity.MODELS_DIR, m)) for m in parity.DEFAULT_MODELS]
    if os.path.isdir(parity.SHARED_MODELS):
        found += [(f, os.path.join(parity.SHARED_MODELS, f))
                  for f in sorted(os.listdir(parity.SHARED_MODELS)) if f.endswith(".onnx")]
    return [m for m in found if not want or any(w in m[0] for w in want)]


def make_inputs(name, path, work):
    """{batch: [(input name, .npy file)]} and a description of the data."""
    import numpy as np
    inputs, _ = parity.model_io(path)
    in_dir = os.path.join(work, name, "b1")
    os.makedirs(in_dir)
    try:
        feeds, desc = parity.build_inputs(name, inputs, "photo", in_dir)
    except parity.Skip:
        feeds, desc = parity.build_inputs(name, inputs, "random", in_dir)
        desc = "random, " + desc
    by_batch = {1: feeds}
    if parity.spec_for(name).get("embedding"):
        b_dir = os.path.join(work, name, "b%d" % EMBEDDER_BATCH)
        os.makedirs(b_dir)
        by_batch[EMBEDDER_BATCH] = []
        for iname, f in feeds:
            dst = os.path.join(b_dir, os.path.basename(f))
            np.save(dst, np.repeat(np.load(f), EMBEDDER_BATCH, axis=0))
            by_batch[EMBEDDER_BATCH].append((iname, dst))
    return by_batch, desc


def one_line(text, limit=None):
    text = " ".join(text.split())
    return text if not limit or len(text) <= limit else text[:limit - 3] + "..."


def fma_peak():
    """(G multiply-adds/s of one core, ISA) from bench/fma_peak.c, or None (the reason
    goes to stderr)."""
    src = os.path.join(ROOT, "bench", "fma_peak.c")
    exe = os.path.join(ROOT, FC_BUILD, "fma_peak")
    try:
        if not os.path.exists(exe) or os.path.getmtime(exe) < os.path.getmtime(src):
            subprocess.run(["cc", "-O2", "-Wall", "-Wextra", "-Werror", src, "-o", exe], check=True)
        out = subprocess.run([exe], stdout=subprocess.PIPE, universal_newlines=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        progress("bench/nn.py: no FMA peak (%s)" % e)
        return None
    m = re.search(r"fma_peak_gmacs=([0-9.]+) isa=(\w+)", out)
    return (float(m.group(1)), m.group(2)) if m else None


def run_one(column, prefix, runs_flag, model, feeds, threads, batch, runs):
    """(median ms or None, reason when None, lines worth a note, G multiply-adds/s
    when the runtime reports it)."""
    cmd = prefix + [model, runs_flag, str(runs), "--threads", str(threads)]
    if batch > 1:
        cmd += ["--batch", str(batch)]
    for iname, f in feeds:
        cmd += ["--input", "%s=%s" % (iname, f)]
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TIMEOUT,
                           universal_newlines=True)
    except subprocess.TimeoutExpired:
        return None, "timed out after %d s" % TIMEOUT, [], None
    except OSError as e:
        return None, "could not start: %s" % e, [], None
    lines = p.stdout.strip().splitlines()
    notes = [ln.split(":", 1)[1].strip() for ln in lines if ln.startswith("model used:")]
    last = lines[-1] if lines else ""
    rate = next((float(r.group(1)) for r in (re.match(r"compute: .*, ([0-9.]+) G/s", ln) for ln in lines)
                 if r), None)
    m = re.fullmatch(r"median_ms=([0-9.]+|nan)", last)
    if p.returncode < 0:
        try:
            sig = signal.Signals(-p.returncode).name
        except ValueError:
            sig = "signal %d" % -p.returncode
        return None, "crashed (%s)" % sig, notes, None
    if p.returncode != 0 or not m:
        err = [ln for ln in p.stderr.strip().splitlines() if ln.strip()]
        why = err[-1] if err else "exit status %d, no median_ms line" % p.returncode
        return None, re.sub(r"^(facecluster nn|ort_bench|cv_bench\.py): ", "", why), notes, None
    if m.group(1) == "nan":
        why = next((ln for ln in lines if ln.startswith("unusable:")), "no reason given")
        return None, re.sub(r"^unusable: [^:]*: ", "", why), notes, None
    return float(m.group(1)), None, notes, rate


def cell(short, path, feeds, threads, batch, runs, why_na, copies):
    """One table cell of each runtime: ROUNDS rounds of the three one after another,
    each runtime's median over its rounds' medians. A runtime that fails in the first
    round is not run again (its reason goes to why_na, its notes to copies). Returns
    ({column: (ms or None, why)}, facecluster's G/s at its median ms)."""
    times = {c: [] for c, _, _ in RUNTIMES}
    res, macs = {}, None
    for rnd in range(ROUNDS):
        for column, prefix, flag in RUNTIMES:
            if rnd and res[column][1]:
                continue
            ms, why, notes, r = run_one(column, prefix, flag, path, feeds, threads, batch, runs)
            if rnd == 0:
                res[column] = (None, why)
                if why:
                    why_na.append("%s, %s, batch %d: %s" % (short, column, batch, why))
                copies += ["%s, %s, batch %d: %s" % (short, column, batch, n) for n in notes]
            if ms is not None:
                times[column].append(ms)
                if column == "facecluster" and r:
                    macs = r * ms  # G/s x ms: the same multiply-adds every round
    for column, t in times.items():
        if t:
            res[column] = (statistics.median(t), None)
    fc = res["facecluster"][0]
    return res, (macs / fc if macs and fc else None)


def probe_ms(model, feeds):
    """facecluster's time for one run (threads 1), to size the run count; None if it fails."""
    ms, _, _, _ = run_one(*RUNTIMES[0], model, feeds, 1, 1, 1)
    return ms


def check_outputs(name, path, feeds, work):
    """facecluster's outputs against ONNX Runtime's on the benchmark input (batch 1),
    with parity.py's runners and tolerances, in a private directory (not tests/out,
    which a concurrent `make test` owns)."""
    fc_dir, ort_dir = (os.path.join(work, name, "out", d) for d in ("facecluster", "onnxruntime"))
    for d in (fc_dir, ort_dir):
        os.makedirs(d)
    try:
        _, outputs = parity.model_io(path)
        parity.run_ort(path, feeds, ort_dir)
        parity.run_facecluster(path, feeds, fc_dir)
        return "PASS (%s)" % parity.compare(name, outputs, fc_dir, ort_dir)
    except parity.Fail as e:
        return "FAIL: %s" % one_line(str(e), 300)


def fmt_ms(ms, why):
    """A table cell: the median, or n/a with the first reason (all of them are listed
    under the table)."""
    if ms is None:
        first = re.sub(r"^as given: ", "", why.split("; ")[0])
        return "n/a (%s)" % one_line(first, 100)
    return "%.2f" % ms if ms < 100 else "%.1f" % ms


def fmt_ratio(a, b):
    return "%.2f" % (a / b) if a is not None and b else "-"


def fmt_rate(rate, peak, threads):
    if rate is None:
        return "-"
    return "%.1f (%.0f%%)" % (rate, 100 * rate / (peak * threads)) if peak else "%.1f" % rate


def main(argv):
    start = time.monotonic()
    chosen = models(argv[1:])
    if not os.access(parity.FACECLUSTER, os.X_OK):
        progress("bench/nn.py: %s not found: build first (make, or FC_BUILD=DIR)" % parity.FACECLUSTER)
        return 1
    work = tempfile.mkdtemp(prefix="fc-bench-nn.")
    print("For each model, threads T (%s) and batch B (1; %d for embedders), one after another:\n"
          % (", ".join(map(str, THREADS)), EMBEDDER_BATCH))
    print("```")
    for _, prefix, flag in RUNTIMES:
        shown = [os.path.relpath(a, ROOT) if os.path.isabs(a) and a.startswith(ROOT) else a for a in prefix]
        print("%s MODEL.onnx %s %d --threads T [--batch B] --input NAME=IN.npy" % (" ".join(shown), flag, RUNS))
    print("```\n")
    peak = fma_peak()
    if peak:
        print("This CPU's float32 multiply-add peak: %.1f G/s per core (%s, `bench/fma_peak.c`). "
              "`fc G/s` is the rate of facecluster's convolution and matrix-product multiply-adds at its median "
              "(counted as direct convolution, so a Winograd kernel can exceed the peak), with its "
              "share of the peak x threads.\n" % peak)
    rows, why_na, copies, cut, checks, inputs_desc = [], [], [], [], [], []
    print("| model | threads | batch | facecluster ms | ORT ms | OpenCV ms | fc/ORT | fc/OpenCV | fc G/s |")
    print("|---|---|---|---|---|---|---|---|---|", flush=True)
    try:
        for name, path in chosen:
            short = name[:-5] if name.endswith(".onnx") else name
            if not os.path.isfile(path):
                print("| %s | - | - | n/a (model file missing: run scripts/setup) | | | | | |" % short, flush=True)
                continue
            try:
                by_batch, desc = make_inputs(name, path, work)
            except (parity.Fail, parity.Skip) as e:
                print("| %s | - | - | n/a (no input: %s) | | | | | |" % (short, one_line(str(e), 100)), flush=True)
                continue
            inputs_desc.append("%s: %s" % (short, desc))
            runs = RUNS
            est = probe_ms(path, by_batch[1])
            if est and est * RUNS < MIN_TIMED_SECONDS * 1e3:  # a small model: time it longer
                runs = int(math.ceil(MIN_TIMED_SECONDS * 1e3 / est))
            elif est and est * (RUNS + WARMUP_RUNS) > CELL_SECONDS * 1e3:
                runs = max(MIN_RUNS, int(CELL_SECONDS * 1e3 / est) - WARMUP_RUNS)
                cut.append("%s: %d timed runs instead of %d (facecluster ~%.0f ms/run; BENCH_CELL_SECONDS=%g)"
                           % (short, runs, RUNS, est, CELL_SECONDS))
            label = short if runs == RUNS else "%s (%d runs)" % (short, runs)
            for threads in THREADS:
                for batch, feeds in sorted(by_batch.items()):
                    progress("bench: %s threads %d batch %d ..." % (short, threads, batch))
                    res, rate = cell(short, path, feeds, threads, batch, runs, why_na,
                                     copies if threads == THREADS[0] else [])
                    fc, ort, cv = (res[c][0] for c, _, _ in RUNTIMES)
                    print("| %s | %d | %d | %s | %s | %s | %s | %s | %s |" % (
                        label, threads, batch, fmt_ms(*res["facecluster"]), fmt_ms(*res["ORT"]),
                        fmt_ms(*res["OpenCV"]), fmt_ratio(fc, ort), fmt_ratio(fc, cv),
                        fmt_rate(rate, peak and peak[0], threads)), flush=True)
                    rows.append((short, threads, batch, fc, ort, cv))
            if CHECK_OUTPUTS:
                progress("bench: %s output check against ONNX Runtime ..." % short)
                checks.append("| %s | %s |" % (short, check_outputs(name, path, by_batch[1], work)))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print("\nTimes are medians in ms; a ratio above 1 means facecluster is slower. "
          "Warm-up %d runs, then %d timed runs per cell unless the model says otherwise; "
          "each cell is the median of %d rounds' medians, the three runtimes taking turns."
          % (WARMUP_RUNS, RUNS, ROUNDS))
    ratios = [r[3] / r[4] for r in rows if r[3] is not None and r[4]]
    if ratios:
        geo = math.exp(sum(math.log(x) for x in ratios) / len(ratios))
        print("fc/ORT over the %d rows with both: geometric mean %.2f, best %.2f, worst %.2f."
              % (len(ratios), geo, min(ratios), max(ratios)))
    sections = [
        ("Fewer runs (slow models)", cut),
        ("n/a: why", sorted(set(why_na), key=why_na.index)),
        ("Peers on a modified copy of the model (facecluster always runs the file as given)",
         sorted(set(copies), key=copies.index)),
        ("Inputs (the same .npy file for all three runtimes)", inputs_desc),
    ]
    for title, items in sections:
        if items:
            print("\n%s:\n" % title)
            for item in items:
                print("- %s" % item)
    if checks:
        print("\nOutput check on the same input, batch 1: facecluster vs ONNX Runtime, with "
              "tests/parity/parity.py's tolerance (1e-4 of the output's range; cosine >= 0.9999 "
              "for embeddings). `make test` checks every model on a photo and a random input.\n")
        print("| model | facecluster vs ONNX Runtime |\n|---|---|")
        print("\n".join(checks))
    print("\nbench/nn.py took %.0f s." % (time.monotonic() - start))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
