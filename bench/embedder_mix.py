#!/usr/bin/python3
"""embedder_mix.py - would two embedders together recognise faces better than the
default alone? Verification accuracy (LFW 10-fold protocol, bench/verify.py) and AUC
when each face is described by both fr_feature.onnx and mobilefacenet_128d.onnx:
their L2-normalised vectors side by side, weighted so that the cosine of two faces is
w * cosine(fr_feature) + (1 - w) * cosine(mobilefacenet).

    /usr/bin/python3 bench/embedder_mix.py      (~40 s the first time, then cached)

Faces come through the reference pipeline with detection on every image, as
bench/calibrate.py's "celebs, pipeline" (bench/verify.py's cache); sets from
bench/pairs.py. w = 1 is fr_feature alone, w = 0 mobilefacenet alone. Needs
../shared/data and ../shared/models/mobilefacenet_128d.onnx (or $FC_SHARED).
"""

import os
import sys

import numpy as np

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pairs as P   # noqa: E402
import verify as V  # noqa: E402

WEIGHTS = (1.0, 0.9, 0.8, 0.7, 0.5, 0.0)


def unit(E):
    n = np.linalg.norm(E, axis=1, keepdims=True)
    return E / np.where(n > 0, n, 1)


def main():
    mfn = os.path.join(P.SHARED, "models", "mobilefacenet_128d.onnx")
    if not os.path.isdir(P.DATA) or not os.path.isfile(mfn):
        print("skipped: ../shared/data or %s not present" % mfn)
        return 0
    engines = (V.Engine(V.engine_args(detect_aligned=True)),
               V.Engine(V.engine_args(detect_aligned=True, embedder=mfn, channels="rgb")))
    print("| set | w (fr_feature share) | 10-fold accuracy | AUC |\n|---|---|---|---|")
    for s in [P.celebs_pairs()] + P.small_sets():
        (Ef, ff, _), (Em, fm, _) = (V.set_embeddings(e, s) for e in engines)
        Ef, Em, found = unit(Ef), unit(Em), ff & fm
        for w in WEIGHTS:
            E = np.hstack([np.sqrt(w) * Ef, np.sqrt(1 - w) * Em])
            scores = V.pair_scores(E, found, s.pairs)
            acc, _ = V.kfold(scores, s.same, s.folds)
            print("| %s | %.1f | %.4f ± %.4f | %.4f |" % (s.name, w, acc.mean(), acc.std(),
                                                          V.auc(scores, s.same)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
