#!/usr/bin/env python3
"""Read a musiclust model file (safetensors) without the `safetensors` package: struct + json + numpy.
Prints the metadata JSON (__metadata__["musiclust"]) and every tensor's name, dtype, shape and a short
summary, and checks the layout (8-byte little-endian header length, JSON header, contiguous data).

Usage: read_model.py MODEL.safetensors [--values NAME]...
In your own code: tensors, meta = load("model.safetensors")  (the same dict safetensors.numpy.load_file
returns, plus the parsed metadata)."""
import json, struct, sys
import numpy as np

DTYPES = {"F32": np.float32, "F64": np.float64, "F16": np.float16, "I32": np.int32, "I64": np.int64}


def load(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", {})
    data = raw[8 + n:]
    tensors, end = {}, 0
    for name, e in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0]):
        b, e_ = e["data_offsets"]
        assert b == end, f"{name}: data not contiguous ({b} != {end})"
        dt = np.dtype(DTYPES[e["dtype"]]).newbyteorder("<")
        arr = np.frombuffer(data[b:e_], dtype=dt).reshape(e["shape"])
        tensors[name] = arr
        end = e_
    assert end == len(data), f"trailing bytes: {len(data) - end}"
    info = json.loads(meta["musiclust"]) if "musiclust" in meta else None
    return tensors, info


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        sys.exit(2)
    tensors, info = load(sys.argv[1])
    print("metadata musiclust =", json.dumps(info, indent=2))
    for name in sorted(tensors):
        a = tensors[name]
        s = f"{name:40s} {str(a.dtype):8s} {str(list(a.shape)):22s}"
        if a.size <= 6:
            s += " " + str(a.tolist())
        elif a.dtype.kind == "f" and np.isfinite(a).all():
            s += f" mean {a.mean():+.4g} std {a.std():.4g}"
        else:
            s += " " + str(a.tolist())
        print(s)
    args = sys.argv[2:]
    while args[:1] == ["--values"] and len(args) >= 2:
        print(args[1], "=", tensors[args[1]])
        args = args[2:]


if __name__ == "__main__":
    main()
