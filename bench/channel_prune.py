#!/usr/bin/env python3
"""bench/channel_prune.py - would dropping MobileFaceNet's near-zero channels make it
fast enough? (README, "Not done yet"; an experiment, not something facecluster does.)

Its training left many channels of the expanding 1x1 convolutions with weights near
zero (under 1e-3 of the layer's largest row), and the depthwise conv after them too.
Such a channel is a constant after its activation, so it can leave the 1x1 conv, the
depthwise conv and the input of the next 1x1 conv, whose bias takes the constant's
share. This writes two pruned copies (every such channel; only whole 16-channel
blocks), checks their outputs against the model's on aligned faces (reference path,
FC_NN_BACKEND=ref) and times all three with `facecluster nn --bench` at one thread.

Needs Debian's python3-onnx and numpy, PIL, ../shared. Run from the repository root
on an idle machine: /usr/bin/python3 bench/channel_prune.py
"""
import glob
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import helper, numpy_helper
from PIL import Image

MODEL = "../shared/models/mobilefacenet_128d.onnx"
FACES = "../shared/data/celebs_aligned/*/*.png"
FC = "build/facecluster"
THRESHOLD = 1e-3   # a row is near zero under this share of the layer's largest row


def attrs(node):
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def row_max(w):
    return np.abs(w.reshape(w.shape[0], -1)).max(1)


class Graph:
    def __init__(self, model):
        g = model.graph
        self.inits = {i.name: i for i in g.initializer}
        self.readers = {}
        for n in g.node:
            for i in n.input:
                self.readers.setdefault(i, []).append(n)
        self.consts = {n.output[0]: numpy_helper.to_array(n.attribute[0].t)
                       for n in g.node if n.op_type == "Constant"}
        self.nodes = list(g.node)

    def get(self, name):
        return numpy_helper.to_array(self.inits[name]).copy()

    def put(self, name, a):
        self.inits[name].CopyFrom(numpy_helper.from_array(a.astype(np.float32), name))

    def sole_reader(self, value):
        r = self.readers.get(value, [])
        return r[0] if len(r) == 1 else None

    def activation(self, value):
        """The activation alone reading value, as a function, and its output."""
        r = self.sole_reader(value)
        if r is not None and r.op_type == "Relu":
            return (lambda v: np.maximum(v, 0)), r.output[0]
        if r is not None and r.op_type == "Clip":
            lo, hi = self.consts[r.input[1]], self.consts[r.input[2]]
            return (lambda v: np.clip(v, lo, hi)), r.output[0]
        return (lambda v: v), value


def prune(model, whole_blocks):
    """Drops near-zero channels of conv -> act [-> depthwise -> act] -> 1x1 conv."""
    g = Graph(model)
    dropped = 0
    for a in g.nodes:
        if a.op_type != "Conv" or attrs(a).get("group", 1) != 1:
            continue
        wa, ba = g.get(a.input[1]), g.get(a.input[2])
        ra = row_max(wa)
        near_zero = ra < THRESHOLD * ra.max()
        act, value = g.activation(a.output[0])
        nxt = g.sole_reader(value)
        if not near_zero.any() or nxt is None or nxt.op_type != "Conv":
            continue
        const = act(ba)               # the channel's value after the activation
        dw = None
        if attrs(nxt).get("group", 1) == wa.shape[0]:
            dw = nxt
            wd, bd = g.get(dw.input[1]), g.get(dw.input[2])
            rd = row_max(wd)
            near_zero &= rd < THRESHOLD * rd.max()
            act2, value = g.activation(dw.output[0])
            nxt = g.sole_reader(value)
            if nxt is None or nxt.op_type != "Conv":
                continue
            const = act2(bd)          # the depthwise of a constant, its tiny weights aside
        wb = g.get(nxt.input[1])
        if attrs(nxt).get("group", 1) != 1 or wb.shape[2:] != (1, 1):
            continue
        bb = g.get(nxt.input[2]) if len(nxt.input) > 2 else np.zeros(wb.shape[0], np.float32)
        drop = np.zeros_like(near_zero)
        n = int(near_zero.sum()) // 16 * 16 if whole_blocks else int(near_zero.sum())
        if n == 0:
            continue
        drop[[j for j in np.argsort(ra) if near_zero[j]][:n]] = True
        keep = ~drop
        g.put(nxt.input[1], wb[:, keep])
        g.put(nxt.input[2], bb + (wb[:, drop, 0, 0] * const[drop]).sum(1))
        g.put(a.input[1], wa[keep])
        g.put(a.input[2], ba[keep])
        if dw is not None:
            g.put(dw.input[1], wd[keep])
            g.put(dw.input[2], bd[keep])
            for at in dw.attribute:
                if at.name == "group":
                    at.i = int(keep.sum())
        dropped += n
    return dropped


def run(model, x, tmp):
    np.save(os.path.join(tmp, "in.npy"), x)
    out = os.path.join(tmp, "out")
    env = dict(os.environ, FC_NN_BACKEND="ref")
    subprocess.run([FC, "nn", model, "--input", os.path.join(tmp, "in.npy"), "--out", out],
                   check=True, env=env, capture_output=True)
    return np.load(os.path.join(out, "output.npy")).ravel()


def bench(model):
    r = subprocess.run([FC, "nn", model, "--bench", "300", "--threads", "1"],
                       check=True, capture_output=True, text=True)
    ms = float(re.search(r"median_ms=([0-9.]+)", r.stdout + r.stderr).group(1))
    macs = re.search(r"compute: ([0-9.]+) M", r.stdout + r.stderr).group(1)
    return ms, macs


def main():
    if not os.path.exists(MODEL):
        print("skipped: ../shared/data not present")
        return 0
    faces = sorted(glob.glob(FACES))[:40:4]
    with tempfile.TemporaryDirectory() as tmp:
        variants = [("as given", MODEL, 0)]
        for whole in (False, True):
            m = onnx.load(MODEL)
            n = prune(m, whole)
            path = os.path.join(tmp, "pruned%d.onnx" % whole)
            onnx.save(m, path)
            variants.append(("16-channel blocks" if whole else "every near-zero channel", path, n))
        worst = {}
        for f in faces:
            im = Image.open(f).convert("RGB").resize((112, 112))
            x = ((np.asarray(im, np.float32) - 127.5) / 128).transpose(2, 0, 1)[None].copy()
            ref = run(MODEL, x, tmp)
            for name, path, _ in variants[1:]:
                err = np.abs(run(path, x, tmp) - ref).max() / (ref.max() - ref.min())
                worst[name] = max(worst.get(name, 0.0), err)
        print("| model | channels dropped | M multiply-adds | median ms, 1 thread | "
              "max |diff| / output range (%d faces) |" % len(faces))
        print("|---|---|---|---|---|")
        for name, path, n in variants:
            ms, macs = bench(path)
            diff = "%.1e" % worst[name] if name in worst else "-"
            print("| %s | %d | %s | %.3f | %s |" % (name, n, macs, ms, diff))
    return 0


if __name__ == "__main__":
    sys.exit(main())
