#!/usr/bin/env python3
"""Checks an ONNX file written by Export-MlpOnnx with the onnx package alone (Debian: apt-get install python3-onnx).

    /usr/bin/python3 tests/reference/check_onnx.py model.onnx [--inputs X.csv --probabilities P.csv]

1. onnx.checker.check_model(full_check=True): the model is valid ONNX and its shapes infer.
2. The interface a consumer relies on: ai.onnx opset 13 or later; one input "input" [N, D] and outputs "probabilities"
   [N, C] and "label" [N] (int64), N symbolic; every attribute written holds its value; the metadata's
   mlptools.class_names (C strings) and mlptools.feature_names (D strings) are JSON arrays.
3. With --inputs and --probabilities (CSV files of numbers without a header, one sample a row): the graph evaluated
   here, node by node with numpy in the graph's element type, gives those probabilities to within --tolerance (default 1e-6), and
   its label is the most probable class of each row. This evaluator shares no code with MlpTools or ONNX Runtime.

Prints one line per check and "ok" at the end; exits 1 with the reason on the first failure.
"""
import argparse
import json
import sys

import numpy as np
import onnx
from onnx import numpy_helper


def fail(message):
    print("FAILED: " + message)
    sys.exit(1)


def dims(value_info):
    return [d.dim_param if d.HasField("dim_param") else d.dim_value for d in value_info.type.tensor_type.shape.dim]


def attribute(node, name, default):
    for a in node.attribute:
        if a.name == name:
            return onnx.helper.get_attribute_value(a)
    return default


def evaluate(model, x):
    """The graph's outputs for x, each node computed with numpy in the graph's element type (int64 for indices)."""
    values = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    element = {onnx.TensorProto.FLOAT: np.float32, onnx.TensorProto.DOUBLE: np.float64}[model.graph.input[0].type.tensor_type.elem_type]
    values[model.graph.input[0].name] = x.astype(element)
    for node in model.graph.node:
        a = [values[i] for i in node.input]
        op = node.op_type
        if op == "Sub":
            out = a[0] - a[1]
        elif op == "Div":
            out = a[0] / a[1]
        elif op == "Mul":
            out = a[0] * a[1]
        elif op == "Gemm":
            A = a[0].T if attribute(node, "transA", 0) else a[0]
            B = a[1].T if attribute(node, "transB", 0) else a[1]
            out = attribute(node, "alpha", 1.0) * (A @ B) + attribute(node, "beta", 1.0) * a[2]
        elif op == "Relu":
            out = np.maximum(a[0], 0)
        elif op == "Softmax":
            axis = attribute(node, "axis", -1)
            e = np.exp(a[0] - a[0].max(axis=axis, keepdims=True))
            out = e / e.sum(axis=axis, keepdims=True)
        elif op == "ArgMax":
            out = np.argmax(a[0], axis=attribute(node, "axis", 0)).astype(np.int64)
            if attribute(node, "keepdims", 1):
                out = np.expand_dims(out, attribute(node, "axis", 0))
        elif op == "Squeeze":
            out = np.squeeze(a[0], axis=tuple(int(i) for i in a[1]))
        else:
            fail("the graph has a node this script cannot evaluate: " + op)
        values[node.output[0]] = out
    return [values[o.name] for o in model.graph.output]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("--inputs")
    parser.add_argument("--probabilities")
    parser.add_argument("--tolerance", type=float, default=1e-6)
    args = parser.parse_args()

    model = onnx.load(args.model)
    onnx.checker.check_model(model, full_check=True)
    print("check_model(full_check=True): valid, onnx " + onnx.__version__)

    opset = {o.domain: o.version for o in model.opset_import}
    if opset.get("", 0) < 13:
        fail("ai.onnx opset %s, expected 13 or later" % opset.get(""))
    graph = model.graph
    if [i.name for i in graph.input] != ["input"] or [o.name for o in graph.output] != ["probabilities", "label"]:
        fail("inputs %s and outputs %s" % ([i.name for i in graph.input], [o.name for o in graph.output]))
    n, d = dims(graph.input[0])
    n_p, c = dims(graph.output[0])
    if not isinstance(n, str) or not n or n != n_p or dims(graph.output[1]) != [n]:
        fail("the batch dimension is not one symbolic dimension: %s %s %s" % (dims(graph.input[0]), dims(graph.output[0]), dims(graph.output[1])))
    if graph.output[1].type.tensor_type.elem_type != onnx.TensorProto.INT64:
        fail("label is not int64")
    for node in graph.node:
        for a in node.attribute:
            field = {onnx.AttributeProto.INT: "i", onnx.AttributeProto.FLOAT: "f", onnx.AttributeProto.STRING: "s"}.get(a.type)
            if field and not a.HasField(field):
                fail("attribute %s of node %s has no value" % (a.name, node.name))
    print("interface: opset %d, input [%s, %d], probabilities [%s, %d], label [%s]" % (opset[""], n, d, n, c, n))

    meta = {p.key: p.value for p in model.metadata_props}
    classes = json.loads(meta["mlptools.class_names"])
    features = json.loads(meta["mlptools.feature_names"])
    if len(classes) != c or len(features) != d or not all(isinstance(s, str) for s in classes + features):
        fail("metadata names %d classes and %d features for a [N, %d] -> [N, %d] graph" % (len(classes), len(features), d, c))
    print("metadata: %d class names, %d feature names, producer %s %s" % (len(classes), len(features), model.producer_name, model.producer_version))

    if args.inputs:
        x = np.loadtxt(args.inputs, delimiter=",", ndmin=2)
        expected = np.loadtxt(args.probabilities, delimiter=",", ndmin=2)
        probabilities, label = evaluate(model, x)
        worst = float(np.abs(probabilities - expected).max())
        if worst > args.tolerance:
            fail("numpy's probabilities differ from the expected ones by up to %.3e, more than %.0e" % (worst, args.tolerance))
        if not np.array_equal(label, np.argmax(probabilities, axis=1)):
            fail("label is not the most probable class of each row")
        print("numpy evaluation of %d rows: largest difference %.3e" % (x.shape[0], worst))
    print("ok")


if __name__ == "__main__":
    main()
