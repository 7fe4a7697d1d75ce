"""Prints the Tessera-vs-PyTorch step table from a bench/compare/run.sh output folder.

  python3 bench/compare/step_table.py bench/compare/out-<date>

Pairs <case>.tessera.json with <case>.pytorch.json (and .pytorch-compiled.json when present); the ratio is
Tessera images/s ÷ PyTorch images/s, so > 1 means Tessera is faster.
"""
import glob
import json
import os
import sys


def main():
    folder = sys.argv[1] if len(sys.argv) > 1 else sys.exit(__doc__)
    rows = []
    for t in sorted(glob.glob(os.path.join(folder, "*.tessera.json"))):
        case = os.path.basename(t)[: -len(".tessera.json")]
        tj = json.load(open(t))
        for kind in ("pytorch", "pytorch-compiled"):
            p = os.path.join(folder, f"{case}.{kind}.json")
            if not os.path.exists(p):
                continue
            pj = json.load(open(p))
            mfu = tj.get("mfu")
            rows.append((tj["model"].split(" ")[0], tj["batch"], tj["precision"], tj["img_per_s"], tj["median_ms"],
                         "—" if mfu is None else f"{100 * mfu:.1f}%", kind.replace("pytorch", "eager") if kind == "pytorch"
                         else "compiled", pj["img_per_s"], pj["median_ms"], tj["img_per_s"] / pj["img_per_s"]))
    if not rows:
        sys.exit(f"no <case>.tessera.json with a PyTorch twin in {folder}")
    print("| model | batch | precision | Tessera img/s | Tessera ms/step | MFU | PyTorch | PyTorch img/s | PyTorch ms/step | ratio |")
    print("|---|---:|---|---:|---:|---:|---|---:|---:|---:|")
    for r in rows:
        print(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]:.1f} | {r[4]:.1f} | {r[5]} | {r[6]} | {r[7]:.1f} | {r[8]:.1f} | {r[9]:.2f}× |")


if __name__ == "__main__":
    main()
