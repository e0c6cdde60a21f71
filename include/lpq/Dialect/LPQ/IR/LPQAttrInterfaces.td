//===- LPQAttrInterfaces.td - lpq attribute interfaces -------*- tablegen -*-===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//

#ifndef LPQ_DIALECT_LPQ_IR_LPQATTRINTERFACES_TD
#define LPQ_DIALECT_LPQ_IR_LPQATTRINTERFACES_TD

include "mlir/IR/OpBase.td"

def LPQ_FormatAttrInterface : AttrInterface<"FormatAttrInterface"> {
  let cppNamespace = "::mlir::lpq";
  let description = [{
    A number format that `lpq.quantize` and related ops round onto. Every
    format converts to the reference numerics library's description of it,
    which defines its semantics.
  }];
  let methods = [
    InterfaceMethod<"Returns the format as the reference numerics library "
                    "describes it.",
                    "::mlir::lpq::numerics::Format", "getNumericsFormat">,
  ];
}

#endif // LPQ_DIALECT_LPQ_IR_LPQATTRINTERFACES_TD
