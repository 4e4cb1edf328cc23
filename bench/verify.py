#!/usr/bin/python3
"""verify.py - face verification accuracy on the labelled sets (bench/pairs.py), for
the reference pipeline (bench/ref_pipeline.py) or for facecluster.

    /usr/bin/python3 bench/verify.py [--engine ref|ref-cli|facecluster]
        [--facecluster PATH] [--fc-aligned-flag FLAG] [--detect-aligned]
        [--pad-always] [--embedder FILE.onnx] [--channels rgb|bgr]
        [--threshold T] [--no-cache]
    /usr/bin/python3 bench/verify.py --choices

Engines:
  ref          bench/ref_pipeline.py in this process (the default).
  ref-cli      `/usr/bin/python3 bench/ref_pipeline.py IMG...`, its JSON lines parsed
               by the same function as facecluster's: checks that reading path.
  facecluster  `PATH detect --embeddings IMG...` (default build/facecluster), JSON lines
               {"image","width","height","faces":[{"bbox","landmarks","score","embedding"}]}.
Per image the largest face (box area; ties: the higher score) is the one compared.
Aligned 112x112 crops (celebs_aligned) are embedded directly by `ref` (no detection);
ref-cli gets `--aligned`, facecluster gets FLAG when --fc-aligned-flag FLAG is given
and otherwise detects on them like on any photo. --detect-aligned makes every engine
detect on them (the full pipeline, with its padded retry). Reference engines only:
--pad-always searches every image with the 50% black border (the mode for inputs known
to be face crops), --embedder another embedding model, --channels its input order
(default: ref_pipeline.EMBEDDER_INPUT; fr_feature BGR).

--choices prints the measurements behind ref_pipeline's pre-processing defaults
(embedder channel order and normalisation, landmark input, padding border and policy;
about 7 CPU-minutes, not cached).

Metrics per set (pairs.py: celebs_aligned, the four small sets, and those four pooled):
  10-fold  LFW protocol: for each fold, the threshold with the best accuracy on the
           other nine (the midpoints between sorted scores are the candidates; the lowest
           of equally good ones) is applied to that fold; mean +- std of the 10
           accuracies (std with ddof=0 as in LFW reports) and the mean threshold.
  fixed    accuracy at one threshold for all sets (--threshold, default the calibrated
           verification threshold of the embedder, docs/calibration.md).
A pair with an image where no face was found counts as "different" (score -1): it is
right for a different pair and wrong for a same pair; such images are listed.

Embeddings are cached in build/verify_cache/ (npz per engine + configuration, keyed by
a hash of the pipeline code, the models and the options), so reruns take seconds.
FC_SHARED, FC_MODELS_DIR as elsewhere; facecluster runs with FC_THREADS=1 unless set.
"""

import hashlib
import json
import os
import subprocess
import sys

import numpy as np

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pairs as P            # noqa: E402
import ref_pipeline as rp    # noqa: E402

ROOT = rp.ROOT
CACHE_DIR = os.path.join(ROOT, "build", "verify_cache")
CLI_CHUNK = 200
# Calibrated verification thresholds (cosine) per embedder: docs/calibration.md.
DEFAULT_THRESHOLDS = {"fr_feature.onnx": 0.22, "mobilefacenet_128d.onnx": 0.21}


# ---- reading detect JSON (facecluster's CLI and the reference's, the same shape) ----

def parse_detect_lines(lines):
    """{image path as printed: record} from JSON lines; non-JSON lines are ignored."""
    records = {}
    for line in lines:
        line = line.strip()
        if not line.startswith("{"):
            continue
        rec = json.loads(line)
        records[rec["image"]] = rec
    return records


def best_face(record):
    """(embedding as float32 ndarray, L2-normalised, or None; number of faces)."""
    faces = record.get("faces") or []
    if not faces:
        return None, 0
    best = max(faces, key=lambda f: (f["bbox"][2] * f["bbox"][3], f["score"]))
    e = np.asarray(best["embedding"], np.float32)
    return e / max(float(np.linalg.norm(e)), 1e-12), len(faces)


# ---- engines ------------------------------------------------------------------------

def run_cli(cmd, paths, env=None):
    """Runs cmd + paths in chunks; {path: record}. Raises on a non-zero exit."""
    out = {}
    for k in range(0, len(paths), CLI_CHUNK):
        chunk = paths[k:k + CLI_CHUNK]
        res = subprocess.run(cmd + chunk, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, env=env)
        if res.returncode != 0:
            raise SystemExit("verify.py: %s exited %d: %s" % (" ".join(cmd), res.returncode,
                                                                res.stderr.strip()[-500:]))
        got = parse_detect_lines(res.stdout.splitlines())
        in_order = list(got.values()) if len(got) == len(chunk) else None
        for n, p in enumerate(chunk):
            rec = got.get(p) or got.get(os.path.abspath(p)) or got.get(os.path.realpath(p))
            if rec is None and in_order is not None:
                rec = in_order[n]  # one line per image, in order, under another spelling of the path
            if rec is None:
                raise SystemExit("verify.py: %s printed no line for %s" % (cmd[0], p))
            out[p] = rec
        progress("  %s: %d/%d images" % (os.path.basename(cmd[1] if cmd[0].endswith("python3") else cmd[0]),
                                         min(k + CLI_CHUNK, len(paths)), len(paths)))
    return out


class Engine:
    """Turns image files into records (the detect JSON shape) one way or another."""

    def __init__(self, args):
        self.name = args["engine"]
        self.args = args
        opts = {}
        if args["pad_always"]:
            opts["pad_always"] = True
        if args["channels"]:
            opts["feat_rgb"] = args["channels"] == "rgb"
        self.cfg = rp.Config(embedder=args["embedder"], **opts)
        self._pipeline = None

    def pipeline(self):
        if self._pipeline is None:
            self._pipeline = rp.Pipeline(self.cfg)
        return self._pipeline

    def key(self, aligned):
        """What the cached embeddings depend on."""
        h = hashlib.sha1()
        h.update(("%s aligned=%s detect_aligned=%s" % (self.name, aligned, self.args["detect_aligned"])).encode())
        if self.name == "facecluster":
            fc = self.args["facecluster"]
            st = os.stat(fc)
            h.update(("%s %d %d %s" % (fc, st.st_size, st.st_mtime_ns, self.args["fc_aligned_flag"])).encode())
        else:
            h.update(repr(self.cfg).encode())
            for f in (rp.__file__, self.cfg.embedder or os.path.join(self.cfg.models_dir, "fr_feature.onnx"),
                      os.path.join(self.cfg.models_dir, "fr_detect.onnx"),
                      os.path.join(self.cfg.models_dir, "fr_landmark.onnx")):
                with open(f, "rb") as fh:
                    h.update(hashlib.sha1(fh.read()).digest())
        return h.hexdigest()[:16]

    def records(self, paths, aligned):
        direct = aligned and not self.args["detect_aligned"]
        if self.name == "ref":
            pipe = self.pipeline()
            out = {}
            for k, p in enumerate(paths):
                out[p] = rp.image_record(p, pipe, aligned=direct)
                if (k + 1) % 500 == 0:
                    progress("  ref: %d/%d images" % (k + 1, len(paths)))
            return out
        if self.name == "ref-cli":
            cmd = ["/usr/bin/python3", os.path.join(ROOT, "bench", "ref_pipeline.py")]
            if self.cfg.embedder:
                cmd += ["--embedder", self.cfg.embedder]
            if self.args["channels"]:
                cmd += ["--channels", self.args["channels"]]
            if self.cfg.pad_always:
                cmd.append("--pad-always")
            return run_cli(cmd + (["--aligned"] if direct else []), paths)
        env = dict(os.environ)
        env.setdefault("FC_THREADS", "1")
        cmd = [self.args["facecluster"], "detect", "--embeddings"]
        if direct and self.args["fc_aligned_flag"]:
            cmd.append(self.args["fc_aligned_flag"])
        return run_cli(cmd, paths, env)


def embeddings(engine, paths, aligned, use_cache=True):
    """(E n x d float32, found bool n, faces int n) for the image paths, cached."""
    os.makedirs(CACHE_DIR, exist_ok=True)
    cache = os.path.join(CACHE_DIR, "%s-%s.npz" % (engine.name, engine.key(aligned)))
    known = {}
    if use_cache and os.path.exists(cache):
        z = np.load(cache, allow_pickle=False)
        for p, e, f, n in zip(z["paths"], z["emb"], z["found"], z["faces"]):
            known[str(p)] = (e, bool(f), int(n))
    todo = [p for p in paths if p not in known]
    if todo:
        progress("%s: embedding %d images%s" % (engine.name, len(todo), " (aligned crops)" if aligned else ""))
        for p, rec in engine.records(todo, aligned).items():
            e, n = best_face(rec)
            known[p] = (e, e is not None, n)
        dim = max((v[0].shape[0] for v in known.values() if v[1]), default=1)
        allp = sorted(known)
        np.savez(cache, paths=np.array(allp),
                 emb=np.stack([known[p][0] if known[p][1] else np.zeros(dim, np.float32) for p in allp]),
                 found=np.array([known[p][1] for p in allp]), faces=np.array([known[p][2] for p in allp]))
    dim = max((known[p][0].shape[0] for p in paths if known[p][1]), default=1)
    E = np.stack([known[p][0] if known[p][1] else np.zeros(dim, np.float32) for p in paths])
    return E.astype(np.float32), np.array([known[p][1] for p in paths]), np.array([known[p][2] for p in paths])


def set_embeddings(engine, s, use_cache=True):
    return embeddings(engine, [s.path(i) for i in range(len(s.images))], s.aligned, use_cache)


# ---- metrics ------------------------------------------------------------------------

def pair_scores(E, found, pairs):
    """Cosine of each pair; -1 when either image has no face."""
    s = (E[pairs[:, 0]] * E[pairs[:, 1]]).sum(1)
    return np.where(found[pairs[:, 0]] & found[pairs[:, 1]], s, -1.0)


def best_threshold(scores, same):
    """(threshold, accuracy): predicted same iff score >= threshold, best accuracy;
    candidates are midpoints between consecutive distinct scores (and the ends)."""
    u = np.unique(scores)
    cands = np.concatenate([[u[0] - 1e-6], (u[1:] + u[:-1]) / 2, [u[-1] + 1e-6]])
    order = np.argsort(scores, kind="stable")
    s_sorted, y_sorted = scores[order], same[order]
    # number of pairs below each candidate: predicted different
    below = np.searchsorted(s_sorted, cands, side="left")
    cum_same = np.concatenate([[0], np.cumsum(y_sorted)])
    n_same = int(same.sum())
    # correct = different pairs below + same pairs at/above
    correct = (below - cum_same[below]) + (n_same - cum_same[below])
    k = int(np.argmax(correct))
    return float(cands[k]), correct[k] / len(scores)


def accuracy_at(scores, same, t):
    return float(np.mean((scores >= t) == same)) if len(scores) else float("nan")


def kfold(scores, same, folds):
    """Accuracies and thresholds of the LFW 10-fold protocol."""
    accs, thrs = [], []
    for k in np.unique(folds):
        test = folds == k
        t, _ = best_threshold(scores[~test], same[~test])
        accs.append(accuracy_at(scores[test], same[test], t))
        thrs.append(t)
    return np.array(accs), np.array(thrs)


# ---- report -------------------------------------------------------------------------

def progress(msg):
    print(msg, file=sys.stderr, flush=True)


def default_threshold(args):
    name = os.path.basename(args["embedder"] or "fr_feature.onnx")
    return args["threshold"] if args["threshold"] is not None else DEFAULT_THRESHOLDS.get(name)


def evaluate(engine, sets, use_cache=True):
    """[(set, scores, E, found)] with embeddings of every set's images."""
    out = []
    for s in sets:
        E, found, _ = set_embeddings(engine, s, use_cache)
        out.append((s, pair_scores(E, found, s.pairs), E, found))
    return out


def table(results, fixed):
    lines = ["| set | pairs (same/diff) | images without a face | 10-fold accuracy | "
             "10-fold threshold | accuracy at %s |" % ("%.3f" % fixed if fixed is not None else "-"),
             "|---|---|---|---|---|---|"]
    for s, scores, _, found in results:
        accs, thrs = kfold(scores, s.same, s.folds)
        at = "%.4f" % accuracy_at(scores, s.same, fixed) if fixed is not None else "-"
        lines.append("| %s | %d (%d/%d) | %d of %d | %.4f ± %.4f | %.3f ± %.3f | %s |"
                     % (s.name, len(scores), s.same.sum(), (~s.same).sum(), (~found).sum(), len(found),
                        accs.mean(), accs.std(), thrs.mean(), thrs.std(), at))
    return "\n".join(lines)


def no_face_lists(results):
    lines = []
    for s, _, _, found in results:
        missing = [s.images[i] for i in np.flatnonzero(~found)]
        if missing:
            lines.append("- %s: %s" % (s.name, ", ".join(missing)))
    return "\n".join(lines) or "- none"


# ---- --choices: the pre-processing choices, measured -------------------------------

FEATURE_VARIANTS = [  # (label, feat_rgb, mean, std)
    ("RGB (x-127)/128", True, 127.0, 128.0), ("BGR (x-127)/128", False, 127.0, 128.0),
    ("RGB (x-127.5)/127.5", True, 127.5, 127.5), ("BGR (x-127.5)/127.5", False, 127.5, 127.5),
    ("RGB x/255", True, 0.0, 255.0), ("BGR x/255", False, 0.0, 255.0)]
CONTROL_EMBEDDER = "mobilefacenet_128d.onnx"   # documented RGB (x-127.5)/128
LANDMARK_VARIANTS = [  # (label, grey, mean, std)
    ("BT.601 x/256", "bt601", 0.0, 256.0), ("swapped x/256", "swapped", 0.0, 256.0),
    ("BT.601 x/255", "bt601", 0.0, 255.0), ("BT.601 (x-127.5)/128", "bt601", 127.5, 128.0),
    ("BT.601 x (0..255)", "bt601", 0.0, 1.0)]
PAD_VARIANTS = [(f, m) for f in (0.1, 0.25, 0.5, 1.0) for m in ("constant", "replicate")]
PAD_POLICIES = [  # (label, Config options)
    ("retry when nothing found, 50% black (default)", dict()),
    ("always, 25% black", dict(pad_always=True, pad_fraction=0.25)),
    ("always, 50% black", dict(pad_always=True, pad_fraction=0.5))]
INTEROCULAR = float(np.linalg.norm(rp.ARCFACE_TEMPLATE[1] - rp.ARCFACE_TEMPLATE[0]))


def auc(scores, same):
    """Area under the ROC curve (probability a same pair outscores a different one)."""
    ranks = np.empty(len(scores))
    ranks[np.argsort(scores, kind="stable")] = np.arange(1, len(scores) + 1)
    n_s, n_d = same.sum(), (~same).sum()
    return (ranks[same].sum() - n_s * (n_s + 1) / 2) / (n_s * n_d)


def separation(scores, same, folds):
    """'10-fold accuracy ± std | d' | AUC' (d' = mean gap over the pooled std)."""
    accs, _ = kfold(scores, same, folds)
    ss, sd = scores[same], scores[~same]
    d = (ss.mean() - sd.mean()) / np.sqrt((ss.var() + sd.var()) / 2)
    return "%.4f ± %.4f | %.2f | %.4f" % (accs.mean(), accs.std(), d, auc(scores, same))


def read_all(paths):
    return [rp.read_image(p) for p in paths]


def best_detection(models, img, cfg):
    """(image searched, offset, box) of the largest face, the pipeline's padding policy
    applied (cfg.pad_always / pad_retry), or None."""
    attempts = (1,) if cfg.pad_always else ((0, 1) if cfg.pad_retry else (0,))
    for attempt in attempts:
        search, pad = (img, 0) if attempt == 0 else rp.pad_image(img, cfg)
        found = rp.detect(models.detect, search, cfg)
        if found:
            box = max(found, key=lambda b: ((b[2] - b[0]) * (b[3] - b[1]), b[4]))
            return search, pad, box[:4]
    return None


def aligned_faces(models, imgs, cfg):
    """The largest face of each image aligned to 112x112 (or None)."""
    out = []
    for img in imgs:
        d = best_detection(models, img, cfg)
        if d is None:
            out.append(None)
            continue
        search, _, box = d
        out.append(rp.align(search, rp.five_points(rp.landmarks68(models.landmark, search, box, cfg))))
    return out


def embed_or_zero(models, faces, cfg):
    """(E, found) for a list of aligned faces / None."""
    found = np.array([f is not None for f in faces])
    got = rp.embed(models.feature, [f for f in faces if f is not None], cfg)
    E = np.zeros((len(faces), got.shape[1] if len(got) else 512), np.float32)
    E[found] = got
    return E, found


def per_identity_gap(scores, s):
    """Per identity: mean same-pair score minus mean score of its different pairs."""
    lab = np.array(s.labels)
    a, b = lab[s.pairs[:, 0]], lab[s.pairs[:, 1]]
    return np.array([scores[s.same & (a == n)].mean() - scores[~s.same & ((a == n) | (b == n))].mean()
                     for n in sorted(set(lab))])


def paired_lines(name, s, sc_rgb, sc_bgr):
    """How often BGR beats RGB on the same pairs: folds and identities."""
    fr, _ = kfold(sc_rgb, s.same, s.folds)
    fb, _ = kfold(sc_bgr, s.same, s.folds)
    gr, gb = per_identity_gap(sc_rgb, s), per_identity_gap(sc_bgr, s)
    return ("- %s on %s: BGR more accurate than RGB in %d of %d folds (equal in %d); "
            "same-minus-different gap larger with BGR for %d of %d people"
            % (name, s.name, (fb > fr).sum(), len(fr), (fb == fr).sum(), (gb > gr).sum(), len(gr)))


def choose_feature(celebs, celeb_imgs, small, small_imgs):
    """Embedder input variants: celebs pairs on the aligned crops as given; the small
    sets through the full pipeline (faces aligned once, embedded per variant); the same
    RGB/BGR comparison for the control embedder (documented RGB)."""
    pool = P.pooled(small)
    ones = np.ones(len(celeb_imgs), bool)
    rows = ["| embedder input | celebs 10-fold accuracy | d' | AUC | small sets pooled "
            "10-fold accuracy | d' | AUC |", "|---|---|---|---|---|---|---|"]
    lines = []
    for embedder, variants in (("fr_feature.onnx", FEATURE_VARIANTS),
                               (CONTROL_EMBEDDER, [("RGB (x-127.5)/128", True, 127.5, 128.0),
                                                   ("BGR (x-127.5)/128", False, 127.5, 128.0)])):
        path = "" if embedder == "fr_feature.onnx" else os.path.join(P.SHARED, "models", embedder)
        if path and not os.path.exists(path):
            continue
        models = rp.Models(rp.Config(embedder=path))
        faces = aligned_faces(models, small_imgs, rp.Config())
        by_rgb = {}
        for label, rgb, mean, std in variants:
            cfg = rp.Config(embedder=path, feat_rgb=rgb, feat_mean=mean, feat_std=std)
            sc = pair_scores(rp.embed(models.feature, celeb_imgs, cfg), ones, celebs.pairs)
            E, found = embed_or_zero(models, faces, cfg)
            rows.append("| %s %s | %s | %s |" % (embedder.replace(".onnx", ""), label,
                                                 separation(sc, celebs.same, celebs.folds),
                                                 separation(pair_scores(E, found, pool.pairs), pool.same, pool.folds)))
            by_rgb.setdefault(rgb, sc)
            progress("  %s %s done" % (embedder, label))
        lines.append(paired_lines(embedder.replace(".onnx", ""), celebs, by_rgb[True], by_rgb[False]))
    return "\n".join(rows) + "\n\n" + "\n".join(lines)


def landmark_error(pts5, offset):
    """Mean distance of 5 points (in a 112x112 aligned crop, searched with offset) to
    the template, over the template's inter-ocular distance."""
    return float(np.linalg.norm(pts5 - offset - rp.ARCFACE_TEMPLATE, axis=1).mean() / INTEROCULAR)


def dlib_faces():
    """[(file, (x1,y1,x2,y2), 68x2 points)] of dlib_faces/*_with_face_landmarks.xml."""
    import xml.etree.ElementTree as ET
    out = []
    for part in ("testing", "training"):
        tree = ET.parse(os.path.join(P.DATA, "dlib_faces", "%s_with_face_landmarks.xml" % part))
        for im in tree.getroot().iter("image"):
            for b in im.iter("box"):
                pts = np.array([[float(p.get("x")), float(p.get("y"))]
                                for p in sorted(b.iter("part"), key=lambda p: p.get("name"))])
                l, t, w, h = (float(b.get(k)) for k in ("left", "top", "width", "height"))
                out.append((im.get("file"), (l, t, l + w, t + h), pts))
    return out


def iou(a, b):
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def dlib_detections(models):
    """[(image, detector box matched to the labelled box (IoU >= 0.4) or None, 68 points)]."""
    cfg = rp.Config(min_face=0)
    cache, out = {}, []
    for f, gt, pts in dlib_faces():
        if f not in cache:
            img = rp.read_image(os.path.join(P.DATA, "dlib_faces", f))
            cache[f] = (img, rp.detect(models.detect, img, cfg))
        img, found = cache[f]
        best = max(found, key=lambda b: iou(b, gt), default=None)
        out.append((img, best[:4] if best is not None and iou(best, gt) >= 0.4 else None, pts))
    return out


def choose_landmarks(models, celebs, celeb_imgs):
    """fr_landmark input variants: 5-point error against the template on the celebs
    crops (they were aligned to it; searched with the default padding policy), 68-point
    error against dlib's points on dlib_faces (normalised by the outer eye-corner
    distance), and celebs pairs 10-fold accuracy through detect -> landmarks -> align ->
    embed; then the mean offset of each of the 5 points from the template."""
    dets = [best_detection(models, img, rp.Config()) for img in celeb_imgs]
    dl = dlib_detections(models)
    rows = ["| fr_landmark input | celebs 5-point error / inter-ocular (mean, median) | "
            "dlib_faces 68-point error / outer-eye distance (mean; %d faces) | "
            "celebs 10-fold accuracy (full pipeline) |" % sum(d[1] is not None for d in dl),
            "|---|---|---|---|"]
    bias = None
    for label, how, mean, std in LANDMARK_VARIANTS:
        cfg = rp.Config(lmk_grey=how, lmk_mean=mean, lmk_std=std)
        errs, faces, offsets = [], [], []
        for d in dets:
            if d is None:
                faces.append(None)
                continue
            search, pad, box = d
            pts = rp.five_points(rp.landmarks68(models.landmark, search, box, cfg))
            errs.append(landmark_error(pts, pad))
            offsets.append(pts - pad - rp.ARCFACE_TEMPLATE)
            faces.append(rp.align(search, pts))
        E, found = embed_or_zero(models, faces, cfg)
        accs, _ = kfold(pair_scores(E, found, celebs.pairs), celebs.same, celebs.folds)
        d68 = [np.linalg.norm(rp.landmarks68(models.landmark, img, box, cfg) - pts, axis=1).mean()
               / np.linalg.norm(pts[36] - pts[45]) for img, box, pts in dl if box is not None]
        rows.append("| %s | %.4f, %.4f | %.4f | %.4f ± %.4f |" % (label, np.mean(errs), np.median(errs),
                                                                np.mean(d68), accs.mean(), accs.std()))
        bias = np.mean(offsets, 0) if bias is None else bias
        progress("  landmarks %s done" % label)
    names = ("left eye", "right eye", "nose", "left mouth", "right mouth")
    line = ("- mean (point - template) on celebs with %s, 112x112 pixels: " % LANDMARK_VARIANTS[0][0]
            + ", ".join("%s (%+.1f, %+.1f)" % (n, x, y) for n, (x, y) in zip(names, bias)))
    return "\n".join(rows) + "\n\n" + line


def crop_sets():
    """(name, paths, PairSet or None) of the sets that are face crops."""
    small = {s.name: s for s in P.small_sets()}
    celebs = P.celebs_pairs()
    return [("celebs_aligned", [celebs.path(i) for i in range(len(celebs.images))], celebs),
            ("face_api", [small["face_api"].path(i) for i in range(len(small["face_api"].images))],
             small["face_api"]),
            ("facenet_pytorch aligned", [os.path.join(P.DATA, p) for p in P.facenet_images()[0]
                                         if "aligned" in p], None),
            ("msceleb", [small["msceleb"].path(i) for i in range(len(small["msceleb"].images))],
             small["msceleb"])]


def choose_padding(models, sets):
    """On the face-crop sets: images with no face, and how many of those each border
    recovers (a face of min(w,h) >= 30 px found in the padded image); for celebs also the
    5-point error (vs the template) of the recovered faces."""
    head = " | ".join("%d%% %s" % (f * 100, "black" if m == "constant" else "replicate")
                      for f, m in PAD_VARIANTS)
    rows = ["| set | images | no face unpadded | %s |" % head, "|---" * (3 + len(PAD_VARIANTS)) + "|"]
    notes = []
    for name, imgs, paths in sets:
        missing = [i for i, img in enumerate(imgs) if not rp.detect(models.detect, img, rp.Config())]
        cells = []
        for frac, mode in PAD_VARIANTS:
            cfg = rp.Config(pad_fraction=frac, pad_mode=mode, pad_always=True)
            got, errs = 0, []
            for i in missing:
                d = best_detection(models, imgs[i], cfg)
                if d is not None:
                    got += 1
                    pts = rp.five_points(rp.landmarks68(models.landmark, d[0], d[2], cfg))
                    errs.append(landmark_error(pts, d[1]))
            cells.append("%d" % got)
            if name == "celebs_aligned" and errs:
                notes.append("celebs_aligned, %d%% %s: 5-point error / inter-ocular of the recovered "
                             "faces: mean %.3f, max %.3f" % (frac * 100, mode, np.mean(errs), max(errs)))
        rows.append("| %s | %d | %d | %s |" % (name, len(imgs), len(missing), " | ".join(cells)))
        notes.append("%s, no face unpadded: %s" % (name, ", ".join(os.path.relpath(paths[i], P.DATA)
                                                               for i in missing) or "none"))
        progress("  padding %s done" % name)
    return "\n".join(rows) + "\n\n" + "\n".join("- " + n for n in notes)


def choose_pad_policy(models, sets, photos):
    """Retry-only padding against padding every image: 10-fold accuracy on the crop
    sets (full pipeline), and faces found on the benchmark photos (group photos)."""
    rows = ["| padding | %s | faces found in the %d benchmark photos |"
            % (" | ".join("%s 10-fold accuracy" % n for n, _, s in sets if s is not None), len(photos)),
            "|---" * (2 + sum(s is not None for _, _, s in sets)) + "|"]
    for label, opts in PAD_POLICIES:
        cfg = rp.Config(**opts)
        cells = []
        for _, imgs, s in sets:
            if s is None:
                continue
            E, found = embed_or_zero(models, aligned_faces(models, imgs, cfg), cfg)
            accs, _ = kfold(pair_scores(E, found, s.pairs), s.same, s.folds)
            cells.append("%.4f ± %.4f" % (accs.mean(), accs.std()))
        n = 0
        for img in photos:
            search, pad = rp.pad_image(img, cfg) if cfg.pad_always else (img, 0)
            n += len(rp.detect(models.detect, search, cfg))
        rows.append("| %s | %s | %d |" % (label, " | ".join(cells), n))
        progress("  pad policy %s done" % label)
    return "\n".join(rows)


def choices():
    """Prints the measurements behind the pipeline's pre-processing defaults (minutes)."""
    import cv2
    cv2.setNumThreads(1)
    models = rp.Models(rp.Config())
    celebs = P.celebs_pairs()
    celeb_imgs = read_all([celebs.path(i) for i in range(len(celebs.images))])
    small = P.small_sets()
    small_imgs = read_all([s.path(i) for s in small for i in range(len(s.images))])
    print("## Pre-processing choices (bench/verify.py --choices)\n")
    print("### Embedder input: channel order and normalisation\n")
    print(choose_feature(celebs, celeb_imgs, small, small_imgs))
    print("\n### fr_landmark input: grey conversion and normalisation\n")
    print(choose_landmarks(models, celebs, celeb_imgs))
    sets = [(name, read_all(paths), s) for name, paths, s in crop_sets()]
    print("\n### Padded retry on face crops: which border\n")
    print(choose_padding(models, [(n, imgs, paths) for (n, imgs, _), (_, paths, _) in zip(sets, crop_sets())]))
    print("\n### Padding policy: retry only, or always\n")
    print(choose_pad_policy(models, sets, read_all(P.benchmark_photos())))
    return 0


def engine_args(**kw):
    """The options of an Engine, defaults overridden by kw."""
    args = dict(engine="ref", facecluster=os.path.join(ROOT, "build", "facecluster"),
                fc_aligned_flag="", detect_aligned=False, pad_always=False, channels="",
                embedder="", threshold=None, cache=True, choices=False)
    args.update(kw)
    return args


def parse_args(argv):
    args = engine_args()
    it = iter(argv)
    for a in it:
        if a in ("--engine", "--facecluster", "--fc-aligned-flag", "--embedder", "--threshold", "--channels"):
            v = next(it, None)
            if v is None:
                raise SystemExit("verify.py: %s needs a value" % a)
            key = a[2:].replace("-", "_")
            args[key] = float(v) if key == "threshold" else v
        elif a == "--detect-aligned":
            args["detect_aligned"] = True
        elif a == "--pad-always":
            args["pad_always"] = True
        elif a == "--choices":
            args["choices"] = True
        elif a == "--no-cache":
            args["cache"] = False
        else:
            raise SystemExit(__doc__)
    if args["channels"] not in ("", "rgb", "bgr"):
        raise SystemExit("verify.py: --channels rgb|bgr")
    if args["engine"] not in ("ref", "ref-cli", "facecluster"):
        raise SystemExit("verify.py: --engine ref|ref-cli|facecluster")
    if args["engine"] == "facecluster" and not os.access(args["facecluster"], os.X_OK):
        raise SystemExit("verify.py: no executable %s (build it, or --facecluster PATH)" % args["facecluster"])
    return args


def main(argv):
    args = parse_args(argv[1:])
    if args["choices"]:
        return choices()
    engine = Engine(args)
    small = P.small_sets()
    sets = [P.celebs_pairs()] + small
    results = evaluate(engine, sets, args["cache"])
    pool = P.pooled(small)
    E = np.concatenate([r[2] for r in results[1:]])
    found = np.concatenate([r[3] for r in results[1:]])
    results.append((pool, pair_scores(E, found, pool.pairs), E, found))
    fixed = default_threshold(args)
    detects_all = args["detect_aligned"] or (args["engine"] == "facecluster" and
                                             not args["fc_aligned_flag"])
    mode = "detect on every image" if detects_all else "aligned crops embedded directly"
    print("## Verification: engine %s, embedder %s (%s)\n"
          % (args["engine"], os.path.basename(args["embedder"] or "fr_feature.onnx"), mode))
    print(table(results, fixed))
    print("\nImages where no face was found:\n")
    print(no_face_lists(results[:-1]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
