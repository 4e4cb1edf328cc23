#!/usr/bin/python3
"""calibrate.py - cosine distributions of same-person and different-person faces on the
labelled sets, and the default thresholds derived from them, per embedder
(docs/calibration.md explains the method and keeps the numbers).

    /usr/bin/python3 bench/calibrate.py [--quick]

Embeddings come from the reference pipeline (bench/ref_pipeline.py) through
bench/verify.py's cache (build/verify_cache/), in these conditions:
  celebs, pipeline   every crop of celebs_aligned (16 people, 1537 crops) through the
                     whole pipeline: detect on the crop padded with a 50% black border
                     (a face with context, as in a photo; tight crops mislead the
                     detector), our landmarks, alignment, embedding. The main source.
  celebs, as given   the same crops embedded directly (their own, better alignment): the
                     upper bound, and the protocol of the 6000-pair 10-fold accuracy.
  small sets         the four small sets of bench/pairs.py (20 people, 126 images, photos
                     and crops) through the default pipeline.
Pairs are all pairs within a set (celebs pipeline: 73,831 same, 1,105,049 different;
small sets pooled, people namespaced by set, 948 same, 6,927 different). Embedders: fr_feature (BGR, the reference's
default), fr_feature fed RGB (as docs/PIPELINE.md says; for comparison), and
mobilefacenet_128d (RGB, (x-127.5)/128) when $FC_SHARED/models has it; --quick does
fr_feature (BGR) only.

Thresholds (cosine; a pair "matches" when its cosine >= the threshold):
  verification   the LFW 10-fold mean threshold on celebs pairs.tsv (as verify.py), and
                 the threshold at FAR 1e-3: the 99.9th percentile of different-person
                 cosines (celebs pipeline + small sets), with the TAR there.
The three clustering thresholds share one rule, "above every different-person value
seen": the highest different-person cosine of the statistic, rounded up to 0.01.
Single linkage turns one false edge into two people merged, so a per-pair FAR of 1e-3
(about 1,100 false edges among celebs' 1.1M different pairs) is far too loose.
  edge           face vs face: all different-person pairs (celebs pipeline + small sets).
  merge          centroid (mean of normalised members, re-normalised) vs centroid of two
                 disjoint random sets of k faces, of one person or of two different people
                 (celebs pipeline; k = 1, 2, 5, 10, 20; 10000 draws each, seed fixed); the
                 maximum over k >= 2 (k = 1 is the edge's business) - and at least the
                 assignment threshold: a component of one face merging into a larger one
                 is a centroid-vs-one-face comparison (measured: without this, single
                 faces chain two people together, pairwise precision 0.88 on celebs).
  assignment     centroid of k faces (k = 1, 3, 5, 10, 20) vs one other face (an enrolled
                 user's embedding) of the same person / of another, same draws; the maximum
                 over k ("unknown" beats a wrong name).
Checks: connected components over a 0.01 grid of edge thresholds, then the whole
clustering (edges, components, centroid merge) at the chosen edge over a grid of merge
thresholds and at the chosen pair: BCubed F and pairwise precision/recall on both sets
(docs/PIPELINE.md's targets: F >= 0.95, pairwise precision >= 0.99).
"""

import math
import os
import sys

import numpy as np

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pairs as P            # noqa: E402
import verify as V           # noqa: E402

SEED = 20261124
DRAWS = 10000
MERGE_K = (1, 2, 5, 10, 20)
ASSIGN_K = (1, 3, 5, 10, 20)
EDGE_GRID = np.round(np.arange(0.20, 0.901, 0.01), 2)
MERGE_GRID = np.round(np.arange(0.30, 0.801, 0.02), 2)
PERCENTILES = (0.1, 1, 5, 25, 50, 75, 95, 99, 99.9)
HIST_EDGES = np.round(np.arange(-0.3, 1.0001, 0.1), 1)


# ---- embeddings ---------------------------------------------------------------------

def embedders():
    """(label, verify.py engine options) per embedder."""
    out = [("fr_feature (BGR)", dict()), ("fr_feature fed RGB", dict(channels="rgb"))]
    mfn = os.path.join(P.SHARED, "models", "mobilefacenet_128d.onnx")
    if os.path.exists(mfn):
        out.append(("mobilefacenet_128d (RGB)", dict(embedder=os.path.abspath(mfn))))
    return out


def labelled(engine_opts):
    """{condition: (E, labels, found)} for one embedder."""
    images, labels = P.celebs_all()
    paths = [os.path.join(P.DATA, p) for p in images]
    out = {}
    eng = V.Engine(V.engine_args(detect_aligned=True, pad_always=True, **engine_opts))
    E, found, _ = V.embeddings(eng, paths, aligned=True)
    out["celebs, pipeline"] = (E, np.array(labels), found)
    eng = V.Engine(V.engine_args(**engine_opts))
    E, found, _ = V.embeddings(eng, paths, aligned=True)
    out["celebs, as given"] = (E, np.array(labels), found)
    small = P.small_sets()
    Es, ls, fs = [], [], []
    for s in small:
        E, found, _ = V.set_embeddings(eng, s)
        Es.append(E)
        fs.append(found)
        ls += ["%s/%s" % (s.name, lab) for lab in s.labels]
    out["small sets"] = (np.concatenate(Es), np.array(ls), np.concatenate(fs))
    return out


def all_pairs(E, labels, found):
    """(same cosines, different cosines) over all pairs of images with a face."""
    E, labels = E[found], labels[found]
    i, j = np.triu_indices(len(E), k=1)
    s = (E @ E.T)[i, j]
    same = labels[i] == labels[j]
    return s[same], s[~same]


# ---- distributions ------------------------------------------------------------------

def percentile_rows(name, same, diff):
    cells = lambda v: " | ".join("%.3f" % x for x in np.percentile(v, PERCENTILES))  # noqa: E731
    return ["| %s, same (%d) | %s | %.3f |" % (name, len(same), cells(same), same.max()),
            "| %s, different (%d) | %s | %.3f |" % (name, len(diff), cells(diff), diff.max())]


def histogram(same, diff):
    """A coarse text histogram: % of same / different pairs per 0.1 of cosine."""
    hs = np.histogram(np.clip(same, -0.3, 0.9999), HIST_EDGES)[0] / len(same) * 100
    hd = np.histogram(np.clip(diff, -0.3, 0.9999), HIST_EDGES)[0] / len(diff) * 100
    lines = ["cosine        same %                        different %"]
    for k in range(len(HIST_EDGES) - 1):
        lines.append("%5.1f..%4.1f  %5.1f %-22s %5.1f %s" % (
            HIST_EDGES[k], HIST_EDGES[k + 1], hs[k], "#" * int(round(hs[k] / 2.5)),
            hd[k], "#" * int(round(hd[k] / 2.5))))
    return "\n".join(lines)


# ---- clustering ---------------------------------------------------------------------

class UnionFind:
    def __init__(self, n):
        self.parent = list(range(n))

    def find(self, a):
        root = a
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[a] != root:
            self.parent[a], a = root, self.parent[a]
        return root

    def union(self, a, b):
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)

    def labels(self):
        return np.array([self.find(a) for a in range(len(self.parent))])


def cluster_scores(pred, truth):
    """(BCubed precision, recall, F, pairwise precision, recall)."""
    _, p = np.unique(pred, return_inverse=True)
    _, t = np.unique(truth, return_inverse=True)
    n = np.zeros((p.max() + 1, t.max() + 1))
    np.add.at(n, (p, t), 1)
    a, b = n.sum(1), n.sum(0)
    bp = (n ** 2 / a[:, None]).sum() / len(p)
    br = (n ** 2 / b[None, :]).sum() / len(p)
    pairs = lambda x: (x * (x - 1) / 2).sum()  # noqa: E731
    tp = pairs(n)
    pp = tp / pairs(a) if pairs(a) else 1.0
    pr = tp / pairs(b) if pairs(b) else 1.0
    return bp, br, 2 * bp * br / (bp + br), pp, pr


def edge_sweep(E, labels):
    """{threshold: cluster_scores} of connected components over EDGE_GRID."""
    i, j = np.triu_indices(len(E), k=1)
    s = (E @ E.T)[i, j]
    keep = s >= EDGE_GRID[0]
    order = np.argsort(-s[keep], kind="stable")
    ei, ej, es = i[keep][order], j[keep][order], s[keep][order]
    uf, k, out = UnionFind(len(E)), 0, {}
    for t in EDGE_GRID[::-1]:
        while k < len(es) and es[k] >= t:
            uf.union(int(ei[k]), int(ej[k]))
            k += 1
        out[float(t)] = cluster_scores(uf.labels(), labels)
    return out


def ceil2(x):
    """x rounded up to 0.01 (a threshold strictly above x when x is on the grid)."""
    return math.floor(x * 100 + 1) / 100


def normalise(v):
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-12)


def components(E, edge):
    """Connected-component label per face for edges with cosine >= edge."""
    i, j = np.triu_indices(len(E), k=1)
    s = (E @ E.T)[i, j]
    uf = UnionFind(len(E))
    for a, b in zip(i[s >= edge], j[s >= edge]):
        uf.union(int(a), int(b))
    return uf.labels()


def merge_sweep(E, comp, merges):
    """{merge threshold: label per face}: components whose centroids (mean of normalised
    members, re-normalised) have cosine >= merge joined, transitively."""
    ids = np.unique(comp)
    cent = normalise(np.stack([E[comp == c].mean(0) for c in ids]))
    iu = np.triu_indices(len(ids), k=1)
    v = (cent @ cent.T)[iu]
    order = np.argsort(-v, kind="stable")
    uf, k, out = UnionFind(len(ids)), 0, {}
    for m in sorted(merges, reverse=True):
        while k < len(order) and v[order[k]] >= m:
            uf.union(int(iu[0][order[k]]), int(iu[1][order[k]]))
            k += 1
        out[m] = uf.labels()[np.searchsorted(ids, comp)]
    return out


# ---- centroid statistics (merge, assignment) ----------------------------------------

def centroid_draws(E, labels, k, rng, kind):
    """(same, different) cosines of DRAWS random draws each. kind "merge": centroid of k
    faces vs centroid of k other faces; "assign": centroid of k faces vs one other face."""
    people = [np.flatnonzero(labels == n) for n in np.unique(labels)]
    people = [p for p in people if len(p) >= k + (k if kind == "merge" else 1)]
    m = k if kind == "merge" else 1
    same, diff = [], []
    for _ in range(DRAWS):
        a = people[rng.integers(len(people))]
        pick = rng.choice(a, size=k + m, replace=False)
        c1, c2 = normalise(E[pick[:k]].mean(0)), normalise(E[pick[k:]].mean(0))
        same.append(c1 @ c2)
        x, y = rng.choice(len(people), size=2, replace=False)
        c1 = normalise(E[rng.choice(people[x], size=k, replace=False)].mean(0))
        c2 = normalise(E[rng.choice(people[y], size=m, replace=False)].mean(0))
        diff.append(c1 @ c2)
    return np.array(same), np.array(diff)


def centroid_stats(E, labels, ks, kind):
    """[(k, same cosines, different cosines)] and the highest different-person cosine
    over k (k >= 2 for merge), rounded up to 0.01."""
    rng = np.random.default_rng(SEED)
    stats = [(k,) + centroid_draws(E, labels, k, rng, kind) for k in ks]
    return stats, ceil2(max(d.max() for k, _, d in stats if kind == "assign" or k >= 2))


def centroid_rows(stats, thr):
    rows = ["| k | same p1 | same p5 | same median | different median | different p99 | "
            "different p99.9 | different max | same >= %.2f |" % thr, "|---" * 9 + "|"]
    for k, same, diff in stats:
        rows.append("| %d | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | %.1f%% |" % (
            k, *np.percentile(same, [1, 5, 50]), *np.percentile(diff, [50, 99, 99.9]), diff.max(),
            100 * np.mean(same >= thr)))
    return rows


# ---- report -------------------------------------------------------------------------

def verification_lines(E_pipe, found_pipe, E_given, same, diff):
    """10-fold thresholds on pairs.tsv (both celebs conditions) and FAR 1e-3."""
    cp = P.celebs_pairs()
    all_images = {p: k for k, p in enumerate(P.celebs_all()[0])}
    idx = np.array([all_images[p] for p in cp.images])
    lines, thr = [], {}
    for name, E, f in (("as given", E_given, np.ones(len(E_given), bool)), ("pipeline", E_pipe, found_pipe)):
        sc = V.pair_scores(E[idx], f[idx], cp.pairs)
        accs, thrs = V.kfold(sc, cp.same, cp.folds)
        lines.append("- celebs pairs.tsv 10-fold (%s): accuracy %.4f ± %.4f at threshold %.3f ± %.3f"
                     % (name, accs.mean(), accs.std(), thrs.mean(), thrs.std()))
        thr[name] = thrs.mean()
    t = thr["far"] = np.percentile(diff, 99.9)
    lines.append("- FAR 1e-3 (99.9th percentile of %d different-person cosines, celebs pipeline + "
                 "small sets): %.3f, TAR there %.4f of %d same-person pairs"
                 % (len(diff), t, np.mean(same >= t), len(same)))
    for far in (1e-4, 1e-5):
        t = np.percentile(diff, 100 * (1 - far))
        lines.append("- FAR %g: %.3f, TAR %.4f" % (far, t, np.mean(same >= t)))
    return lines, thr


def edge_table(sweeps, names, chosen):
    rows = ["| edge threshold | " + " | ".join("%s BCubed F | pairwise precision | pairwise recall" % n
                                              for n in names) + " |", "|---" * (1 + 3 * len(names)) + "|"]
    shown = [t for t in EDGE_GRID if round(t * 100) % 5 == 0 or abs(t - chosen) < 1e-9]
    for t in shown:
        cells = []
        for sw in sweeps:
            bp, br, bf, pp, pr = sw[float(t)]
            cells.append("%.4f | %.4f | %.4f" % (bf, pp, pr))
        rows.append("| %.2f%s | %s |" % (t, " (chosen)" if abs(t - chosen) < 1e-9 else "", " | ".join(cells)))
    return rows


def merge_table(sets, edge, merge):
    merges = sorted(set([float(m) for m in MERGE_GRID] + [merge, edge + 0.1]))
    sweeps = [(merge_sweep(E, components(E, edge), merges), lab) for _, E, lab in sets]
    rows = ["| merge threshold | " + " | ".join("%s clusters | BCubed F | pairwise precision | pairwise recall" % n
                                               for n, _, _ in sets) + " |", "|---" * (1 + 4 * len(sets)) + "|"]
    for m in merges:
        cells = []
        for sw, lab in sweeps:
            bp, br, bf, pp, pr = cluster_scores(sw[m], lab)
            cells.append("%d | %.4f | %.4f | %.4f" % (len(set(sw[m])), bf, pp, pr))
        mark = " (chosen)" if abs(m - merge) < 1e-9 else (" (edge + 0.1)" if abs(m - edge - 0.1) < 1e-9 else "")
        rows.append("| %.2f%s | %s |" % (m, mark, " | ".join(cells)))
    return "\n".join(rows)


def report(label, data):
    print("## %s\n" % label)
    Ep, lp, fp = data["celebs, pipeline"]
    Eg, lg, fg = data["celebs, as given"]
    Es, ls, fs = data["small sets"]
    print("Faces found: celebs pipeline %d of %d, small sets %d of %d.\n" % (fp.sum(), len(fp), fs.sum(), len(fs)))
    print("### Distributions (cosine percentiles)\n")
    print("| pairs | " + " | ".join("p%g" % p for p in PERCENTILES) + " | max |")
    print("|---" * (len(PERCENTILES) + 2) + "|")
    dists = {}
    for name, (E, lab, f) in data.items():
        dists[name] = all_pairs(E, lab, f)
        print("\n".join(percentile_rows(name, *dists[name])))
    print("\nCelebs, pipeline (%% of pairs per 0.1 of cosine; # = 2.5%%):\n\n```\n%s\n```\n"
          % histogram(*dists["celebs, pipeline"]))
    same = np.concatenate([dists["celebs, pipeline"][0], dists["small sets"][0]])
    diff = np.concatenate([dists["celebs, pipeline"][1], dists["small sets"][1]])
    print("### Verification\n")
    lines, verif = verification_lines(Ep, fp, Eg, same, diff)
    print("\n".join(lines))
    edge = ceil2(diff.max())
    sets = [("celebs pipeline", Ep[fp], lp[fp]), ("small sets", Es[fs], ls[fs])]
    print("\n### Clustering edge threshold\n")
    print("Highest different-person cosine: %.3f (celebs pipeline %.3f, small sets %.3f) -> edge "
          "threshold **%.2f**; it keeps %.1f%% of same-person pairs.\n"
          % (diff.max(), dists["celebs, pipeline"][1].max(), dists["small sets"][1].max(), edge,
             100 * np.mean(same >= edge)))
    print("Check: connected components alone (no merge) per edge threshold:\n")
    print("\n".join(edge_table([edge_sweep(E, lab) for _, E, lab in sets], [n for n, _, _ in sets], edge)))
    print("\n### Assignment threshold (centroid of k faces vs one enrolled face, celebs pipeline)\n")
    stats, assign = centroid_stats(Ep[fp], lp[fp], ASSIGN_K, "assign")
    print("\n".join(centroid_rows(stats, assign)))
    print("\nAssignment threshold: **%.2f**\n" % assign)
    print("### Merge threshold (centroid vs centroid, k faces each, celebs pipeline)\n")
    stats, merge_cc = centroid_stats(Ep[fp], lp[fp], MERGE_K, "merge")
    merge = max(merge_cc, assign)
    print("\n".join(centroid_rows(stats, merge)))
    print("\nCentroid vs centroid alone: %.2f. A component of one face joining a larger one is the "
          "assignment comparison (centroid vs one face), so the merge threshold is the larger of the "
          "two: **%.2f** (the original's rule, edge + 0.1, would give %.2f)\n" % (merge_cc, merge, edge + 0.1))
    print("### Check: the whole clustering at edge %.2f, by merge threshold\n" % edge)
    print(merge_table(sets, edge, merge))
    print()
    return verif["pipeline"], verif["far"], edge, merge, assign


def main(argv):
    quick = "--quick" in argv[1:]
    if [a for a in argv[1:] if a != "--quick"]:
        raise SystemExit(__doc__)
    summary = []
    print("# Calibration (bench/calibrate.py)\n")
    for label, opts in embedders()[:1 if quick else None]:
        V.progress("calibrate: %s" % label)
        summary.append((label,) + report(label, labelled(opts)))
    print("## Summary (cosine thresholds)\n")
    print("| embedder | verification (10-fold, pipeline) | FAR 1e-3 | cluster edge | merge | assignment |")
    print("|---|---|---|---|---|---|")
    for row in summary:
        print("| %s | %.3f | %.3f | %.2f | %.2f | %.2f |" % row)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
