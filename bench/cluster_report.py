#!/usr/bin/python3
"""cluster_report.py - bench/CLUSTER_RESULTS.md from the files bench/cluster_run leaves
in its work directory (meta, fc.N.json, fc.N.rss, peer.METHOD.N.json, peer.METHOD.N.rss).
Only measured numbers are printed; a peer that did not run says why."""
import glob
import json
import os
import sys


def read_json(path):
    try:
        with open(path) as f:
            return json.loads(f.read().strip().splitlines()[-1])
    except (OSError, ValueError, IndexError):
        return None


def read_rss_mb(path):
    try:
        with open(path) as f:
            return int(f.read().split()[-1]) / 1024.0
    except (OSError, ValueError, IndexError):
        return None


def fmt(v, spec=".2f"):
    return "-" if v is None else format(v, spec)


def main():
    work = sys.argv[1]
    meta = {}
    with open(os.path.join(work, "meta")) as f:
        for line in f:
            k, _, v = line.rstrip("\n").partition("=")
            meta[k] = v
    sizes = sorted(int(p.split(".")[-2]) for p in glob.glob(os.path.join(work, "fc.*.json")))
    out = ["# Clustering and search at scale", ""]
    out.append(f"- date: {meta.get('date')}; CPU: {meta.get('cpu')}, {meta.get('cores')} cores, "
               f"{meta.get('mem')} RAM; shared with other engineers (load averages below)")
    out.append(f"- facecluster commit {meta.get('commit')}, 2 threads; peers: scikit-learn "
               f"{meta.get('sklearn')}, NumPy {meta.get('numpy')} with {meta.get('blas')} BLAS, "
               "2 threads")
    out.append(f"- command: `{meta.get('command')}` (after `make -j2`)")
    out.append("- data: tests/synth.h, 512-d, identity sizes lognormal(0, 0.7), 1-4 faces per "
               "image (distinct identities), per-face noise a in [0.25, 0.67] (cosine 0.6-0.8 "
               "within an identity), 10% hard faces with a up to 1.6 (down to ~0.5), 10% of "
               "identities look-alikes of another (centre cosine 0.5); inter-identity cosine "
               "0 +- 0.045 otherwise")
    out.append("- facecluster: edge threshold 0.5, merge 0.6, cannot-link on, min_faces 1, "
               "at most 64 neighbours per face, index AUTO (flat below 10k faces, else HNSW "
               "M 16, ef_construction 48, 96 from 500k faces); peers at the same threshold 0.5 (DBSCAN eps 0.5, "
               "min_samples 1; original: merge at 0.6)")
    out.append("- times are wall-clock seconds of one run; CPU s = user + system of the "
               "clustering call (2 threads: ideal wall = CPU / 2 on an idle machine)")
    out.append("")
    out.append("## facecluster")
    out.append("")
    out.append("| faces | identities | index | index build s | clustering s (incl. build) "
               "| CPU s | persons | BCubed P / R / F | pairwise P / R | assign 1k users: "
               "centroid s / vote s | correct / wrong (centroid) | peak RSS MB | load avg |")
    out.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for n in sizes:
        r = read_json(os.path.join(work, f"fc.{n}.json"))
        if not r:
            out.append(f"| {n} | | failed | | | | | | | | | | |")
            continue
        rss = read_rss_mb(os.path.join(work, f"fc.{n}.rss"))
        out.append(
            f"| {n} | {r['ids']} | {r['index']} | {r['index_s']:.2f} | {r['cluster_s']:.2f} "
            f"| {r['cluster_cpu_s']:.1f} | {r['persons']} "
            f"| {r['bcubed_p']:.4f} / {r['bcubed_r']:.4f} / {r['bcubed_f']:.4f} "
            f"| {r['pair_p']:.4f} / {r['pair_r']:.4f} "
            f"| {r['assign_centroid_s']:.2f} / {r['assign_vote_s']:.2f} "
            f"| {r['assign_centroid_right']} / {r['assign_centroid_wrong']} of "
            f"{r['assign_should']} "
            f"| {fmt(rss, '.0f')} | {meta.get('load_' + str(n), '-')} |")
    out.append("")
    out.append("Stages of the clustering call (s): index build + pairs recorded while "
               "linking / unions / centroid merge rounds (merges) / assembly.")
    out.append("")
    for n in sizes:
        r = read_json(os.path.join(work, f"fc.{n}.json"))
        if r:
            out.append(f"- {n} faces: {r['index_s']:.2f} + {r['edges_s']:.2f} / "
                       f"{r['unions_s']:.2f} / {r['merge_s']:.2f} in {r['merge_rounds']} rounds "
                       f"({r['n_merged']} merges) / {r['assemble_s']:.2f}; {r['n_edges']} edges, "
                       f"{r['n_refused']} unions refused by cannot-link; synthetic data "
                       f"{r['gen_s']:.1f} s, {r['data_mb']:.0f} MB")
    out.append("")
    out.append("## Peers on the same data")
    out.append("")
    out.append("| faces | method | s | x facecluster time | peak RSS MB | persons | BCubed F "
               "| pairwise P / R |")
    out.append("|---|---|---|---|---|---|---|---|")
    for n in sizes:
        r = read_json(os.path.join(work, f"fc.{n}.json"))
        if not r:
            continue
        out.append(f"| {n} | facecluster (index + union-find) | {r['cluster_s']:.2f} | 1.0 "
                   f"| {fmt(read_rss_mb(os.path.join(work, f'fc.{n}.rss')), '.0f')} "
                   f"| {r['persons']} | {r['bcubed_f']:.4f} | {r['pair_p']:.4f} / "
                   f"{r['pair_r']:.4f} |")
        if r.get("original_s", -1) >= 0:
            out.append(f"| {n} | original method in C (fc_cluster_original: n x n matrix) "
                       f"| {r['original_s']:.2f} | {r['original_s'] / r['cluster_s']:.1f} | - "
                       f"| - | {r['original_bcubed_f']:.4f} | {r['original_pair_p']:.4f} / "
                       f"{r['original_pair_r']:.4f} |")
        for m, label in (("original", "original method, NumPy + SciPy"),
                         ("dbscan", "scikit-learn DBSCAN, cosine")):
            p = read_json(os.path.join(work, f"peer.{m}.{n}.json"))
            if p is None:
                if n <= int(meta.get("command", "").split("PEER_MAX_FACES=")[-1].split()[0]):
                    out.append(f"| {n} | {label} | no result | | | | | |")
                else:
                    out.append(f"| {n} | {label} | not run (above PEER_MAX_FACES) | | | | | |")
                continue
            if "skipped" in p:
                out.append(f"| {n} | {label} | {p['skipped']} | | | | | |")
                continue
            rss = read_rss_mb(os.path.join(work, f"peer.{m}.{n}.rss"))
            out.append(f"| {n} | {label} | {p['seconds']:.2f} "
                       f"| {p['seconds'] / r['cluster_s']:.1f} | {fmt(rss, '.0f')} "
                       f"| {p['persons']} | {p['bcubed_f']:.4f} | {p['pair_p']:.4f} / "
                       f"{p['pair_r']:.4f} |")
    out.append("")
    out.append(f"Load average (1, 5, 15 min) at the end: {meta.get('load_end')} "
               f"(2 cores; 2.0 = both busy).")
    out.append("")
    out.append("## Reading the numbers")
    out.append("")
    out.append("- facecluster's face pairs come from an HNSW graph (approximate); DBSCAN and "
               "the original method compare every pair. A missed pair can only split a person "
               "(recall), never join two (precision); the centroid merge rounds rejoin most "
               "pieces. Where BCubed F differs from DBSCAN's, it is these splits.")
    out.append("- The original method needs the n x n matrix, so it only runs at 10k here. "
               "DBSCAN (brute force over all pairs) is not run at 1M: its cost grows with n^2 "
               "from the 100k time above.")
    out.append("- History, same data and script: at commit 067c24a, with ef_construction 48 "
               "at every size, the 1M run found 9,331,120 face pairs, 90,701 persons, BCubed "
               "F 0.9559 in 368.91 s (bench/CLUSTER_RESULTS.md at 8507ceb): on a million "
               "identity-scattered faces the HNSW search meets a third fewer of each face's "
               "neighbours at that setting, hence the 96 from 500k faces.")
    out.append('- Also measured (same data, bench/cluster_bench --ef-construction 96, which sets 96 for the centroid index of the merge rounds too): 1M faces in 334.59 s (CPU 475.9 s), 55,301 persons, BCubed F 0.9951, pairwise R 0.9950. The default keeps 48 for the centroid index (fewer than 500k groups), which leaves more pieces unmerged at 1M.')
    out.append("- The machine is shared: compare CPU s with wall s to see how much of the two "
               "cores a run had.")
    print("\n".join(out))


if __name__ == "__main__":
    main()
