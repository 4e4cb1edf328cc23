#!/usr/bin/python3
"""cluster_peer.py - peers for bench/cluster_run on the same synthetic faces
(PREFIX.emb.npy float32 L2-normalised, PREFIX.labels.npy): scikit-learn DBSCAN with the
cosine metric (eps = 1 - threshold, min_samples = 1: connected components of the
threshold graph), and the original service's method in NumPy (full cosine matrix,
connected components, one pass of centroid merges at threshold + 0.1).

usage: cluster_peer.py dbscan|original PREFIX THRESHOLD
Prints one JSON object: method, seconds, persons, BCubed P/R/F, pairwise P/R."""
import json
import sys
import time

import numpy as np


def score(truth, pred):
    """BCubed and pairwise precision/recall from the contingency counts."""
    n = len(truth)
    _, c = np.unique(pred, return_inverse=True)
    _, l = np.unique(truth, return_inverse=True)
    cells, n_cl = np.unique(np.stack([c, l]), axis=1, return_counts=True)
    n_c = np.bincount(c)[cells[0]]
    n_l = np.bincount(l)[cells[1]]
    n_cl = n_cl.astype(np.float64)
    bp = float(np.sum(n_cl * n_cl / n_c) / n)
    br = float(np.sum(n_cl * n_cl / n_l) / n)
    tp = float(np.sum(n_cl * (n_cl - 1) / 2))
    sc = np.bincount(c).astype(np.float64)
    sl = np.bincount(l).astype(np.float64)
    pc = float(np.sum(sc * (sc - 1) / 2))
    pl = float(np.sum(sl * (sl - 1) / 2))
    return {"bcubed_p": bp, "bcubed_r": br,
            "bcubed_f": 2 * bp * br / (bp + br) if bp + br else 0.0,
            "pair_p": tp / pc if pc else 1.0, "pair_r": tp / pl if pl else 1.0}


def dbscan(x, t):
    from sklearn.cluster import DBSCAN
    return DBSCAN(eps=1.0 - t, min_samples=1, metric="cosine", algorithm="brute",
                  n_jobs=1).fit(x).labels_


def original(x, t):
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components
    s = x @ x.T
    _, comp = connected_components(csr_matrix(s >= t), directed=False)
    del s
    k = comp.max() + 1
    cen = np.zeros((k, x.shape[1]), np.float32)
    np.add.at(cen, comp, x)
    cen /= np.maximum(np.linalg.norm(cen, axis=1, keepdims=True), 1e-12)
    cs = cen @ cen.T
    _, merged = connected_components(csr_matrix(cs >= t + 0.1), directed=False)
    return merged[comp]


def main():
    method, prefix, t = sys.argv[1], sys.argv[2], float(sys.argv[3])
    x = np.load(prefix + ".emb.npy")
    truth = np.load(prefix + ".labels.npy")
    t0 = time.monotonic()
    labels = {"dbscan": dbscan, "original": original}[method](x, t)
    secs = time.monotonic() - t0
    out = {"method": method, "faces": len(x), "seconds": secs,
           "persons": int(len(np.unique(labels)))}
    out.update(score(truth, labels))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
