#!/usr/bin/env python3
"""Turns lpq-bench-step's and torch_swalp_step.py's key=value lines into the
markdown tables of bench/RESULTS.md, with the ratios issue #6 asks for and
whether each target is met. Usage: step_report.py LPQ.txt TORCH.txt"""
import sys


def records(path):
    rows = []
    for line in open(path):
        fields = dict(f.split("=", 1) for f in line.split() if "=" in f)
        if fields:
            rows.append(fields)
    return rows


def find(rows, **keys):
    for r in rows:
        if all(r.get(k) == str(v) for k, v in keys.items()):
            return r
    return None


def main():
    lpq, torch = records(sys.argv[1]), records(sys.argv[2])
    models = [m for m in ("mlp", "cnn") if find(lpq, model=m, recipe="fp32")]
    batch = {"mlp": 128, "cnn": 64}

    print("### Time per step (median, ms)")
    print()
    print("| model | threads | lpq fp32 | lpq SWALP | SWALP / fp32 "
          "(target <= 1.3) | lpq SWALP unfused | PyTorch fp32 | "
          "lpq fp32 / PyTorch (target <= 1.2) | PyTorch SWALP-emulated | "
          "speed-up over it (target >= 10) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for m in models:
        for t in (1, 2):
            r = find(lpq, model=m, threads=t)
            p = find(torch, model=m, threads=t)
            fp, lp = float(r["fp32_ms"]), float(r["swalp_ms"])
            cells = [f"{m} (batch {batch[m]})", str(t), f"{fp:.2f}",
                     f"{lp:.2f}", f"{lp / fp:.2f}",
                     f"{float(r['swalp_unfused_ms']):.2f}"]
            if p:
                tf, ts = float(p["fp32_ms"]), float(p["swalp_ms"])
                cells += [f"{tf:.2f}", f"{fp / tf:.2f}", f"{ts:.2f}",
                          f"{ts / lp:.1f}"]
            else:
                cells += ["-"] * 4
            print("| " + " | ".join(cells) + " |")
    print()
    print("### Loops per step")
    print()
    print("| model | recipe | contractions | loop nests fused / unfused | "
          "OpenMP regions fused / unfused (target <= contractions + 3) | "
          "GPU kernels (lpq-gpu-pipeline) |")
    print("|---|---|---|---|---|---|")
    for m in models:
        for recipe in ("fp32", "swalp"):
            r = find(lpq, model=m, recipe=recipe)
            print(f"| {m} | {recipe} | {r['contractions']} | "
                  f"{r['nests_fused']} / {r['nests_unfused']} | "
                  f"{r['regions_fused']} / {r['regions_unfused']} | "
                  f"{r['gpu_kernels']} |")


if __name__ == "__main__":
    main()
