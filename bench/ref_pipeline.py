#!/usr/bin/python3
"""ref_pipeline.py - the face pipeline of docs/PIPELINE.md, written plainly in OpenCV DNN.

A reference for facecluster's C pipeline (the accuracy target is "at least what the
same models give through a straightforward OpenCV DNN pipeline") and its throughput
peer. Usable as a module (`Pipeline`) and as a CLI:

    /usr/bin/python3 bench/ref_pipeline.py IMG... [--threads T] [--models DIR]
        [--aligned] [--no-pad-retry] [--pad-always] [--embedder FILE.onnx]
        [--channels rgb|bgr]

prints one JSON line per image, the shape of `facecluster detect --embeddings`:

    {"image": PATH, "width": W, "height": H,
     "faces": [{"bbox": [x, y, w, h], "landmarks": [[x, y] x5], "score": S,
                "embedding": [...512 floats, L2-normalised]}, ...]}

faces sorted by score, descending; an image that cannot be decoded gives
{"image": PATH, "error": REASON, "faces": []}. `--aligned` treats every input as an
already aligned 112x112 face (no detection: one face, the whole image, score 1, the
template as landmarks). --channels sets the embedder's input channel order (default:
EMBEDDER_INPUT below). Exit status 0 unless an argument is wrong.

Stages (each a small function below; all images are BGR uint8 as OpenCV holds them):
  decode     cv2.imdecode(IMREAD_COLOR): by the bytes, not the name; applies the JPEG
             EXIF orientation (checked: insightface/inspireface_test_res/bulk/image_T1.jpeg,
             orientation 6, equals PIL's exif_transpose exactly); grey/alpha -> 3 channels.
  detect     fr_detect (UltraFace RFB-320): the whole image resized to 320x240 (no
             letterbox; INTER_AREA when shrinking, INTER_LINEAR when enlarging), RGB,
             (x-127)/128; keep scores[:,1] >= 0.7, greedy IoU-NMS at 0.3 (highest score
             first), boxes x (W, H) back to the image, clamped to it; drop min(w,h) < 30 px.
  landmarks  fr_landmark: crop = the clamped detector box (rounded to whole pixels),
             grey BT.601 (cv2 BGR2GRAY), resized to 64x64 (INTER_AREA shrinking, else
             INTER_LINEAR), x/256; output (x, y) x 68 normalised to the crop.
             5 points: eye centres = mean of 0-based points 36-41 and 42-47, nose tip 30,
             mouth corners 48 and 54.
  align      similarity transform (Umeyama least squares, reflection excluded) from the
             5 points to the ArcFace 112x112 template; cv2.warpAffine bilinear, black border.
  embed      fr_feature: **BGR** (measured, see EMBEDDER_INPUT), (x-127)/128, NCHW
             1x3x112x112; output L2-normalised. Other embedders (--embedder): by name in
             EMBEDDER_INPUT (mobilefacenet_128d: RGB, (x-127.5)/128).
  pad retry  an image where nothing is found is searched once more with a black border
             of 50% of its long side on every side (for tight face crops; measured);
             coordinates are mapped back, boxes clamped to the original image.
             `--pad-always` searches every image padded (inputs known to be face crops:
             measured much better on them, worse for small faces in photos).

The choices that were measured rather than copied (channel order and normalisation of
fr_feature and fr_landmark, the padding border) are in docs/calibration.md; the
defaults here are the winners. `Config` holds every option so that bench/verify.py and
bench/calibrate.py can try the alternatives.
"""

import json
import os
import sys
from dataclasses import dataclass

import cv2
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS_DIR = os.environ.get("FC_MODELS_DIR") or os.path.join(ROOT, "models")

ARCFACE_TEMPLATE = np.array([[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366],
                             [41.5493, 92.3655], [70.7299, 92.2041]], np.float64)
DET_SIZE = (320, 240)        # (w, h) of fr_detect's input
LANDMARK_SIZE = 64
FACE_SIZE = 112


@dataclass
class Config:
    """Every pipeline option; the defaults are the pipeline of docs/PIPELINE.md."""
    models_dir: str = MODELS_DIR
    embedder: str = ""                 # path of the embedding model; "" = fr_feature.onnx
    det_threshold: float = 0.7
    nms_iou: float = 0.3
    min_face: int = 30                 # px, min(w, h) of the clamped box, original image
    pad_retry: bool = True
    pad_always: bool = False           # search every image padded (for face-crop inputs)
    pad_fraction: float = 0.5          # of the long side, on each side (measured, see docs)
    pad_mode: str = "constant"         # "constant" (black) or "replicate"
    feat_rgb: bool = None              # embedder channel order: RGB (True) or BGR (False);
    feat_mean: float = None            # None: from EMBEDDER_INPUT for the embedder's name
    feat_std: float = None
    lmk_grey: str = "bt601"            # "bt601" (0.299 R + 0.587 G + 0.114 B) or "swapped"
    lmk_mean: float = 0.0
    lmk_std: float = 256.0
    threads: int = 1                   # cv2.setNumThreads

    def __post_init__(self):
        rgb, mean, std = embedder_input(self.embedder)
        self.feat_rgb = rgb if self.feat_rgb is None else self.feat_rgb
        self.feat_mean = mean if self.feat_mean is None else self.feat_mean
        self.feat_std = std if self.feat_std is None else self.feat_std


# Embedder input (RGB?, mean, std) by model file name. fr_feature: BGR, measured (the
# package's JavaScript and docs/PIPELINE.md say RGB; on celebs_aligned BGR separates
# same/different pairs better in 10 of 10 folds and for 16 of 16 people, while the
# RGB-documented mobilefacenet_128d prefers RGB on the same crops: the crops' colours
# are right, fr_feature wants BGR; docs/calibration.md).
EMBEDDER_INPUT = {"fr_feature": (False, 127.0, 128.0), "mobilefacenet": (True, 127.5, 128.0)}


def embedder_input(path):
    name = os.path.basename(path or "fr_feature.onnx")
    for key, spec in EMBEDDER_INPUT.items():
        if name.startswith(key):
            return spec
    return True, 127.5, 128.0


# ---- models -------------------------------------------------------------------------

def load_net(path):
    net = cv2.dnn.readNetFromONNX(path)
    net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
    net.setPreferableTarget(cv2.dnn.DNN_TARGET_CPU)
    return net


def opencv_loadable_copy(path):
    """OpenCV 4.6 imports Clip only with min/max as attributes (opset < 11). For a model
    with opset-11 Clip (constant min/max inputs, e.g. mobilefacenet_128d.onnx) write a
    copy under build/ref_models/ with those inputs turned into attributes: the same
    function, a form OpenCV reads. Returns the path to load."""
    import onnx
    from onnx import helper, numpy_helper
    model = onnx.load(path)
    graph = model.graph
    consts = {n.output[0]: numpy_helper.to_array(n.attribute[0].t)
              for n in graph.node if n.op_type == "Constant" and n.attribute}
    consts.update({t.name: numpy_helper.to_array(t) for t in graph.initializer})
    changed = 0
    for node in graph.node:
        if node.op_type != "Clip" or len(node.input) == 1:
            continue
        bounds = list(node.input[1:]) + [""] * (3 - len(node.input))
        lo, hi = (float(consts[b]) if b else None for b in bounds)
        del node.input[1:]
        if lo is not None:
            node.attribute.append(helper.make_attribute("min", lo))
        if hi is not None:
            node.attribute.append(helper.make_attribute("max", hi))
        changed += 1
    if not changed:
        return path
    out_dir = os.path.join(ROOT, "build", "ref_models")
    os.makedirs(out_dir, exist_ok=True)
    out = os.path.join(out_dir, os.path.basename(path))
    onnx.save(model, out)
    return out


class Models:
    """The three networks of one pipeline (OpenCV nets are not shared between threads)."""

    def __init__(self, cfg):
        d = cfg.models_dir
        self.detect = load_net(os.path.join(d, "fr_detect.onnx"))
        self.landmark = load_net(os.path.join(d, "fr_landmark.onnx"))
        self.feature = load_net(opencv_loadable_copy(cfg.embedder or os.path.join(d, "fr_feature.onnx")))


# ---- decode -------------------------------------------------------------------------

def decode(data):
    """BGR uint8 image from encoded bytes (EXIF orientation applied), or None."""
    buf = np.frombuffer(data, np.uint8)
    if buf.size == 0:
        return None
    return cv2.imdecode(buf, cv2.IMREAD_COLOR)


def read_image(path):
    with open(path, "rb") as f:
        return decode(f.read())


def resize(img, size):
    """cv2.resize to (w, h): INTER_AREA when shrinking, INTER_LINEAR otherwise."""
    h, w = img.shape[:2]
    shrink = size[0] < w and size[1] < h
    return cv2.resize(img, size, interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)


# ---- detect -------------------------------------------------------------------------

def nms(boxes, scores, iou):
    """Indices kept by greedy IoU non-maximum suppression, highest score first."""
    order = np.argsort(-scores, kind="stable")
    area = np.maximum(boxes[:, 2] - boxes[:, 0], 0) * np.maximum(boxes[:, 3] - boxes[:, 1], 0)
    keep = []
    while order.size:
        i = order[0]
        keep.append(i)
        rest = order[1:]
        xx1 = np.maximum(boxes[i, 0], boxes[rest, 0])
        yy1 = np.maximum(boxes[i, 1], boxes[rest, 1])
        xx2 = np.minimum(boxes[i, 2], boxes[rest, 2])
        yy2 = np.minimum(boxes[i, 3], boxes[rest, 3])
        inter = np.maximum(xx2 - xx1, 0) * np.maximum(yy2 - yy1, 0)
        union = area[i] + area[rest] - inter
        overlap = np.where(union > 0, inter / np.maximum(union, 1e-12), 0)
        order = rest[overlap <= iou]
    return np.array(keep, np.int64)


def detect(net, img, cfg):
    """[(x1, y1, x2, y2, score)] in image pixels, clamped, by score descending."""
    h, w = img.shape[:2]
    small = resize(img, DET_SIZE)
    blob = cv2.dnn.blobFromImage(small, 1.0 / 128, DET_SIZE, (127, 127, 127), swapRB=True)
    net.setInput(blob)
    scores, boxes = net.forward(["scores", "boxes"])
    scores, boxes = scores[0, :, 1], boxes[0]
    sel = scores >= cfg.det_threshold
    scores, boxes = scores[sel], boxes[sel].astype(np.float64) * [w, h, w, h]
    faces = []
    for i in nms(boxes, scores, cfg.nms_iou):
        x1, y1 = max(boxes[i, 0], 0.0), max(boxes[i, 1], 0.0)
        x2, y2 = min(boxes[i, 2], float(w)), min(boxes[i, 3], float(h))
        if min(x2 - x1, y2 - y1) >= cfg.min_face:
            faces.append((x1, y1, x2, y2, float(scores[i])))
    return faces


# ---- landmarks ----------------------------------------------------------------------

def grey(img, how):
    if how == "bt601":
        return cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    # "swapped": the BT.601 weights on the wrong channel order (what BGR2GRAY does to an
    # RGB(A) image, as the package's JavaScript does with opencv.js' RGBA canvas reads).
    return cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)


def landmarks68(net, img, box, cfg):
    """68 (x, y) points in image pixels from the landmark model on the box's crop."""
    h, w = img.shape[:2]
    x0, y0 = max(int(round(box[0])), 0), max(int(round(box[1])), 0)
    x1, y1 = min(int(round(box[2])), w), min(int(round(box[3])), h)
    crop = img[y0:y1, x0:x1]
    g = resize(grey(crop, cfg.lmk_grey), (LANDMARK_SIZE, LANDMARK_SIZE))
    blob = ((g.astype(np.float32) - cfg.lmk_mean) / cfg.lmk_std)[None, None]
    net.setInput(blob)
    out = net.forward().reshape(68, 2).astype(np.float64)
    return out * [x1 - x0, y1 - y0] + [x0, y0]


def five_points(lm68):
    """Eye centres, nose tip, mouth corners (the ArcFace template's order)."""
    return np.array([lm68[36:42].mean(0), lm68[42:48].mean(0), lm68[30], lm68[48], lm68[54]])


# ---- align --------------------------------------------------------------------------

def umeyama(src, dst):
    """2x3 least-squares similarity transform (rotation, uniform scale, translation)
    mapping src points onto dst points (Umeyama 1991, no reflection)."""
    src, dst = np.asarray(src, np.float64), np.asarray(dst, np.float64)
    mu_s, mu_d = src.mean(0), dst.mean(0)
    sc, dc = src - mu_s, dst - mu_d
    cov = dc.T @ sc / len(src)
    u, s, vt = np.linalg.svd(cov)
    d = np.ones(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        d[1] = -1
    rot = u @ np.diag(d) @ vt
    scale = (s * d).sum() / (sc ** 2).sum(1).mean()
    t = mu_d - scale * rot @ mu_s
    return np.hstack([scale * rot, t[:, None]])


def align(img, pts5):
    """The 112x112 aligned face (bilinear, black outside the image)."""
    m = umeyama(pts5, ARCFACE_TEMPLATE)
    return cv2.warpAffine(img, m, (FACE_SIZE, FACE_SIZE), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=0)


# ---- embed --------------------------------------------------------------------------

def embed(net, faces, cfg):
    """L2-normalised embeddings (n x d float32) of aligned 112x112 BGR faces."""
    out = []
    for face in faces:
        blob = cv2.dnn.blobFromImage(face, 1.0 / cfg.feat_std, (FACE_SIZE, FACE_SIZE),
                                     (cfg.feat_mean,) * 3, swapRB=cfg.feat_rgb)
        net.setInput(blob)
        v = net.forward().reshape(-1).astype(np.float32)
        out.append(v / max(float(np.linalg.norm(v)), 1e-12))
    return np.array(out, np.float32)


# ---- the whole pipeline -------------------------------------------------------------

def pad_image(img, cfg):
    pad = int(round(cfg.pad_fraction * max(img.shape[:2])))
    if cfg.pad_mode == "replicate":
        return cv2.copyMakeBorder(img, pad, pad, pad, pad, cv2.BORDER_REPLICATE), pad
    return cv2.copyMakeBorder(img, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0), pad


class Pipeline:
    """decode -> detect -> landmarks -> align -> embed, one set of nets, cfg's options."""

    def __init__(self, cfg=None):
        self.cfg = cfg or Config()
        cv2.setNumThreads(self.cfg.threads)
        self.models = Models(self.cfg)

    def find(self, img):
        """[(box (x1,y1,x2,y2), score, 5 points, aligned 112x112)], no padding."""
        found = []
        for x1, y1, x2, y2, score in detect(self.models.detect, img, self.cfg):
            pts = five_points(landmarks68(self.models.landmark, img, (x1, y1, x2, y2), self.cfg))
            found.append(((x1, y1, x2, y2), score, pts, align(img, pts)))
        return found

    def find_with_retry(self, img):
        """find(); when nothing is found and pad_retry is on (or always, with
        pad_always), on the padded image, with boxes and points mapped back (boxes
        clamped to the image). Returns (faces, padded: bool)."""
        if not self.cfg.pad_always:
            found = self.find(img)
            if found or not self.cfg.pad_retry:
                return found, False
        big, pad = pad_image(img, self.cfg)
        h, w = img.shape[:2]
        out = []
        for (x1, y1, x2, y2), score, pts, face in self.find(big):
            box = (min(max(x1 - pad, 0), w), min(max(y1 - pad, 0), h),
                   min(max(x2 - pad, 0), w), min(max(y2 - pad, 0), h))
            out.append((box, score, pts - pad, face))
        return out, True

    def process(self, img):
        """List of face dicts (bbox x,y,w,h; landmarks; score; embedding ndarray)."""
        found, _ = self.find_with_retry(img)
        embs = embed(self.models.feature, [f[3] for f in found], self.cfg)
        return [face_record(box, score, pts, e) for (box, score, pts, _), e in zip(found, embs)]

    def process_aligned(self, img):
        """An already aligned face crop: resized to 112x112 if needed, embedded whole."""
        h, w = img.shape[:2]
        face = img if (w, h) == (FACE_SIZE, FACE_SIZE) else resize(img, (FACE_SIZE, FACE_SIZE))
        pts = ARCFACE_TEMPLATE * [w / FACE_SIZE, h / FACE_SIZE]
        return [face_record((0, 0, w, h), 1.0, pts, embed(self.models.feature, [face], self.cfg)[0])]

    def embed_aligned(self, faces):
        return embed(self.models.feature, faces, self.cfg)


def face_record(box, score, pts, emb):
    x1, y1, x2, y2 = box
    return {"bbox": [float(x1), float(y1), float(x2 - x1), float(y2 - y1)],
            "landmarks": [[float(x), float(y)] for x, y in pts],
            "score": float(score), "embedding": emb}


def image_record(path, pipeline, aligned=False):
    """The JSON-ready result for one image file."""
    try:
        img = read_image(path)
    except OSError as e:
        return {"image": path, "error": e.strerror or str(e), "faces": []}
    if img is None:
        return {"image": path, "error": "cannot decode", "faces": []}
    faces = pipeline.process_aligned(img) if aligned else pipeline.process(img)
    return {"image": path, "width": int(img.shape[1]), "height": int(img.shape[0]), "faces": faces}


def to_json(record):
    def r(v):
        return round(float(v), 3)
    faces = [{"bbox": [r(v) for v in f["bbox"]],
              "landmarks": [[r(x), r(y)] for x, y in f["landmarks"]],
              "score": round(float(f["score"]), 6),
              "embedding": [round(float(v), 7) for v in f["embedding"]]}
             for f in record["faces"]]
    return json.dumps(dict(record, faces=faces), separators=(",", ":"))


# ---- CLI ----------------------------------------------------------------------------

USAGE = ("usage: ref_pipeline.py IMG... [--threads T] [--models DIR] [--embedder FILE.onnx] "
         "[--channels rgb|bgr] [--aligned] [--no-pad-retry] [--pad-always]")


def parse_args(argv):
    """(Config, image paths, aligned)."""
    opts, paths, aligned = {}, [], False
    it = iter(argv)
    for a in it:
        if a in ("--threads", "--models", "--embedder", "--channels"):
            v = next(it, None)
            if v is None:
                raise SystemExit(USAGE)
            if a == "--channels":
                if v not in ("rgb", "bgr"):
                    raise SystemExit(USAGE)
                opts["feat_rgb"] = v == "rgb"
            elif a == "--threads":
                opts["threads"] = int(v)
                if opts["threads"] < 1:
                    raise SystemExit(USAGE)
            else:
                opts["models_dir" if a == "--models" else "embedder"] = v
        elif a == "--aligned":
            aligned = True
        elif a == "--no-pad-retry":
            opts["pad_retry"] = False
        elif a == "--pad-always":
            opts["pad_always"] = True
        elif a.startswith("--"):
            raise SystemExit(USAGE)
        else:
            paths.append(a)
    if not paths:
        raise SystemExit(USAGE)
    return Config(**opts), paths, aligned


def main(argv):
    cfg, paths, aligned = parse_args(argv[1:])
    pipeline = Pipeline(cfg)
    for path in paths:
        print(to_json(image_record(path, pipeline, aligned)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
