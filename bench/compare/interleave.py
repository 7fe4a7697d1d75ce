"""Tessera vs PyTorch step time in short alternating rounds, robust to a shared machine's load.

  python3 bench/compare/interleave.py --model mae-vit-base-patch16 --batch 8 --rounds 5 --steps 5 --warmup 2 \\
      --threads 2 --json bench/compare/interleave-maeB-b8.json

Each round runs Tessera's `tessera bench step` (a fresh JVM: its --warmup steps absorb the JIT, the buffer pools
and the first-touch page faults, so every round is warmed up the same way) and then the PyTorch twin
(pytorch_mae.py / pytorch_cae.py / pytorch_vit.py, chosen from the preset's prefix), in ABBA order (round 1:
Tessera first, round 2: PyTorch first, ...) so that a load that rises or falls during a round hits both sides
alike. For every round both sides' median wall time and median process CPU time (all threads) per step are
recorded, with the round's ratio Tessera ÷ PyTorch (< 1: Tessera faster); the summary is the median ratio over
the rounds. CPU time does not grow when other processes take the cores, so the CPU-time ratio is the steadier
figure on a busy machine; wall time is what the issue's goal is stated in. Each round also records the ratio of
the two sides' best (fastest) steps: on the shared 2-core machines one core often runs a third slower than the
other for seconds at a time, which can slow a whole 5-step run of one side; the best step of a run is the least
disturbed estimate, so its ratio is printed beside the median's (the summary's headline stays the median).

The PyTorch command alone runs with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset and the OpenMP OpenBLAS first on
LD_LIBRARY_PATH (--blas-lib), so OpenBLAS picks its AVX-512 kernels; the twin records that core and refuses a
256-bit one on an AVX-512 CPU. /proc/loadavg is recorded before every run.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))


def twin_script(model):
    for prefix, script in (("mae-", "pytorch_mae.py"), ("cae-", "pytorch_cae.py"), ("vit-", "pytorch_vit.py")):
        if model.startswith(prefix):
            return os.path.join(HERE, script)
    sys.exit(f"interleave.py: --model {model}: no PyTorch twin (names start with mae-, cae- or vit-)")


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return f.read().split()[0]
    except OSError:
        return None


def run_side(name, cmd, env, json_path):
    """Runs one side's command; returns its JSON result with the load average it started under."""
    load = loadavg()
    t0 = time.perf_counter()
    p = subprocess.run(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if p.returncode != 0:
        sys.stderr.write(p.stdout)
        sys.exit(f"interleave.py: the {name} command failed (exit {p.returncode}): {' '.join(cmd)}")
    with open(json_path) as f:
        r = json.load(f)
    return dict(median_ms=r["median_ms"], median_cpu_ms=r.get("median_cpu_ms"), step_ms=r["step_ms"],
                step_cpu_ms=r.get("step_cpu_ms"), loadavg=load, run_s=time.perf_counter() - t0,
                blas=r.get("blas"), framework=r.get("framework", "tessera"))


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="a preset both sides have (mae-*, cae-*, vit-*)")
    ap.add_argument("--batch", type=int, required=True)
    ap.add_argument("--rounds", type=int, default=5, help="alternating rounds (at least 3)")
    ap.add_argument("--steps", type=int, default=5, help="measured steps per side per round")
    ap.add_argument("--warmup", type=int, default=2, help="unmeasured steps per side per round")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--tessera", default=os.path.join(ROOT, "tessera"), help="the launcher (default ./tessera)")
    ap.add_argument("--python", default="/usr/bin/python3", help="the interpreter with torch")
    ap.add_argument("--blas-lib", default="/usr/lib/x86_64-linux-gnu/openblas-openmp",
                    help="prepended to the PyTorch command's LD_LIBRARY_PATH")
    ap.add_argument("--tessera-arg", action="append", default=[], help="an extra argument for `tessera bench step`")
    ap.add_argument("--json", help="write every round and the summary here")
    a = ap.parse_args()
    if a.rounds < 3:
        ap.error("--rounds must be at least 3 (the median ratio of fewer rounds is not robust)")
    if a.batch < 1 or a.steps < 1 or a.warmup < 0 or a.threads < 1:
        ap.error("need --batch >= 1, --steps >= 1, --warmup >= 0, --threads >= 1")
    script = twin_script(a.model)

    torch_env = dict(os.environ)
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        torch_env.pop(var, None)
    torch_env["LD_LIBRARY_PATH"] = a.blas_lib + (":" + os.environ["LD_LIBRARY_PATH"] if os.environ.get("LD_LIBRARY_PATH") else "")
    common = ["--model", a.model, "--batch", str(a.batch), "--steps", str(a.steps), "--warmup", str(a.warmup),
              "--threads", str(a.threads)]

    rounds = []
    with tempfile.TemporaryDirectory() as tmp:
        tj, pj = os.path.join(tmp, "tessera.json"), os.path.join(tmp, "pytorch.json")
        sides = {
            "tessera": ([a.tessera, "bench", "step", "--device", "cpu", *common, *a.tessera_arg, "--json", tj], dict(os.environ), tj),
            "pytorch": ([a.python, script, "--device", "cpu", *common, "--json", pj], torch_env, pj),
        }
        for i in range(a.rounds):
            order = ["tessera", "pytorch"] if i % 2 == 0 else ["pytorch", "tessera"]
            r = {name: run_side(name, *sides[name]) for name in order}
            r["order"] = order
            r["wall_ratio"] = r["tessera"]["median_ms"] / r["pytorch"]["median_ms"]
            tc, pc = r["tessera"]["median_cpu_ms"], r["pytorch"]["median_cpu_ms"]
            r["cpu_ratio"] = tc / pc if tc and pc else None
            r["best_ratio"] = min(r["tessera"]["step_ms"]) / min(r["pytorch"]["step_ms"])
            rounds.append(r)
            print(f"round {i + 1}/{a.rounds} ({' then '.join(order)}): Tessera {r['tessera']['median_ms']:.1f} ms "
                  f"(cpu {tc or float('nan'):.1f}), PyTorch {r['pytorch']['median_ms']:.1f} ms (cpu {pc or float('nan'):.1f})"
                  f" -> ratio {r['wall_ratio']:.3f} wall, {r['cpu_ratio'] or float('nan'):.3f} cpu,"
                  f" {r['best_ratio']:.3f} best step;"
                  f" load {r['tessera']['loadavg']}/{r['pytorch']['loadavg']}", flush=True)

    core = (rounds[0]["pytorch"].get("blas") or {}).get("core")
    summary = dict(model=a.model, batch=a.batch, threads=a.threads, rounds=a.rounds, steps=a.steps, warmup=a.warmup,
                   openblas_core=core, median_wall_ratio=median(r["wall_ratio"] for r in rounds),
                   median_cpu_ratio=median(r["cpu_ratio"] for r in rounds),
                   median_best_ratio=median(r["best_ratio"] for r in rounds),
                   tessera_median_ms=median(r["tessera"]["median_ms"] for r in rounds),
                   pytorch_median_ms=median(r["pytorch"]["median_ms"] for r in rounds),
                   tessera_median_cpu_ms=median(r["tessera"]["median_cpu_ms"] for r in rounds),
                   pytorch_median_cpu_ms=median(r["pytorch"]["median_cpu_ms"] for r in rounds),
                   date=time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()), machine=os.uname().nodename)
    print(f"{a.model} b{a.batch}, {a.threads} threads, OpenBLAS core {core}: median ratio Tessera/PyTorch "
          f"{summary['median_wall_ratio']:.3f} wall, {summary['median_cpu_ratio'] or float('nan'):.3f} cpu, "
          f"{summary['median_best_ratio']:.3f} best step over {a.rounds} rounds "
          f"(Tessera {summary['tessera_median_ms']:.1f} ms, PyTorch {summary['pytorch_median_ms']:.1f} ms per step)")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(dict(summary=summary, rounds=rounds), f, indent=2)


if __name__ == "__main__":
    main()
