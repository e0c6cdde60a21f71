#!/usr/bin/env python3
"""Mutation fuzzing of lpq's tools: no input may crash them.

Splits the .mlir files under the given directories at `// -----`, keeps the
pieces that use lpq, makes small random edits to them (a number, an element
type, a dimension, a rounding mode, a deleted line, a dropped attribute
parameter, an axis or tile list; up to --edits of them per mutant), and runs
lpq-opt on each mutant with each pass or pipeline given. A mutant may be
rejected with a diagnostic (most are); lpq-opt must never crash, abort or
hang on one. With --lpq-translate, mutants that verify go through
lpq-translate's C header translation, and what the GPU pipeline makes of
them through its kernel-file translation; with --lpq-run, mutants the CPU
pipeline compiles are run (up to three public functions each, on
`--random-args`, at most --run-limit mutants), under a memory
limit: running out of memory there is reported, not counted as a crash.
Crashing mutants are copied to --keep with the command that crashed.

  scripts/fuzz-inputs.py --lpq-opt build/bin/lpq-opt test examples \
      --mutants 2000 --seed 1 [--edits 3] \
      [--lpq-translate build/bin/lpq-translate] [--lpq-run build/bin/lpq-run]

Exit status 1 when a mutant crashed a tool, 0 otherwise. Deterministic for a
given seed and set of inputs.
"""
import argparse
import os
import random
import re
import resource
import shutil
import subprocess
import sys

NUMBERS = ["0", "1", "-1", "2", "3", "4", "7", "8", "16", "31", "32", "33",
           "64", "127", "1000", "2147483647", "-5", "100000"]
TYPES = ["f32", "f64", "f16", "bf16", "i32", "i8", "i1", "index", "f8E4M3FN"]
DIMS = ["1x", "0x", "3x", "?x", "7x", "1024x"]
ROUNDINGS = ["stochastic", "nearest_even", "nearest_away", "toward_zero",
             "down", "up"]
LISTS = ["0", "1", "-1", "5", "[]", "[0]", "[1, 0]", "[0, 0]", "[3]"]


def pieces(dirs):
    for d in dirs:
        for root, _, files in sorted(os.walk(d)):
            for name in sorted(files):
                if not name.endswith(".mlir"):
                    continue
                text = open(os.path.join(root, name)).read()
                for i, part in enumerate(
                        re.split(r"^// -----\s*$", text, flags=re.M)):
                    if "lpq" in part:
                        yield f"{os.path.join(root, name)}#{i}", part


def replace_one(rng, text, pattern, choices):
    matches = list(re.finditer(pattern, text))
    if not matches:
        return None
    m = rng.choice(matches)
    return text[:m.start()] + rng.choice(choices) + text[m.end():]


def mutate(rng, text):
    kind = rng.randrange(7)
    if kind == 0:
        return replace_one(rng, text, r"(?<![\w%#@.])-?\d+(?![\w.])", NUMBERS)
    if kind == 1:
        return replace_one(rng, text, r"\b(f32|f64|f16|bf16|i32|i64)\b", TYPES)
    if kind == 2:
        lines = text.split("\n")
        del lines[rng.randrange(len(lines))]
        return "\n".join(lines)
    if kind == 3:
        return replace_one(rng, text, r"\d+x", DIMS)
    if kind == 4:
        return replace_one(rng, text, r"\b(" + "|".join(ROUNDINGS) + r")\b",
                           ROUNDINGS)
    if kind == 5:
        return replace_one(rng, text, r",\s*\w+\s*=\s*[^,>]+", [""])
    m = list(re.finditer(r"\b(axis|axes|tile)\s*=\s*(-?\d+|\[[^\]]*\])", text))
    if not m:
        return None
    x = rng.choice(m)
    return (text[:x.start()] + x.group(1) + " = " + rng.choice(LISTS) +
            text[x.end():])


def crashed(returncode, output):
    # A signal, an abort, or LLVM's crash banner. Diagnostics exit with 1.
    return (returncode < 0 or returncode > 1 or "Stack dump" in output or
            "PLEASE submit a bug report" in output)


def out_of_memory(output):
    return ("LLVM ERROR: out of memory" in output or
            "std::bad_alloc" in output)


def limit_memory():
    # lpq-run allocates what a mutant's shapes ask for: 8 GiB of address
    # space at most, so that a huge shape fails to allocate instead of
    # swapping the machine.
    resource.setrlimit(resource.RLIMIT_AS, (8 << 30, 8 << 30))


def run(cmd, timeout, limit=False):
    try:
        r = subprocess.run(cmd, capture_output=True, text=True,
                           timeout=timeout,
                           preexec_fn=limit_memory if limit else None)
        return r.returncode, r.stdout + r.stderr
    except subprocess.TimeoutExpired:
        return -999, "timeout"


def public_functions(text):
    return re.findall(r"func\.func\s+@([\w.$-]+)\s*\(", text)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dirs", nargs="+", help="directories of .mlir inputs")
    ap.add_argument("--lpq-opt", required=True)
    ap.add_argument("--mutants", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--pass", dest="passes", action="append",
                    help="lpq-opt option(s) per run; repeatable (default: "
                    "verify only, convert-lpq-to-arith, lpq-cpu-pipeline, "
                    "lpq-gpu-pipeline=format=isa, lpq-train-step)")
    ap.add_argument("--edits", type=int, default=1,
                    help="edits per mutant: 1 to this many (default 1)")
    ap.add_argument("--lpq-translate", default=None,
                    help="also translate the pipelines' outputs")
    ap.add_argument("--lpq-run", default=None,
                    help="also run mutants the CPU pipeline compiles")
    ap.add_argument("--run-limit", type=int, default=1000000,
                    help="run at most this many mutants with --lpq-run")
    ap.add_argument("--timeout", type=int, default=60)
    ap.add_argument("--keep", default="fuzz-crashes")
    ap.add_argument("--work", default=None,
                    help="directory for the mutants (default: --keep/work)")
    args = ap.parse_args()
    passes = args.passes or ["", "--convert-lpq-to-arith",
                             "--lpq-cpu-pipeline",
                             "--lpq-specialize-batch=size=3 "
                             "--lpq-cpu-pipeline",
                             "--lpq-gpu-pipeline=format=isa",
                             "--lpq-train-step"]
    rng = random.Random(args.seed)
    inputs = list(pieces(args.dirs))
    if not inputs:
        sys.exit("fuzz-inputs: no .mlir inputs using lpq in " +
                 " ".join(args.dirs))
    work = args.work or os.path.join(args.keep, "work")
    os.makedirs(work, exist_ok=True)
    path = os.path.join(work, "mutant.mlir")
    lowered = os.path.join(work, "lowered.mlir")
    kernels = os.path.join(work, "kernels")
    os.makedirs(kernels, exist_ok=True)
    verified = crashes = made = translated = ran = oom = 0

    def check(code, out, cmd, origin, files):
        """Counts and keeps a crash; `files` are the inputs of `cmd` to
        keep (the mutant, and what lpq-opt made of it)."""
        nonlocal crashes
        if not crashed(code, out):
            return
        crashes += 1
        os.makedirs(args.keep, exist_ok=True)
        kept = []
        for i, f in enumerate(files):
            kept.append(os.path.join(args.keep, f"crash{crashes}-{i}.mlir"))
            shutil.copy(f, kept[-1])
        shown = [kept[files.index(c)] if c in files else c for c in cmd]
        print(f"CRASH (exit {code}) on a mutant of {origin}: "
              f"{' '.join(shown)}")
        print("  " + "\n  ".join(out.strip().split("\n")[:4]))

    for n in range(args.mutants):
        origin, text = rng.choice(inputs)
        mutant = text
        for _ in range(rng.randint(1, max(1, args.edits))):
            mutant = mutate(rng, mutant) or mutant
        if mutant == text:
            continue
        made += 1
        with open(path, "w") as f:
            f.write(mutant)
        for p in passes:
            out_file = lowered if "lpq-gpu-pipeline" in p else os.devnull
            cmd = [args.lpq_opt, path, "-o", out_file] + p.split()
            code, out = run(cmd, args.timeout)
            if p == "" and code == 0:
                verified += 1
            if p == "" and code != 0 and not crashed(code, out):
                break  # rejected by the parser or verifier: passes skip it
            check(code, out, cmd, origin, [path])
            if code != 0:
                continue
            # The C header is made from the module as written, the kernel
            # files from the GPU pipeline's output.
            source = (path if p == "" else
                      lowered if "lpq-gpu-pipeline" in p else None)
            if args.lpq_translate and source:
                cmd = [args.lpq_translate, source, "-o", os.devnull]
                cmd += (["--lpq-to-c-header"] if p == "" else
                        ["--lpq-gpu-kernels", "--kernel-dir=" + kernels])
                code, out = run(cmd, args.timeout)
                translated += 1
                check(code, out, cmd, origin, [source])
            if (args.lpq_run and "lpq-cpu-pipeline" in p and
                    ran < args.run_limit):
                ran += 1
                for fn in public_functions(mutant)[:3]:
                    cmd = [args.lpq_run, path, "--entry=" + fn,
                           "--random-args"]
                    code, out = run(cmd, args.timeout, limit=True)
                    if out_of_memory(out):
                        oom += 1
                        continue
                    check(code, out, cmd, origin, [path])
        if (n + 1) % 200 == 0:
            print(f"fuzz-inputs: {n + 1}/{args.mutants} ...", file=sys.stderr)
    print(f"fuzz-inputs: {made} mutants of {len(inputs)} inputs "
          f"({verified} verify), {len(passes)} lpq-opt runs each, "
          f"{translated} translations, {ran} run with lpq-run "
          f"({oom} out of memory), {crashes} crashes")
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
