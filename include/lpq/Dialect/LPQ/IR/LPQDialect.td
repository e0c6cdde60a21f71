//===- LPQDialect.td - The lpq dialect ---------------------*- tablegen -*-===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//

#ifndef LPQ_DIALECT_LPQ_IR_LPQDIALECT_TD
#define LPQ_DIALECT_LPQ_IR_LPQDIALECT_TD

include "mlir/IR/OpBase.td"

def LPQ_Dialect : Dialect {
  let name = "lpq";
  let cppNamespace = "::mlir::lpq";
  let summary = "Low-precision number formats, rounding and weight averaging";
  let description = [{
    The lpq dialect describes low-precision ("fake quantized") training:
    number formats as attributes (fixed point, minifloats, block floating
    point, MX-style scaled minifloats, binary and ternary row formats) and ops
    that round float32 tensors onto them, deterministically or
    stochastically, plus the running weight average of SWA.

    Every op computes in float32: its result is a float32 tensor whose values
    all lie in the format. The exact semantics, shared bit for bit by the
    reference numerics library and every generated kernel, are in
    `docs/numerics.md`.
  }];
  let useDefaultAttributePrinterParser = 1;
  let hasConstantMaterializer = 1;
  let dependentDialects = ["::mlir::arith::ArithDialect"];
  let extraClassDeclaration = [{
    /// Registers the format attributes (defined in LPQAttrs.cpp, where their
    /// storage classes are visible).
    void registerAttributes();
  }];
}

class LPQ_Op<string mnemonic, list<Trait> traits = []>
    : Op<LPQ_Dialect, mnemonic, traits>;

#endif // LPQ_DIALECT_LPQ_IR_LPQDIALECT_TD
