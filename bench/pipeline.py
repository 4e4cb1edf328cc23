#!/usr/bin/python3
"""pipeline.py - whole-pipeline throughput, facecluster vs the OpenCV DNN reference
(bench/ref_pipeline.py), on the same fixed folder of real photos (docs/BENCHMARKS.md,
"Pipeline throughput").

    /usr/bin/python3 bench/pipeline.py [--runs R]

Photos: pairs.benchmark_photos() (../shared/data photo folders plus samples/*.jpg).
facecluster: `facecluster detect --embeddings --threads T PHOTO...` (read file, decode
with EXIF, detect, landmarks, align, embed, quality), timed by its own summary line,
which starts after the models are loaded; one warm-up pass, then the median of R
passes (default 3), threads 1 and 2. Peak RSS from /usr/bin/time -v. The reference:
bench/ref_throughput.py (same photos, same steps, models loaded before timing).
Prints a markdown table: images/s, faces/s, peak RSS, and the ratio facecluster /
reference for images/s (above 1: facecluster is faster).
"""

import argparse
import os
import re
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))
import pairs  # noqa: E402

SUMMARY = re.compile(r"detect: (\d+) images, (\d+) failed, (\d+) faces, ([0-9.]+) s")


def facecluster_pass(fc, photos, threads):
    """(images, faces, seconds, peak RSS MB) of one detect run."""
    cmd = ["/usr/bin/time", "-v", fc, "detect", "--embeddings", "--threads", str(threads)] + photos
    p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                       cwd=ROOT, timeout=900)
    m = SUMMARY.search(p.stderr)
    if not m:
        raise RuntimeError("facecluster detect gave no summary line: " + p.stderr[-400:])
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr)
    return (int(m.group(1)), int(m.group(3)), float(m.group(4)),
            int(rss.group(1)) / 1024 if rss else float("nan"))


def facecluster_rows(fc, photos, runs):
    rows = {}
    for threads in (1, 2):
        facecluster_pass(fc, photos, threads)  # warm-up: page cache, CPU frequency
        passes = [facecluster_pass(fc, photos, threads) for _ in range(runs)]
        secs = statistics.median(p[2] for p in passes)
        n_img, n_faces = passes[0][0], passes[0][1]
        rows[threads] = (n_img / secs, n_faces / secs, max(p[3] for p in passes), n_faces)
    return rows


def reference_rows(photos, runs):
    """{label: (images/s, faces/s, rss)} from ref_throughput.py's markdown table."""
    p = subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "bench", "ref_throughput.py"),
                        "--runs", str(runs)] + photos, stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL, text=True, cwd=ROOT, timeout=1800)
    rows = {}
    for line in p.stdout.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 4 and re.fullmatch(r"[0-9.]+", cells[2] if len(cells) > 2 else ""):
            rows[f"{cells[0]} worker(s) x {cells[1]} thread(s)"] = cells
    return rows, p.stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    fc = os.path.join(ROOT, os.environ.get("FC_BUILD", "build"), "facecluster")
    photos = pairs.benchmark_photos()
    mp = sum(1 for _ in photos)
    print(f"{mp} photos (pairs.benchmark_photos()); median of {args.runs} passes after a warm-up.\n")
    ours = facecluster_rows(fc, photos, args.runs)
    ref, ref_table = reference_rows(photos, args.runs)
    print("facecluster (`facecluster detect --embeddings --threads T`):\n")
    print("| threads | images/s | faces/s | faces | peak RSS MB |")
    print("|---|---|---|---|---|")
    for t, (ips, fps, rss, nf) in ours.items():
        print(f"| {t} | {ips:.2f} | {fps:.1f} | {nf} | {rss:.0f} |")
    print("\nOpenCV DNN reference (`bench/ref_throughput.py`):\n")
    print(ref_table.strip())
    print("\nRatios, images/s facecluster / reference (above 1: facecluster faster):\n")
    ref_vals = list(ref.values())
    for t, (ips, _, _, _) in ours.items():
        same = [r for r in ref_vals if (t == 1 and r[0] == "1" and r[1] == "1") or
                (t == 2 and ((r[0] == "2" and r[1] == "1") or (r[0] == "1" and r[1] == "2")))]
        best = max((float(r[2]) for r in same), default=float("nan"))
        print(f"- {t} core(s): facecluster {ips:.2f} images/s vs reference best {best:.2f}: "
              f"{ips / best:.2f}x")


if __name__ == "__main__":
    main()
