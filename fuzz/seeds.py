#!/usr/bin/python3
"""Writes small ONNX models, one or a few ops each, as seeds for fuzz_onnx: coverage
grows much faster from many small valid models than from one large real one.
Usage: fuzz/seeds.py OUTDIR  (Debian's /usr/bin/python3 with python3-onnx)."""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def model(nodes, inputs, outputs, inits=(), opset=11):
    g = helper.make_graph(nodes, "seed", inputs, outputs, list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 7
    return m


def f32(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def const(name, arr):
    return numpy_helper.from_array(np.asarray(arr), name)


def seeds():
    x = [f32("x", [1, 2, 5, 5])]
    y = [f32("y", None)]
    w = const("w", np.ones((2, 2, 3, 3), np.float32))
    b = const("b", np.zeros(2, np.float32))
    yield "conv", model([helper.make_node("Conv", ["x", "w", "b"], ["y"], pads=[1, 1, 1, 1])], x, y, [w, b])
    yield "convt", model([helper.make_node("ConvTranspose", ["x", "w"], ["y"], strides=[2, 2])], x, y, [w])
    for op in ["Relu", "Sigmoid", "Tanh", "Exp", "Sqrt", "HardSwish", "Identity"]:
        yield op.lower(), model([helper.make_node(op, ["x"], ["y"])], x, y, opset=14)
    yield "clip", model([helper.make_node("Clip", ["x", "lo", "hi"], ["y"])], x, y,
                        [const("lo", np.float32(0)), const("hi", np.float32(6))])
    yield "maxpool", model([helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1)], x, y)
    yield "avgpool", model([helper.make_node("AveragePool", ["x"], ["y"], kernel_shape=[2, 2], pads=[1, 1, 1, 1])], x, y)
    yield "gap", model([helper.make_node("GlobalAveragePool", ["x"], ["y"])], x, y)
    yield "add", model([helper.make_node("Add", ["x", "c"], ["y"])], x, y, [const("c", np.ones((1, 2, 1, 1), np.float32))])
    yield "prelu", model([helper.make_node("PRelu", ["x", "s"], ["y"])], x, y, [const("s", np.ones((2, 1, 1), np.float32))], opset=9)
    yield "softmax", model([helper.make_node("Softmax", ["x"], ["y"], axis=1)], x, y)
    yield "transpose", model([helper.make_node("Transpose", ["x"], ["y"], perm=[0, 2, 3, 1])], x, y)
    yield "reshape", model([helper.make_node("Reshape", ["x", "s"], ["y"])], x, y, [const("s", np.array([1, -1], np.int64))])
    yield "slice", model([helper.make_node("Slice", ["x", "st", "en", "ax"], ["y"])], x, y,
                         [const("st", np.array([1], np.int64)), const("en", np.array([4], np.int64)), const("ax", np.array([2], np.int64))])
    yield "resize", model([helper.make_node("Resize", ["x", "", "sc"], ["y"], mode="linear")], x, y,
                          [const("sc", np.array([1, 1, 2, 2], np.float32))], opset=13)
    yield "pad", model([helper.make_node("Pad", ["x", "p"], ["y"], mode="reflect")], x, y,
                       [const("p", np.array([0, 0, 1, 1, 0, 0, 1, 1], np.int64))])
    yield "concat_split", model([helper.make_node("Concat", ["x", "x"], ["c"], axis=1),
                                 helper.make_node("Split", ["c"], ["y", "z"], axis=1)], x, [f32("y", None), f32("z", None)])
    yield "shape_chain", model([helper.make_node("Shape", ["x"], ["s"]),
                                helper.make_node("Gather", ["s", "i"], ["n"], axis=0),
                                helper.make_node("Unsqueeze", ["n"], ["n1"], axes=[0]),
                                helper.make_node("Concat", ["n1", "m"], ["t"], axis=0),
                                helper.make_node("Reshape", ["x", "t"], ["y"])], x, y,
                               [const("i", np.int64(0)), const("m", np.array([-1], np.int64))])
    yield "gemm", model([helper.make_node("Flatten", ["x"], ["f"]), helper.make_node("Gemm", ["f", "g"], ["y"], transB=1)], x, y,
                        [const("g", np.ones((3, 50), np.float32))])
    yield "batchnorm_reduce", model([helper.make_node("BatchNormalization", ["x", "s", "b", "b", "s"], ["n"]),
                                     helper.make_node("ReduceMean", ["n"], ["y"], axes=[2, 3])], x, y,
                                    [const("s", np.ones(2, np.float32)), const("b", np.zeros(2, np.float32))])


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, m in seeds():
        onnx.save(m, os.path.join(out, name + ".onnx"))


if __name__ == "__main__":
    main()
