// lpq-run train checks its options before it compiles or trains, so that a
// bad value or an output path in a missing directory does not cost a run.
// RUN: not lpq-run train %s --epochs=0 2>&1 | FileCheck %s --check-prefix=EPOCHS
// RUN: not lpq-run train %s --lr=-1 2>&1 | FileCheck %s --check-prefix=EPOCHS
// RUN: not lpq-run train %s --lr=nan 2>&1 | FileCheck %s --check-prefix=EPOCHS
// RUN: not lpq-run train %s --swa-start=-3 2>&1 | FileCheck %s --check-prefix=SWA
// RUN: not lpq-run train %s --swa-lr=0 2>&1 | FileCheck %s --check-prefix=SWALR
// RUN: not lpq-run train %s --train-limit=-5 2>&1 | FileCheck %s --check-prefix=LIMIT
// RUN: not lpq-run train %s --steps=0 --data=synthetic-regression 2>&1 | FileCheck %s --check-prefix=STEPS
// RUN: not lpq-run train %s --num-threads=-1 2>&1 | FileCheck %s --check-prefix=THREADS
// RUN: not lpq-run train %s --batch=-1 2>&1 | FileCheck %s --check-prefix=BATCH
// RUN: not lpq-run train %s --eps0=nan 2>&1 | FileCheck %s --check-prefix=EPS0
// RUN: not lpq-run train %s --eps-decay-start=-2 2>&1 | FileCheck %s --check-prefix=EPSSTART
// RUN: not lpq-run train %s --eps-decay=2 2>&1 | FileCheck %s --check-prefix=EPSDECAY
// RUN: not lpq-run train %s --metrics=%t.missing/m.json 2>&1 | FileCheck %s --check-prefix=METRICS
// RUN: not lpq-run train %s --save-params=%t.missing/p 2>&1 | FileCheck %s --check-prefix=SAVE
// RUN: not lpq-run train %s --data=bogus 2>&1 | FileCheck %s --check-prefix=DATA
// RUN: not lpq-run train %s --device=cuda 2>&1 | FileCheck %s --check-prefix=DEVICE
// RUN: not lpq-run train %s --arg=3 2>&1 | FileCheck %s --check-prefix=ARG
// RUN: not lpq-run train %s 2>&1 | FileCheck %s --check-prefix=MODULE
// RUN: lpq-run train --help | FileCheck %s --check-prefix=HELP

// EPOCHS: lpq-run: error: --epochs must be >= 1 and --lr > 0
// SWA: lpq-run: error: --swa-start must be an epoch (>= 0) or -1 (never)
// SWALR: lpq-run: error: --swa-lr must be > 0
// LIMIT: lpq-run: error: --train-limit, --test-limit and --examples must be >= 0
// STEPS: lpq-run: error: --steps must be >= 1, --average-from and --noise >= 0
// THREADS: lpq-run: error: --num-threads must be >= 0
// BATCH: lpq-run: error: --batch must be >= 1 (0: the model's, or 128)
// EPS0: lpq-run: error: --eps0 must be >= 0
// EPSSTART: lpq-run: error: --eps-decay-start must be an epoch (>= 0)
// EPSDECAY: lpq-run: error: --eps-decay must be in (0, 1]
// METRICS: lpq-run: error: --metrics={{.*}}.missing/m.json: directory '{{.*}}.missing' does not exist or is not writable
// SAVE: lpq-run: error: --save-params={{.*}}.missing/p: directory
// DATA: lpq-run: error: --data must be fashion-mnist, synthetic-regression or synthetic-logistic, got 'bogus'
/// The options of running one function, which LLVM's parser also lets a
/// subcommand take, are refused rather than ignored.
// DEVICE: lpq-run: error: --device is an option of running one function; `lpq-run train` does not take it (it trains on the CPU)
// ARG: lpq-run: error: --arg is an option of running one function
/// With valid options, a module that lpq-train-step did not build is refused.
/// The trainer's help lists its options and the compilation flags it shares
/// with lpq-run, not LLVM's.
// HELP-NOT: --aarch64
// HELP: --epochs=
// HELP: --no-fusion
// HELP-NOT: --x86-
// MODULE: lpq-run: error: the module has no 'train_step' function: run `lpq-opt --lpq-train-step` on the model first

func.func @forward(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
