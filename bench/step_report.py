#!/usr/bin/env python3
"""Turns lpq-bench-step's and torch_swalp_step.py's key=value lines into the
markdown tables of bench/RESULTS.md, with the ratios issue #6 asks for and
whether each target is met. Usage: step_report.py LPQ.txt TORCH.txt

The files may hold several rounds (bench/step.sh runs lpq and PyTorch in
turn, ROUNDS times): each time is the median over the rounds, each ratio
the median of the rounds' own ratios (lpq and PyTorch of the same round,
timed minutes apart at most), with its range across the rounds."""
import statistics
import sys


def records(path):
    rows = []
    for line in open(path):
        fields = dict(f.split("=", 1) for f in line.split() if "=" in f)
        if fields:
            rows.append(fields)
    return rows


def find_all(rows, **keys):
    return [r for r in rows
            if all(r.get(k) == str(v) for k, v in keys.items())]


def find(rows, **keys):
    found = find_all(rows, **keys)
    return found[0] if found else None


def median(values):
    return statistics.median(values)


def ratio(values, digits):
    """The median of per-round ratios, with their range when they differ."""
    text = f"{median(values):.{digits}f}"
    if len(values) > 1:
        text += f" ({min(values):.{digits}f}-{max(values):.{digits}f})"
    return text


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
            rs = find_all(lpq, model=m, threads=t)
            ps = find_all(torch, model=m, threads=t)
            fp = [float(r["fp32_ms"]) for r in rs]
            lp = [float(r["swalp_ms"]) for r in rs]
            un = [float(r["swalp_unfused_ms"]) for r in rs]
            cells = [f"{m} (batch {batch[m]})", str(t), f"{median(fp):.2f}",
                     f"{median(lp):.2f}",
                     ratio([b / a for a, b in zip(fp, lp)], 2),
                     f"{median(un):.2f}"]
            if ps:
                tf = [float(p["fp32_ms"]) for p in ps]
                ts = [float(p["swalp_ms"]) for p in ps]
                cells += [f"{median(tf):.2f}",
                          ratio([a / b for a, b in zip(fp, tf)], 2),
                          f"{median(ts):.2f}",
                          ratio([b / a for a, b in zip(lp, ts)], 1)]
            else:
                cells += ["-"] * 4
            print("| " + " | ".join(cells) + " |")
    print()
    print("### Loops per step")
    print()
    print("| model | recipe | contractions | loop nests fused / unfused | "
          "OpenMP regions fused / unfused (target <= contractions + 3) | "
          "GPU kernels (lpq-gpu-pipeline) | GPU memory lines per step, "
          "millions (lines per warp access; static estimate, "
          "lpq-gpu-access-report) | most accesses by one GPU thread |")
    print("|---|---|---|---|---|---|---|---|")
    for m in models:
        for recipe in ("fp32", "swalp"):
            r = find(lpq, model=m, recipe=recipe)
            print(f"| {m} | {recipe} | {r['contractions']} | "
                  f"{r['nests_fused']} / {r['nests_unfused']} | "
                  f"{r['regions_fused']} / {r['regions_unfused']} | "
                  f"{r['gpu_kernels']} | "
                  f"{int(r['gpu_lines']) / 1e6:.1f} "
                  f"({int(r['gpu_lines']) / max(int(r['gpu_accesses']), 1):.2f}) | "
                  f"{r['gpu_thread_accesses']} |")


if __name__ == "__main__":
    main()
