#!/usr/bin/env python3
"""A safetensors reader written from the format's description alone, sharing no code with MlpTools: it checks a
model file against every rule of the layout, strictly, and loads its tensors by name with numpy.

    python3 tests/reference/read_safetensors.py FILE            # the file's tensors and metadata as JSON, on stdout
    python3 tests/reference/read_safetensors.py FILE --torch    # also builds the network in PyTorch (needs torch)

The rules (https://github.com/huggingface/safetensors, "Format", and what its reference writer does):
  1. The first 8 bytes are N, the header's length, an unsigned 64-bit little-endian integer; 0 < N <= 100,000,000
     and 8 + N <= the file's length.
  2. The N header bytes are UTF-8 JSON: an object that starts with '{' at the first byte, with no key twice, padded
     after its closing brace with spaces (0x20) only, so that 8 + N is a multiple of 8 and the data buffer starts
     8-byte aligned.
  3. "__metadata__", when present, maps strings to strings.
  4. Every other key is a tensor: an object with exactly "dtype" (one of the format's names: BOOL, U8, I8, I16, U16,
     F16, BF16, I32, U32, F32, F64, I64, U64, F8_E5M2, F8_E4M3), "shape" (a list of whole numbers >= 0) and
     "data_offsets" ([begin, end], whole numbers, relative to the start of the data buffer) where
     end - begin = product(shape) * the dtype's size.
  5. In header order the tensors are contiguous: the first begins at 0, each begins where the one before ended, and
     the last ends at the end of the file: no gap, no overlap, nothing after. Each begins at a multiple of its
     element size (what readers that map the file in place need).
  6. Elements are little-endian and row-major (C order).

Any broken rule ends the script with exit code 2 and one line on stderr naming the rule and what the file holds.
The JSON on stdout: {"header_length": N, "metadata": {...}, "order": [names in header order],
"tensors": {name: {"dtype", "shape", "values": [every element, row-major, as a JSON number (F32 widened exactly to
float64, so each prints as the shortest text that reads back as the same number)]}}}. With --torch, "torch" adds
what PyTorch made of W1, b1, W2 and b2: the shapes of an nn.Linear pair built from them and the probabilities
that network gives for the rows of --features (a JSON file of rows), so callers can compare them with their own.
"""
import argparse
import json
import sys

import numpy as np

MAX_HEADER = 100_000_000
DTYPES = {
    "BOOL": np.dtype("?"), "U8": np.dtype("u1"), "I8": np.dtype("i1"),
    "I16": np.dtype("<i2"), "U16": np.dtype("<u2"), "F16": np.dtype("<f2"),
    "I32": np.dtype("<i4"), "U32": np.dtype("<u4"), "F32": np.dtype("<f4"),
    "F64": np.dtype("<f8"), "I64": np.dtype("<i8"), "U64": np.dtype("<u8"),
}
SIZE_ONLY = {"BF16": 2, "F8_E5M2": 1, "F8_E4M3": 1}  # known to the format, not to numpy: checked, not loaded


class LayoutError(Exception):
    pass


def fail(rule, what):
    raise LayoutError(f"rule {rule}: {what}")


def no_duplicates(pairs):
    seen = {}
    for key, value in pairs:
        if key in seen:
            fail(2, f"the key {key!r} appears twice in one JSON object")
        seen[key] = value
    return seen


def refuse_constant(name):
    fail(2, f"the header has the non-JSON constant {name}")


def whole(value):
    return isinstance(value, int) and not isinstance(value, bool)


def read(path):
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        fail(1, f"the file is {len(raw)} bytes long, shorter than the 8-byte header length")
    n = int.from_bytes(raw[:8], "little", signed=False)
    if n == 0 or n > MAX_HEADER:
        fail(1, f"the header length is {n}; it must be 1 to {MAX_HEADER}")
    if 8 + n > len(raw):
        fail(1, f"the header length {n} runs past the end of the {len(raw)}-byte file")
    if (8 + n) % 8 != 0:
        fail(2, f"8 + N = {8 + n} is not a multiple of 8: the header is not padded to 8-byte alignment")
    header_bytes = raw[8:8 + n]
    if header_bytes[:1] != b"{":
        fail(2, f"the header starts with {header_bytes[:1]!r}, not '{{'")
    try:
        text = header_bytes.decode("utf-8", errors="strict")
    except UnicodeDecodeError as e:
        fail(2, f"the header is not UTF-8: {e}")
    json_text = text.rstrip(" ")
    padding = text[len(json_text):]
    try:
        decoder = json.JSONDecoder(object_pairs_hook=no_duplicates, parse_constant=refuse_constant)
        header, end = decoder.raw_decode(json_text)
    except json.JSONDecodeError as e:
        fail(2, f"the header is not JSON: {e}")
    if end != len(json_text):
        fail(2, f"after the JSON object come {json_text[end:end + 20]!r}...; only spaces may pad the header")
    if not isinstance(header, dict):
        fail(2, "the header is not a JSON object")

    metadata = header.get("__metadata__", {})
    if not isinstance(metadata, dict):
        fail(3, f"__metadata__ is a {type(metadata).__name__}, not an object")
    for key, value in metadata.items():
        if not isinstance(value, str):
            fail(3, f"__metadata__[{key!r}] is a {type(value).__name__}, not a string")

    data = memoryview(raw)[8 + n:]
    order, tensors, cursor = [], {}, 0
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
            fail(4, f"tensor {name!r} is {entry!r}, not an object of exactly dtype, shape and data_offsets")
        dtype, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
        if dtype not in DTYPES and dtype not in SIZE_ONLY:
            fail(4, f"tensor {name!r} has the dtype {dtype!r}, which is not one of the format's")
        if not isinstance(shape, list) or not all(whole(d) and d >= 0 for d in shape):
            fail(4, f"tensor {name!r} has the shape {shape!r}; it must be a list of whole numbers >= 0")
        if not isinstance(offsets, list) or len(offsets) != 2 or not all(whole(o) and o >= 0 for o in offsets):
            fail(4, f"tensor {name!r} has the data_offsets {offsets!r}; they must be [begin, end], whole numbers >= 0")
        begin, stop = offsets
        size = DTYPES[dtype].itemsize if dtype in DTYPES else SIZE_ONLY[dtype]
        count = 1
        for d in shape:
            count *= d
        if stop - begin != count * size:
            fail(4, f"tensor {name!r} ({dtype}, shape {shape}) needs {count * size} bytes but data_offsets {offsets} span {stop - begin}")
        if begin != cursor:
            fail(5, f"tensor {name!r} begins at {begin}, but in header order the data so far ends at {cursor}")
        if begin % size != 0:
            fail(5, f"tensor {name!r} begins at {begin}, not a multiple of its {size}-byte elements")
        cursor = stop
        order.append(name)
        if dtype in DTYPES:
            tensors[name] = (dtype, shape, np.frombuffer(data[begin:stop], dtype=DTYPES[dtype]).reshape(shape))
        else:
            tensors[name] = (dtype, shape, None)
    if cursor != len(data):
        fail(5, f"the tensors end at {cursor} but the data buffer is {len(data)} bytes long")
    return n, metadata, order, tensors, len(padding)


def as_json_values(array):
    if array is None:
        return None
    if array.dtype.kind == "f":
        return array.astype("<f8").ravel().tolist()
    return array.ravel().tolist()


def torch_forward(tensors, metadata, features_path):
    """The network as PyTorch layers, W1 [D, H] read by name into nn.Linear(D, H) (whose weight is [H, D])."""
    import torch

    dtype = torch.float64 if tensors["W1"][0] == "F64" else torch.float32
    w1, b1, w2, b2 = (torch.from_numpy(np.array(tensors[k][2])) for k in ("W1", "b1", "W2", "b2"))
    d, h = w1.shape
    c = w2.shape[1]
    first, second = torch.nn.Linear(d, h, dtype=dtype), torch.nn.Linear(h, c, dtype=dtype)
    with torch.no_grad():
        first.weight.copy_(w1.T)
        first.bias.copy_(b1)
        second.weight.copy_(w2.T)
        second.bias.copy_(b2)
    net = torch.nn.Sequential(first, torch.nn.ReLU(), second, torch.nn.Softmax(dim=1))
    result = {"torch_version": torch.__version__, "linear_shapes": [list(first.weight.shape), list(second.weight.shape)]}
    if features_path:
        with open(features_path, encoding="utf-8") as f:
            x = torch.tensor(json.load(f), dtype=torch.float64)
        scaling = json.loads(metadata["mlptools.preprocessing"]) if "mlptools.preprocessing" in metadata else None
        if scaling:
            x = (x - torch.tensor(scaling["offsets"], dtype=torch.float64)) / torch.tensor(scaling["scales"], dtype=torch.float64)
        with torch.no_grad():
            result["probabilities"] = net(x.to(dtype)).to(torch.float64).tolist()
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file")
    parser.add_argument("--torch", action="store_true", help="also build the network with PyTorch")
    parser.add_argument("--features", help="with --torch: a JSON file of input rows to predict")
    args = parser.parse_args()
    try:
        n, metadata, order, tensors, padding = read(args.file)
    except LayoutError as e:
        print(f"{args.file}: {e}", file=sys.stderr)
        return 2
    out = {
        "header_length": n,
        "padding": padding,
        "metadata": metadata,
        "order": order,
        "tensors": {k: {"dtype": v[0], "shape": v[1], "values": as_json_values(v[2])} for k, v in tensors.items()},
    }
    if args.torch:
        out["torch"] = torch_forward(tensors, metadata, args.features)
    json.dump(out, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
