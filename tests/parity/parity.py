#!/usr/bin/python3
"""Parity tests: facecluster's ONNX executor against ONNX Runtime (the oracle).

    /usr/bin/python3 tests/parity/parity.py [SUBSTRING ...]

Models: the default set in models/ (or $FC_MODELS_DIR) and every *.onnx in
../shared/models/ (or $FC_SHARED/models) when present; arguments keep only the models
whose file name contains one of them. Each model gets two inputs:
  photo   a real photo, preprocessed as the model expects (size, RGB/BGR, normalisation,
          layout; docs/PIPELINE.md and shared/models/MANIFEST.md): detectors see a group
          photo (samples/sample1.jpg), face models a face crop (shared/data/celebs_aligned,
          else a crop of samples/sample1.jpg)
  random  a deterministic random tensor in the same value range
and runs `$FC_BUILD/facecluster nn MODEL --input NAME=FILE.npy --out DIR` twice, on the
default (oneDNN fast) path and with FC_NN_BACKEND=ref (scalar reference kernels only),
and `node tests/parity/ort_run.js MODEL DIR NAME=FILE.npy`. Every output of both paths
must have ORT's shape and max|a-b| <= 1e-4 * max(range of ORT's output, 1e-2), and the
two paths must agree with each other within the same bound; embeddings also need
cosine >= 0.9999. One line per model and input (PASS/FAIL/SKIP), then
`N passed, N failed, N skipped`; exit status 1 on any failure.

Environment: FC_BUILD (default build), FC_MODELS_DIR (default models), FC_SHARED
(default ../shared), FC_PARITY_TIMEOUT (seconds per run, default 600), FC_PARITY_KEEP=1
keeps the files of passing cases too (failing ones are always kept in tests/out/parity/),
FC_PARITY_SELF=1 runs ort_run.js on both sides (checks this harness, not facecluster).
"""

import glob
import os
import re
import shutil
import signal
import subprocess
import sys
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "tests", "out", "parity")
ORT_RUN = os.path.join(ROOT, "tests", "parity", "ort_run.js")


def root_path(p):
    return p if os.path.isabs(p) else os.path.join(ROOT, p)


FC_BUILD = os.environ.get("FC_BUILD") or "build"
FACECLUSTER = root_path(os.path.join(FC_BUILD, "facecluster"))
MODELS_DIR = root_path(os.environ.get("FC_MODELS_DIR") or "models")
SHARED = root_path(os.environ.get("FC_SHARED") or os.path.join("..", "shared"))
SHARED_DATA = os.path.join(SHARED, "data")
SHARED_MODELS = os.path.join(SHARED, "models")
SELF = os.environ.get("FC_PARITY_SELF") == "1"
KEEP = os.environ.get("FC_PARITY_KEEP") == "1"
TIMEOUT = float(os.environ.get("FC_PARITY_TIMEOUT") or 600)

DEFAULT_MODELS = ["fr_detect.onnx", "fr_landmark.onnx", "fr_feature.onnx", "fr_liveness.onnx"]

REL_TOL = 1e-4     # max |a-b| <= REL_TOL * max(range of the oracle's output, RANGE_FLOOR)
# The floor keeps near-constant outputs from demanding more than the oracle itself
# delivers: ONNX Runtime's vectorised Sigmoid is accurate to ~1e-7 absolute, not
# relative. Measured on yunet_n_dynamic obj_32 (a sigmoid whose values are all ~1e-5,
# range 1e-4): the logits agree to 1e-5, and at logit -11.6815 the exact sigmoid is
# 8.4489e-06, which facecluster returns, while ONNX Runtime returns 8.3447e-06.
RANGE_FLOOR = 1e-2
MIN_COSINE = 0.9999

# Pre-processing per model family, by file name (first match wins).
#   colour: RGB | BGR | GREY;  mean, std: x' = (x - mean) / std, per channel in the
#   model's channel order;  kind: detector (whole photo) | face (a face crop);
#   size: (H, W) for dynamic spatial dims;  letterbox: keep aspect ratio, grey 114.
SPECS = [
    (r"^fr_detect", dict(colour="RGB", mean=127.0, std=128.0, kind="detector")),
    (r"^fr_landmark", dict(colour="GREY", mean=0.0, std=256.0, kind="face")),
    (r"^fr_feature", dict(colour="RGB", mean=127.0, std=128.0, kind="face", embedding=True)),
    (r"^fr_liveness", dict(colour="RGB", mean=0.0, std=1.0, kind="face")),  # raw 0..255 (package/lib/fr_liveness.js)
    (r"^ultraface", dict(colour="RGB", mean=127.0, std=128.0, kind="detector")),
    (r"yunet", dict(colour="BGR", mean=0.0, std=1.0, kind="detector", size=(480, 640))),
    (r"^scrfd", dict(colour="RGB", mean=127.5, std=128.0, kind="detector", size=(640, 640))),
    (r"^retinaface", dict(colour="BGR", mean=(104.0, 117.0, 123.0), std=1.0, kind="detector")),
    (r"^yolov8", dict(colour="RGB", mean=0.0, std=255.0, kind="detector", letterbox=True)),
    (r"^yolo5face", dict(colour="RGB", mean=0.0, std=255.0, kind="detector", size=(320, 320), letterbox=True)),
    (r"^mobilefacenet", dict(colour="RGB", mean=127.5, std=128.0, kind="face", embedding=True)),
]
FALLBACK_SPEC = dict(colour="RGB", mean=127.5, std=128.0)

# A face in samples/sample1.jpg (1920x1280, @vladmandic/face-api 1.7.15, pinned by
# scripts/setup): the woman on the left, as (left, top, right, bottom).
SAMPLE1_FACE = (390, 330, 630, 570)


def sanitize(name):
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)


def out(line):
    print(line, flush=True)


class Skip(Exception):
    pass


class Fail(Exception):
    pass


# ---- models --------------------------------------------------------------------------

def spec_for(name):
    for pattern, spec in SPECS:
        if re.search(pattern, name):
            return dict(spec)
    return dict(FALLBACK_SPEC)


def model_io(path):
    """[(name, numpy dtype, dims)] of the graph inputs that are not initializers, and
    the output names. dims hold ints, or None for a dynamic dimension."""
    import onnx
    from onnx import TensorProto
    try:
        model = onnx.load(path, load_external_data=False)
    except Exception as e:  # noqa: BLE001 - any parse error is the message
        raise Fail("cannot read the model with python3-onnx: %s" % e)
    dtypes = {TensorProto.FLOAT: "float32", TensorProto.INT64: "int64", TensorProto.INT32: "int32",
              TensorProto.DOUBLE: "float64", TensorProto.UINT8: "uint8", TensorProto.BOOL: "bool"}
    inits = {t.name for t in model.graph.initializer}
    inputs = []
    for v in model.graph.input:
        if v.name in inits:
            continue
        tt = v.type.tensor_type
        if tt.elem_type not in dtypes:
            raise Fail("input %s has element type %d, not supported by this harness" % (v.name, tt.elem_type))
        dims = [d.dim_value if d.HasField("dim_value") and d.dim_value > 0 else None for d in tt.shape.dim]
        inputs.append((v.name, dtypes[tt.elem_type], dims))
    outputs = [o.name for o in model.graph.output]
    return inputs, outputs


def image_layout(dtype, dims):
    """'NCHW' or 'NHWC' for a float image-like input, else None."""
    if dtype not in ("float32", "float64") or len(dims) != 4:
        return None
    if dims[1] in (1, 3, None) and dims[3] not in (1, 3):
        return "NCHW"
    if dims[3] in (1, 3) and dims[1] not in (1, 3):
        return "NHWC"
    return "NCHW"


def concrete_shape(dims, layout, spec):
    """Fill dynamic dimensions: batch 1, channels from the colour, H x W from the spec."""
    h, w = spec.get("size", (640, 640))
    c = 1 if spec["colour"] == "GREY" else 3
    if layout == "NCHW":
        fill = [1, c, h, w]
    elif layout == "NHWC":
        fill = [1, h, w, c]
    else:
        fill = [1] * len(dims)
    return [d if d is not None else fill[i] for i, d in enumerate(dims)]


# ---- inputs --------------------------------------------------------------------------

def photo_source(kind):
    """(PIL image, description) for a detector (a whole photo) or a face model (a face
    crop); raises Skip when no photo is available."""
    from PIL import Image
    sample1 = os.path.join(ROOT, "samples", "sample1.jpg")
    if kind == "detector":
        for path in (sample1, os.path.join(SHARED_DATA, "insightface", "group", "t1.jpg"),
                     os.path.join(SHARED_DATA, "insightface", "single", "Tom_Hanks_54745.png")):
            if os.path.isfile(path):
                return Image.open(path).convert("RGB"), os.path.relpath(path, ROOT)
    else:
        celebs = sorted(glob.glob(os.path.join(SHARED_DATA, "celebs_aligned", "*", "0.png")))
        if not celebs:
            celebs = sorted(glob.glob(os.path.join(SHARED_DATA, "celebs_aligned", "*", "*.png")))
        tom = os.path.join(SHARED_DATA, "insightface", "single", "Tom_Hanks_54745.png")
        if celebs:
            return Image.open(celebs[0]).convert("RGB"), os.path.relpath(celebs[0], ROOT)
        if os.path.isfile(tom):
            return Image.open(tom).convert("RGB"), os.path.relpath(tom, ROOT)
        if os.path.isfile(sample1):
            return (Image.open(sample1).convert("RGB").crop(SAMPLE1_FACE),
                    "samples/sample1.jpg face crop")
    raise Skip("skipped: ../shared/data not present (and no samples/sample1.jpg: run scripts/setup)")


def channel_params(spec, c):
    mean = spec["mean"] if isinstance(spec["mean"], tuple) else (spec["mean"],) * c
    std = spec["std"] if isinstance(spec["std"], tuple) else (spec["std"],) * c
    return mean[:c], std[:c]


def to_layout(hwc, layout):
    import numpy as np
    x = hwc[None] if layout == "NHWC" else hwc.transpose(2, 0, 1)[None]
    return np.ascontiguousarray(x)


def photo_tensor(spec, shape, layout, dtype):
    import numpy as np
    from PIL import Image
    img, desc = photo_source(spec.get("kind", "detector" if min(
        shape[2:] if layout == "NCHW" else shape[1:3]) > 160 else "face"))
    h, w = (shape[2], shape[3]) if layout == "NCHW" else (shape[1], shape[2])
    if spec.get("letterbox"):
        scale = min(w / img.width, h / img.height)
        nw, nh = max(1, round(img.width * scale)), max(1, round(img.height * scale))
        canvas = Image.new("RGB", (w, h), (114, 114, 114))
        canvas.paste(img.resize((nw, nh), Image.BILINEAR), ((w - nw) // 2, (h - nh) // 2))
        img = canvas
    else:
        img = img.resize((w, h), Image.BILINEAR)
    if spec["colour"] == "GREY":
        px = np.asarray(img.convert("L"), dtype=np.float64)[:, :, None]
    else:
        px = np.asarray(img, dtype=np.float64)
        if spec["colour"] == "BGR":
            px = px[:, :, ::-1]
    c = px.shape[2]
    mean, std = channel_params(spec, c)
    x = (px - np.array(mean)) / np.array(std)
    return to_layout(x, layout).astype(dtype), desc


def random_tensor(spec, shape, layout, dtype, seed):
    import numpy as np
    rng = np.random.default_rng(seed)
    if layout is None:
        if dtype in ("float32", "float64"):
            return rng.uniform(-1.0, 1.0, size=shape).astype(dtype)
        if dtype == "bool":
            return rng.integers(0, 2, size=shape).astype(bool)
        return np.zeros(shape, dtype=dtype)
    h, w = (shape[2], shape[3]) if layout == "NCHW" else (shape[1], shape[2])
    c = shape[1] if layout == "NCHW" else shape[3]
    mean, std = channel_params(spec, c)
    lo = (0.0 - np.array(mean)) / np.array(std)
    hi = (255.0 - np.array(mean)) / np.array(std)
    x = rng.uniform(0.0, 1.0, size=(h, w, c)) * (hi - lo) + lo
    return to_layout(x, layout).astype(dtype)


def build_inputs(name, inputs, case, in_dir):
    """Write the input tensors of one case; returns [(input name, file)] and a
    description of the data."""
    import numpy as np
    spec = spec_for(name)
    files, desc = [], "seed %d" % (zlib.crc32(name.encode()) & 0xFFFF)
    image_done = False
    for i, (iname, dtype, dims) in enumerate(inputs):
        layout = image_layout(dtype, dims)
        shape = concrete_shape(dims, layout, spec)
        seed = (zlib.crc32(name.encode()) & 0xFFFF) * 16 + i
        if case == "photo" and layout is not None and not image_done:
            x, desc = photo_tensor(spec, shape, layout, dtype)
            image_done = True
        else:
            x = random_tensor(spec, shape, layout, dtype, seed)
        path = os.path.join(in_dir, sanitize(iname) + ".npy")
        np.save(path, x)
        files.append((iname, path))
    if case == "photo" and not image_done:
        raise Skip("skipped: no image input")
    return files, desc


# ---- running -------------------------------------------------------------------------

def ort_available():
    return (shutil.which("node") is not None
            and os.path.isdir(os.path.join(ROOT, "node_modules", "onnxruntime-node")))


def run(cmd, who, env=None):
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TIMEOUT, env=env)
    except subprocess.TimeoutExpired:
        raise Fail("%s timed out after %gs" % (who, TIMEOUT))
    except OSError as e:
        raise Fail("%s could not start: %s" % (who, e))
    if p.returncode != 0:
        msg = " ".join(p.stderr.decode("utf-8", "replace").split())
        if len(msg) > 400:
            msg = msg[:200] + " ... " + msg[-200:]
        if p.returncode < 0:
            try:
                sig = signal.Signals(-p.returncode).name
            except ValueError:
                sig = "signal %d" % -p.returncode
            raise Fail("%s crashed (%s)%s" % (who, sig, ": " + msg if msg else ""))
        raise Fail("%s exited with status %d%s" % (who, p.returncode, ": " + msg if msg else ""))


def run_ort(model, feeds, out_dir, who="onnxruntime"):
    run(["node", ORT_RUN, model, out_dir] + ["%s=%s" % (n, f) for n, f in feeds], who)


def run_facecluster(model, feeds, out_dir, backend="fast"):
    """backend "fast" is the default path (oneDNN where it applies); "ref" forces the
    scalar reference kernels (FC_NN_BACKEND=ref)."""
    if SELF:
        return run_ort(model, feeds, out_dir, "onnxruntime (FC_PARITY_SELF=1)")
    if not os.access(FACECLUSTER, os.X_OK):
        raise Fail("%s not found (run make)" % os.path.relpath(FACECLUSTER, ROOT))
    cmd = [FACECLUSTER, "nn", model]
    for n, f in feeds:
        cmd += ["--input", "%s=%s" % (n, f)]
    env = dict(os.environ, FC_NN_BACKEND=backend)
    run(cmd + ["--out", out_dir], "facecluster (%s kernels)" % backend, env)


# ---- comparing -----------------------------------------------------------------------

def is_embedding(name, outputs, ort_arrays):
    if spec_for(name).get("embedding"):
        return True
    if len(outputs) == 1:
        a = ort_arrays[outputs[0]]
        return a.ndim == 2 and a.shape[1] >= 128
    return False


def compare(name, outputs, fc_dir, ort_dir):
    """Returns a summary for the PASS line or raises Fail."""
    import numpy as np
    ort_arrays, fc_arrays = {}, {}
    for o in outputs:
        f = sanitize(o) + ".npy"
        if not os.path.isfile(os.path.join(ort_dir, f)):
            raise Fail("onnxruntime wrote no %s" % f)
        ort_arrays[o] = np.load(os.path.join(ort_dir, f))
        if not os.path.isfile(os.path.join(fc_dir, f)):
            wrote = sorted(os.listdir(fc_dir)) if os.path.isdir(fc_dir) else []
            raise Fail("output %s: facecluster wrote no %s (it wrote: %s)" % (o, f, " ".join(wrote) or "nothing"))
        try:
            fc_arrays[o] = np.load(os.path.join(fc_dir, f))
        except Exception as e:  # noqa: BLE001
            raise Fail("output %s: cannot read facecluster's %s: %s" % (o, f, e))
    worst = None  # (ratio, max_abs, tol)
    for o in outputs:
        a, b = fc_arrays[o], ort_arrays[o]
        if a.shape != b.shape:
            raise Fail("output %s: shape %s, onnxruntime %s" % (o, a.shape, b.shape))
        a64, b64 = a.astype(np.float64), b.astype(np.float64)
        fa, fb = np.isfinite(a64), np.isfinite(b64)
        if not np.array_equal(fa, fb) or not np.array_equal(a64[~fb], b64[~fb], equal_nan=True):
            raise Fail("output %s: non-finite values differ (facecluster %d, onnxruntime %d)"
                       % (o, int((~fa).sum()), int((~fb).sum())))
        if b64.size and fb.any():
            bf = b64[fb]
            rng = max(float(bf.max() - bf.min()), RANGE_FLOOR)
            diff = np.abs(np.where(fb, a64 - b64, 0.0))
            max_abs = float(diff.max())
            where = np.unravel_index(int(diff.argmax()), diff.shape)
        else:
            rng, max_abs, where = RANGE_FLOOR, 0.0, ()
        tol = REL_TOL * rng
        if max_abs > tol:
            raise Fail("output %s: max_abs=%.3g > tol=%.3g at %s (facecluster %.6g, onnxruntime %.6g)"
                       % (o, max_abs, tol, tuple(int(i) for i in where), a64[where], b64[where]))
        ratio = max_abs / tol
        if worst is None or ratio > worst[0]:
            worst = (ratio, max_abs, tol)
    summary = "max_abs=%.3g, tol=%.3g" % (worst[1], worst[2]) if worst else "no outputs"
    if is_embedding(name, outputs, ort_arrays):
        cos_min = 1.0
        for o in outputs:
            a = fc_arrays[o].astype(np.float64)
            b = ort_arrays[o].astype(np.float64)
            a = a.reshape(a.shape[0], -1) if a.ndim > 1 else a.reshape(1, -1)
            b = b.reshape(b.shape[0], -1) if b.ndim > 1 else b.reshape(1, -1)
            for ra, rb in zip(a, b):
                na, nb = np.linalg.norm(ra), np.linalg.norm(rb)
                cos = 1.0 if na == 0 and nb == 0 else (0.0 if na == 0 or nb == 0 else float(ra @ rb / (na * nb)))
                cos_min = min(cos_min, cos)
        if cos_min < MIN_COSINE:
            raise Fail("cosine %.6f < %g (%s)" % (cos_min, MIN_COSINE, summary))
        summary += ", cos=%.6f" % cos_min
    return summary


# ---- main ----------------------------------------------------------------------------

def main(argv):
    counts = {"PASS": 0, "FAIL": 0, "SKIP": 0}

    def report(status, label, case, text):
        counts[status] += 1
        out("%s parity %s %s %s" % (status, label, case, text) if case else "%s parity %s %s" % (status, label, text))

    try:
        import numpy  # noqa: F401
        import onnx  # noqa: F401
        import PIL  # noqa: F401
    except ImportError as e:
        report("FAIL", "setup", "", "%s: /usr/bin/python3 lacks python3-numpy/python3-pil/python3-onnx "
               "(run scripts/setup)" % e)
        out("0 passed, 1 failed, 0 skipped")
        return 1

    want = argv[1:]
    if SELF:
        out("parity: FC_PARITY_SELF=1: onnxruntime on both sides - checks the harness, not facecluster")
    if not want:
        shutil.rmtree(OUT, ignore_errors=True)
    models = [(m, os.path.join(MODELS_DIR, m), True) for m in DEFAULT_MODELS]
    if os.path.isdir(SHARED_MODELS):
        models += [(os.path.basename(p), p, False) for p in sorted(glob.glob(os.path.join(SHARED_MODELS, "*.onnx")))]
    elif not want:
        report("SKIP", "../shared/models/*.onnx", "", "skipped: ../shared/models not present")
    if want:
        models = [m for m in models if any(w in m[0] for w in want)]
    have_ort = ort_available()

    for name, path, default in models:
        model_out = os.path.join(OUT, name)
        shutil.rmtree(model_out, ignore_errors=True)
        try:
            if not os.path.isfile(path):
                raise Fail("model file %s missing%s" % (path, " (run scripts/setup)" if default else ""))
            inputs, outputs = model_io(path)
        except Fail as e:
            report("FAIL", name, "", str(e))
            continue
        for case in ("photo", "random"):
            case_dir = os.path.join(model_out, case)
            in_dir, fc_dir, ref_dir, ort_dir = (os.path.join(case_dir, d) for d in
                                                ("in", "facecluster", "facecluster_ref", "onnxruntime"))
            for d in (in_dir, fc_dir, ref_dir, ort_dir):
                os.makedirs(d, exist_ok=True)
            desc = "input not built"
            try:
                feeds, desc = build_inputs(name, inputs, case, in_dir)
                if not have_ort:
                    raise Skip("skipped: node/onnxruntime-node missing (run scripts/setup)")
                run_ort(path, feeds, ort_dir)
                run_facecluster(path, feeds, fc_dir, "fast")
                summary = compare(name, outputs, fc_dir, ort_dir)
                if not SELF:  # the reference kernels, against the oracle and the fast path
                    run_facecluster(path, feeds, ref_dir, "ref")
                    summary += "; ref: " + compare(name, outputs, ref_dir, ort_dir)
                    summary += "; fast vs ref: " + compare(name, outputs, fc_dir, ref_dir)
            except Skip as e:
                report("SKIP", name, case, str(e))
                shutil.rmtree(case_dir, ignore_errors=True)
            except Fail as e:
                report("FAIL", name, case, "%s [%s; files in %s]" % (e, desc, os.path.relpath(case_dir, ROOT)))
            else:
                report("PASS", name, case, "(%s) [%s]" % (summary, desc))
                if not KEEP:
                    shutil.rmtree(case_dir, ignore_errors=True)
        if not KEEP and os.path.isdir(model_out) and not os.listdir(model_out):
            os.rmdir(model_out)

    out("%d passed, %d failed, %d skipped" % (counts["PASS"], counts["FAIL"], counts["SKIP"]))
    return 1 if counts["FAIL"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
