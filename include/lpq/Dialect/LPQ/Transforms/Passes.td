//===- Passes.td - lpq dialect passes ------------------------*- tablegen -*-===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//

#ifndef LPQ_DIALECT_LPQ_TRANSFORMS_PASSES_TD
#define LPQ_DIALECT_LPQ_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def LPQAssignStreamsPass : Pass<"lpq-assign-streams", "::mlir::ModuleOp"> {
  let summary = "Give every stochastic rounding op its own random stream";
  let description = [{
    Stochastic rounding draws its random bits from Philox4x32-10 with the
    op's `stream` id in the counter, so two ops with the same id, seed and
    step would use the same bits and their rounding errors would be
    correlated. This pass walks the module in order, keeps the first op
    with each stream id and gives every later duplicate the smallest id not
    yet used, so every stochastic rounding op draws from its own stream.
    With `renumber`, every op is renumbered 0, 1, 2, ... in walk order.

    Example: two ops with `stream 0` become `stream 0` and `stream 1`.
  }];
  let options = [
    Option<"renumber", "renumber", "bool", /*default=*/"false",
           "Renumber every stochastic rounding op from 0 in walk order">,
  ];
}

#endif // LPQ_DIALECT_LPQ_TRANSFORMS_PASSES_TD
