// RUN: lpq-opt %s -lpq-set-vector-width=width=256 | FileCheck %s
// RUN: lpq-opt %s -lpq-set-vector-width | FileCheck %s --check-prefix=DEFAULT

/// Functions with a body get the attribute, replacing an earlier width and
/// keeping other passthrough entries; declarations are left alone.
// CHECK-LABEL: llvm.func @kernel
// CHECK-SAME: passthrough = ["nounwind", ["prefer-vector-width", "256"]]
// CHECK-LABEL: llvm.func @decl
// CHECK-NOT: passthrough
// DEFAULT: passthrough = ["nounwind", ["prefer-vector-width", "512"]]
llvm.func @kernel() attributes {passthrough = ["nounwind", ["prefer-vector-width", "512"]]} {
  llvm.return
}
llvm.func @decl()
