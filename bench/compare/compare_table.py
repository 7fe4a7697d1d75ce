#!/usr/bin/env python3
"""Tessera-vs-PyTorch table from JMH JSON results and pytorch_cpu_ops.py output.

    python3 bench/compare/compare_table.py --jmh run1.json run2.json --torch torch1.txt torch2.txt

Pass several rounds of each (measured alternately, see bench/README.md). Per round, a JMH result is the median
of its measurement iterations of the secondary rate (gflops / gbytes) and a PyTorch line is already the median
of its repetitions; the table shows the median over rounds, the spread over rounds (min-max) and the ratio
Tessera / PyTorch of the medians. Both sides use the same nominal work per call, so the ratio is a time ratio.
"""
import argparse
import json
import re
import statistics
from collections import defaultdict


def jmh_key(entry):
    """The pytorch_cpu_ops.py label of a JMH result, e.g. ('sgemm', '3152x1152x384 NT')."""
    bench = entry["benchmark"].rsplit(".", 2)
    cls, method = bench[-2], bench[-1]
    p = entry.get("params", {})
    if cls == "SgemmBench":
        return "sgemm", f"{p['shape']} {p['layout']}"
    if cls == "LayerNormBench":
        return "layernorm", f"{method} {p['rows']}x{p['width']}"
    if cls == "SoftmaxBench":
        t = int(p["tokens"])
        return "softmax", f"{method} {int(p['batchHeads']) * t}x{t}"
    if cls == "AttentionBench":
        return "attention", f"{method} BH={p['batchHeads']} L={p['tokens']} d={p['headDim']}"
    if cls == "GatherBench":
        shape = {"keep": "16x49x384", "restore": "16x196x512"}[p["kind"]]
        return "gather", f"{method} {p['kind']} {shape}"
    return cls, method


def read_jmh(paths):
    rates, units = defaultdict(list), {}
    for path in paths:
        for e in json.load(open(path)):
            sec = e.get("secondaryMetrics", {})
            name = "gflops" if "gflops" in sec else "gbytes" if "gbytes" in sec else None
            if name is None:
                continue
            raw = [x for fork in sec[name]["rawData"] for x in fork]
            key = jmh_key(e)
            rates[key].append(statistics.median(raw))
            units[key] = "GFLOP/s" if name == "gflops" else "GB/s"
    return rates, units


LINE = re.compile(r"^(\w+)\s+(.+?)\s+([\d.]+) ms\s+(-?[\d.]+) (GFLOP/s|GB/s)$")


def read_torch(paths):
    rates = defaultdict(list)
    for path in paths:
        for line in open(path):
            m = LINE.match(line.strip())
            if m:
                rates[(m.group(1), m.group(2).strip())].append(float(m.group(4)))
    return rates


def fmt(values):
    if not values:
        return "–", "–"
    med = statistics.median(values)
    spread = f"{min(values):.1f}–{max(values):.1f}" if len(values) > 1 else ""
    return f"{med:.1f}", spread


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--jmh", nargs="+", required=True)
    ap.add_argument("--torch", nargs="+", required=True)
    args = ap.parse_args()
    tess, units = read_jmh(args.jmh)
    torch = read_torch(args.torch)
    print("| op | shape / case | unit | Tessera (median) | Tessera rounds | PyTorch (median) | PyTorch rounds "
          "| Tessera / PyTorch |")
    print("|---|---|---|---:|---|---:|---|---:|")
    for key in sorted(tess, key=lambda k: (k[0], k[1])):
        t_med, t_spread = fmt(tess[key])
        p_med, p_spread = fmt(torch.get(key, []))
        ratio = (f"{statistics.median(tess[key]) / statistics.median(torch[key]):.2f}"
                 if torch.get(key) and statistics.median(torch[key]) > 0 else "–")
        print(f"| {key[0]} | {key[1]} | {units[key]} | {t_med} | {t_spread} | {p_med} | {p_spread} | {ratio} |")


if __name__ == "__main__":
    main()
