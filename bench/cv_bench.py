#!/usr/bin/python3
"""cv_bench.py - time one ONNX model in OpenCV DNN, the way `facecluster nn --bench` does.

    /usr/bin/python3 bench/cv_bench.py MODEL.onnx --runs N --threads T [--batch B]
        [--shape NAME=DIMS ...] [--input NAME=FILE.npy ...]

cv2.readNetFromONNX, backend OPENCV, target CPU, cv2.setNumThreads(T); 5 warm-up runs,
then N timed runs (time.perf_counter) of setInput + forward of every output. Prints
min/median/p90/max ms, `load_ms=<x>` and, as the last line, `median_ms=<x>`; when
OpenCV cannot import or run the model, the reason and `median_ms=nan` (exit status 0:
that is a result, not a failure of this script).

Inputs: --input files as they are, else seeded uniform [-1, 1) float32 (zeros for
integer inputs) of the declared shape, with --shape giving a whole shape (dynamic
dims) and --batch B replacing dim 0. OpenCV 4.6 cannot import a graph whose input
dims are symbolic, nor batch a graph that reshapes to a literal [1, ...]: when the
model as given fails, or its outputs do not have dim 0 = B, it is retried on a
temporary copy with the input dims fixed to the benchmarked shape, then also with
Reshape targets [1, ...] turned into [0, ...] ("keep dim 0"), and the output says so.

The same rewriting serves bench/ort_bench.js (which needs a symbolic batch dim):

    /usr/bin/python3 bench/cv_bench.py --rewrite SRC DST --dims NAME=D,D,.. [--reshape-batch]

where each D is a number or a symbolic name (e.g. input=batch,3,112,112); graph outputs
then get dim 0 = the first input's dim 0, and stale intermediate shapes are dropped.
"""

import os
import re
import shutil
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WARMUP_RUNS = 5


def load_parity():
    """tests/parity/parity.py, for model_io (the declared inputs)."""
    sys.dont_write_bytecode = True  # leave no __pycache__ in tests/
    sys.path.insert(0, os.path.join(ROOT, "tests", "parity"))
    import parity
    return parity


class Unusable(Exception):
    """OpenCV cannot import or run the model: a result to report, not a crash."""


# ---- model rewriting (shared with ort_bench.js) ---------------------------------------

def rewrite_model(src, dst, input_dims, reshape_batch=False):
    """Writes a copy of src to dst with the graph inputs named in input_dims given
    those dims (ints or symbolic names). Outputs get dim 0 = the first rewritten
    input's dim 0, value_info is dropped, and with reshape_batch every Reshape whose
    constant target starts with 1 starts with 0 instead (copy dim 0 of its input).
    Returns the number of Reshape targets changed."""
    import onnx
    from onnx import numpy_helper
    model = onnx.load(src)
    graph = model.graph
    batch = None

    def set_dim(dim, value):
        if isinstance(value, int):
            dim.dim_value = value
        else:
            dim.dim_param = value

    for v in graph.input:
        if v.name not in input_dims:
            continue
        dims = v.type.tensor_type.shape.dim
        want = input_dims[v.name]
        if len(dims) != len(want):
            raise ValueError("input %s has %d dims, not %d" % (v.name, len(dims), len(want)))
        for dim, value in zip(dims, want):
            set_dim(dim, value)
        if batch is None and want:
            batch = want[0]
    if batch is not None:
        for v in graph.output:
            dims = v.type.tensor_type.shape.dim
            if len(dims) > 1:
                set_dim(dims[0], batch)
    del graph.value_info[:]
    changed = 0
    if reshape_batch:
        inits = {t.name: t for t in graph.initializer}
        consts = {n.output[0]: n for n in graph.node if n.op_type == "Constant"}
        for node in graph.node:
            if node.op_type != "Reshape" or len(node.input) < 2:
                continue
            if any(a.name == "allowzero" and a.i for a in node.attribute):
                continue
            target = inits.get(node.input[1])
            if target is None and node.input[1] in consts:
                target = next((a.t for a in consts[node.input[1]].attribute if a.name == "value"), None)
            if target is None:
                continue
            shape = numpy_helper.to_array(target).copy()
            if shape.ndim == 1 and shape.size > 1 and shape[0] == 1:
                shape[0] = 0
                target.CopyFrom(numpy_helper.from_array(shape, target.name))
                changed += 1
    onnx.save(model, dst)
    return changed


def parse_dims_list(text):
    return [int(t) if re.fullmatch(r"-?\d+", t) else t for t in text.split(",") if t]


def rewrite_main(argv):
    if len(argv) < 2:
        raise SystemExit("usage: cv_bench.py --rewrite SRC DST --dims NAME=D,D,.. [--reshape-batch]")
    src, dst, rest = argv[0], argv[1], argv[2:]
    dims, reshape = {}, False
    i = 0
    while i < len(rest):
        if rest[i] == "--dims" and i + 1 < len(rest) and "=" in rest[i + 1]:
            name, text = rest[i + 1].split("=", 1)
            dims[name] = parse_dims_list(text)
            i += 2
        elif rest[i] == "--reshape-batch":
            reshape = True
            i += 1
        else:
            raise SystemExit("cv_bench.py --rewrite: unexpected argument %r" % rest[i])
    changed = rewrite_model(src, dst, dims, reshape)
    print("reshape_targets_changed=%d" % changed)
    return 0


# ---- inputs ---------------------------------------------------------------------------

def parse_args(argv):
    args = dict(model=None, runs=None, threads=None, batch=None, shapes={}, files={})

    def count(text, flag):
        if not re.fullmatch(r"\d+", text) or int(text) < 1:
            raise SystemExit("cv_bench.py: %s takes a whole number >= 1, not %r" % (flag, text))
        return int(text)

    usage = ("usage: cv_bench.py MODEL.onnx --runs N --threads T [--batch B] "
             "[--shape NAME=DIMS] [--input NAME=FILE.npy]")
    rest = list(argv)
    while rest:
        a = rest.pop(0)
        if a in ("--runs", "--threads", "--batch", "--shape", "--input"):
            if not rest:
                raise SystemExit(usage)
            value = rest.pop(0)
            if a in ("--shape", "--input"):
                name, _, text = value.rpartition("=")
                args["shapes" if a == "--shape" else "files"][name or None] = text
            else:
                args[a[2:]] = count(value, a)
        elif not a.startswith("-") and args["model"] is None:
            args["model"] = a
        else:
            raise SystemExit(usage)
    if not args["model"] or not args["runs"] or not args["threads"]:
        raise SystemExit("cv_bench.py: MODEL.onnx, --runs and --threads are required")
    return args


def by_input(given, inputs, flag):
    """{input name: value} from {name or None: value}; None names the only input."""
    names = [n for n, _, _ in inputs]
    out = {}
    for name, value in given.items():
        if name is None:
            if len(names) != 1:
                raise SystemExit("cv_bench.py: the model has %d inputs: %s NAME=..." % (len(names), flag))
            name = names[0]
        if name not in names:
            raise SystemExit("cv_bench.py: %s %s: the model has no input %r" % (flag, name, name))
        out[name] = value
    return out


def make_inputs(args, inputs):
    """{name: array} and a description line per input."""
    import numpy as np
    files = by_input(args["files"], inputs, "--input")
    shapes = by_input(args["shapes"], inputs, "--shape")
    arrays, lines = {}, []
    for i, (name, dtype, dims) in enumerate(inputs):
        if name in files:
            x = np.load(files[name])
            if args["batch"] and x.ndim and x.shape[0] != args["batch"]:
                raise SystemExit("cv_bench.py: --batch %d, but %s has %d in dim 0"
                                 % (args["batch"], files[name], x.shape[0]))
            source = "file"
        else:
            shape = list(dims)
            if name in shapes:
                shape = [int(d) for d in re.split(r"[x,]", shapes[name])]
            if args["batch"] and shape:
                shape[0] = args["batch"]
            if any(d is None for d in shape):
                raise SystemExit("cv_bench.py: input %r has dynamic dims: give --shape %s=DIMS" % (name, name))
            rng = np.random.default_rng(1 + i)
            if dtype.startswith("float"):
                x = rng.uniform(-1.0, 1.0, size=shape).astype(np.float32)
                source = "random uniform [-1,1), seeded"
            else:
                x = np.zeros(shape, dtype=dtype)
                source = "zeros"
        arrays[name] = np.ascontiguousarray(x.astype(np.float32) if x.dtype == np.float64 else x)
        lines.append("input: %s %s [%s] (%s)" % (name, arrays[name].dtype, ",".join(map(str, x.shape)), source))
    return arrays, lines


# ---- OpenCV ---------------------------------------------------------------------------

def short_reason(exc):
    """One line out of an OpenCV exception: the node and the failed check."""
    msg = " ".join(str(exc).split())
    op = re.search(r"Node \[([\w.]+)@", msg)
    what = (re.search(r"\(expected: '([^']*)'\)", msg) or re.search(r"Assertion failed\) (.+?) in function", msg)
            or re.search(r"error: \(-?\d+:[^)]*\) (.+?)(?: in function|$)", msg))
    if op or what:
        return "%s%s" % ("%s node: " % op.group(1) if op else "", what.group(1) if what else msg[-160:])
    return msg[-160:]


def variants(path, args, inputs, arrays, tmp):
    """(label, model path) to try in order: the model as given, then copies with the
    input dims fixed, then also with Reshape [1, ...] -> [0, ...] (batch only)."""
    yield "as given", path
    fixed = {n: list(arrays[n].shape) for n, _, dims in inputs}
    differs = any(list(d) != fixed[n] for n, _, d in inputs)
    if differs:
        dst = os.path.join(tmp, "fixed.onnx")
        rewrite_model(path, dst, fixed)
        yield "copy with input dims fixed to the benchmarked shape", dst
    if args["batch"] and args["batch"] > 1:
        dst = os.path.join(tmp, "fixed_reshape.onnx")
        if rewrite_model(path, dst, fixed, reshape_batch=True):
            yield "copy with input dims fixed and Reshape [1,...] -> [0,...]", dst


def load_and_check(cv2, path, arrays, batch):
    """(net, output names, ms to read the model): a net that has run once on arrays
    with every output's dim 0 = batch (when given)."""
    t0 = time.perf_counter()
    net = cv2.dnn.readNetFromONNX(path)
    load_ms = (time.perf_counter() - t0) * 1e3
    net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
    net.setPreferableTarget(cv2.dnn.DNN_TARGET_CPU)
    names = net.getUnconnectedOutLayersNames()
    for name, x in arrays.items():
        net.setInput(x, name)
    outs = net.forward(names)
    if batch and batch > 1:
        bad = [tuple(o.shape) for o in outs if o.ndim < 2 or o.shape[0] != batch]
        if bad:
            raise Unusable("outputs %s do not have dim 0 = %d" % (" ".join(map(str, bad)), batch))
    return net, names, load_ms


def bench(args):
    import numpy as np
    parity = load_parity()
    try:
        import cv2
    except ImportError as e:
        raise Unusable("python3-opencv missing (run scripts/setup): %s" % e)
    try:
        inputs, _ = parity.model_io(args["model"])
    except parity.Fail as e:
        raise Unusable(str(e))
    arrays, lines = make_inputs(args, inputs)
    print("model: %s\nruntime: OpenCV %s DNN, backend OPENCV, target CPU" % (args["model"], cv2.__version__))
    for line in lines:
        print(line)
    cv2.setNumThreads(args["threads"])
    print("threads: %d" % cv2.getNumThreads())
    tmp = tempfile.mkdtemp(prefix="cv_bench.")
    try:
        failures, net = [], None
        for label, path in variants(args["model"], args, inputs, arrays, tmp):
            try:
                net, names, load_ms = load_and_check(cv2, path, arrays, args["batch"])
            except (cv2.error, Unusable) as e:
                failures.append("%s: %s" % (label, short_reason(e)))
                continue
            if label != "as given":
                print("model used: %s, because %s" % (label, "; ".join(failures)))
            break
        if net is None:
            raise Unusable("; ".join(failures))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    def run_once():
        for name, x in arrays.items():
            net.setInput(x, name)
        net.forward(names)

    for _ in range(WARMUP_RUNS - 1):  # load_and_check ran the first
        run_once()
    ms = []
    for _ in range(args["runs"]):
        t0 = time.perf_counter()
        run_once()
        ms.append((time.perf_counter() - t0) * 1e3)
    ms.sort()
    n = len(ms)
    median = float(np.median(ms))
    print("runs: %d timed after %d warm-up" % (n, WARMUP_RUNS))
    print("ms: min %.3f  median %.3f  p90 %.3f  max %.3f" % (ms[0], median, ms[(9 * n + 9) // 10 - 1], ms[-1]))
    print("load_ms=%.3f" % load_ms)
    print("median_ms=%.3f" % median)


def main(argv):
    if argv[1:2] == ["--rewrite"]:
        return rewrite_main(argv[2:])
    args = parse_args(argv[1:])
    try:
        bench(args)
    except Unusable as e:
        print("unusable: OpenCV cannot run %s: %s" % (os.path.basename(args["model"]), e))
        print("median_ms=nan")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
