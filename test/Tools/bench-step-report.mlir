// bench/step_report.py over two rounds of lpq-bench-step and PyTorch lines
// (bench/step.sh's ROUNDS): times are the rounds' medians; each ratio is
// the median of the rounds' own ratios, with their range.
// RUN: python3 %S/../../bench/step_report.py %S/Inputs/step-rounds-lpq.txt %S/Inputs/step-rounds-torch.txt | FileCheck %s
// CHECK: | mlp (batch 128) | 1 | 3.50 | 4.50 | 1.29 (1.25-1.33) | 8.50 | 3.30 | 1.06 (0.97-1.14) | 18.00 | 4.0 (3.8-4.2) |
// CHECK: | mlp (batch 128) | 2 | 1.75 | 2.30 | 1.32 (1.30-1.33) | 4.50 | 3.35 | 0.52 (0.45-0.59) | 17.00 | 7.6 (6.2-9.0) |
// CHECK: | mlp | swalp | 6 | 100 / 105 | 3 / 85 | 114 | 6.0 (1.50) | 1200 |
/// One round and no PyTorch: single values, no ranges, dashes.
// RUN: head -4 %S/Inputs/step-rounds-lpq.txt > %t.txt
// RUN: python3 %S/../../bench/step_report.py %t.txt /dev/null | FileCheck %s --check-prefix=ONE
// ONE: | mlp (batch 128) | 1 | 3.00 | 4.00 | 1.33 | 8.00 | - | - | - | - |
