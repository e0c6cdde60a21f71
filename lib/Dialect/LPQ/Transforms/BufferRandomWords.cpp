//===- BufferRandomWords.cpp - Round stochastic groups in element order ---===//
//
// Part of the lpq project.
//
//===----------------------------------------------------------------------===//
//
// Stochastic rounding of a static last axis that is a multiple of 4 loops
// over Philox groups (`g`) with the group's four words innermost (`k`). Once
// the word loop is unrolled, LLVM vectorizes the group loop with stride-4
// loads and stores: each vector iteration deinterleaves 64 inputs into four
// vectors, rounds them, and interleaves the results again, two dozen
// shuffles that cost as much as the rounding itself.
//
// This pass splits such a group loop into tiles of `groups-per-tile` groups,
// each computed by two loops:
//
//   scf.for %g = %g0 to min(%g0 + T, G)         // Philox, once per group
//     %words[4 * (%g - %g0) + k] = <word k of group %g>, k = 0..3
//   affine.for %e = 0 to min(4T, 4G - 4 %g0)     // the rounding, per element
//     <the original body, its random word read from %words[%e],
//      its accesses of [.., %g, %k] as [.., 4 %g0 + %e] of a collapsed view>
//
// so the rounding reads and writes memory in element order and only the
// random words are interleaved, from the 64-bit lanes Philox runs in. The
// Philox loop is an scf.for so that it carries LLVM's interleave count 4
// (four independent chains of dependent multiplications in flight). The
// buffer (one per random value of the body) lives on the stack, one per
// thread. Every element gets the same word and the same operations as
// before: only the loop structure changes.
//
//===----------------------------------------------------------------------===//

#include "lpq/Dialect/LPQ/Transforms/Passes.h"
#include "RandomBits.h"

#include "mlir/Analysis/SliceAnalysis.h"
#include "mlir/AsmParser/AsmParser.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir::lpq {
#define GEN_PASS_DEF_LPQBUFFERRANDOMWORDSPASS
#include "lpq/Dialect/LPQ/Transforms/Passes.h.inc"
} // namespace mlir::lpq

using namespace mlir;

namespace {

/// Whether `cond` is `index_cast(word) == constant`.
bool comparesWord(Value cond, Value word) {
  auto cmp = cond.getDefiningOp<arith::CmpIOp>();
  if (!cmp || cmp.getPredicate() != arith::CmpIPredicate::eq)
    return false;
  auto isWord = [&](Value v) {
    auto cast = v.getDefiningOp<arith::IndexCastOp>();
    return cast && cast.getIn() == word;
  };
  return (isWord(cmp.getLhs()) && matchPattern(cmp.getRhs(), m_Constant())) ||
         (isWord(cmp.getRhs()) && matchPattern(cmp.getLhs(), m_Constant()));
}

/// A group loop (affine.for or one-dimensional affine.parallel from 0 to a
/// constant, step 1) whose body is one word loop (0 to 4) computing Philox.
struct GroupNest {
  Operation *groupLoop;
  affine::AffineForOp wordLoop;
  int64_t groups;
  /// The selections of a word out of Philox's four (outermost select of
  /// each chain), and the ops computing them.
  SmallVector<arith::SelectOp> words;
  SetVector<Operation *> wordSlice;
  /// Where the buffers are allocated: the body of the parallel loop the
  /// nest is in, or the function's entry block.
  Block *allocationBlock;
};

std::optional<int64_t> constantGroupCount(Operation *loop) {
  if (auto f = dyn_cast<affine::AffineForOp>(loop)) {
    if (!f.hasConstantBounds() || f.getConstantLowerBound() != 0 ||
        f.getStepAsInt() != 1)
      return std::nullopt;
    return f.getConstantUpperBound();
  }
  auto p = dyn_cast<affine::AffineParallelOp>(loop);
  if (!p || p.getNumDims() != 1 || p.getNumResults() != 0 ||
      p.getSteps()[0] != 1)
    return std::nullopt;
  AffineMap lb = p.getLowerBoundsMap(), ub = p.getUpperBoundsMap();
  if (!lb.isSingleConstant() || lb.getSingleConstantResult() != 0 ||
      !ub.isSingleConstant())
    return std::nullopt;
  return ub.getSingleConstantResult();
}

/// The reassociation merging the last two axes of `type`.
SmallVector<ReassociationIndices> lastTwoAxesMerged(MemRefType type) {
  int64_t rank = type.getRank();
  SmallVector<ReassociationIndices> merging;
  for (int64_t d = 0; d < rank - 2; ++d)
    merging.push_back({d});
  merging.push_back({rank - 2, rank - 1});
  return merging;
}

/// Whether `op` is an affine load or store at [.., %g, %k] (those two
/// nowhere else) of a memref defined outside the nest whose last two axes
/// (G, 4) can be merged.
bool mergesGroupAndWord(Operation *op, Value group, Value word,
                        int64_t groups) {
  AffineMap map;
  ValueRange operands;
  Value memref;
  if (auto load = dyn_cast<affine::AffineLoadOp>(op)) {
    map = load.getAffineMap();
    operands = load.getMapOperands();
    memref = load.getMemRef();
  } else if (auto store = dyn_cast<affine::AffineStoreOp>(op)) {
    if (store.getValue() == group || store.getValue() == word)
      return false;
    map = store.getAffineMap();
    operands = store.getMapOperands();
    memref = store.getMemRef();
  } else {
    return false;
  }
  Operation *def = memref.getDefiningOp();
  if (def && def->getBlock() == op->getBlock())
    return false;
  auto type = cast<MemRefType>(memref.getType());
  int64_t rank = type.getRank();
  if (rank < 2 || type.getDimSize(rank - 1) != 4 ||
      type.getDimSize(rank - 2) != groups ||
      !memref::CollapseShapeOp::isGuaranteedCollapsible(
          type, lastTwoAxesMerged(type)))
    return false;
  auto dimOf = [&](Value v) -> std::optional<unsigned> {
    for (unsigned i = 0; i < map.getNumDims(); ++i)
      if (operands[i] == v)
        return i;
    return std::nullopt;
  };
  std::optional<unsigned> g = dimOf(group), k = dimOf(word);
  if (!g || !k)
    return false;
  // Each of %g and %k is one dimension operand (no symbol), used only as
  // the last two results.
  if (llvm::count(operands, group) != 1 || llvm::count(operands, word) != 1)
    return false;
  for (unsigned r = 0; r < map.getNumResults(); ++r) {
    AffineExpr e = map.getResult(r);
    if (r + 2 == static_cast<unsigned>(rank)) {
      if (e != getAffineDimExpr(*g, op->getContext()))
        return false;
    } else if (r + 1 == static_cast<unsigned>(rank)) {
      if (e != getAffineDimExpr(*k, op->getContext()))
        return false;
    } else if (e.isFunctionOfDim(*g) || e.isFunctionOfDim(*k)) {
      return false;
    }
  }
  return true;
}

std::optional<GroupNest> matchGroupNest(affine::AffineForOp wordLoop) {
  if (!wordLoop.hasConstantBounds() || wordLoop.getConstantLowerBound() != 0 ||
      wordLoop.getConstantUpperBound() != 4 || wordLoop.getStepAsInt() != 1)
    return std::nullopt;
  GroupNest nest;
  nest.wordLoop = wordLoop;
  nest.groupLoop = wordLoop->getParentOp();
  Block *groupBody = wordLoop->getBlock();
  if (&groupBody->front() != wordLoop.getOperation() ||
      wordLoop->getNextNode() != groupBody->getTerminator())
    return std::nullopt;
  std::optional<int64_t> groups = constantGroupCount(nest.groupLoop);
  if (!groups || *groups <= 0)
    return std::nullopt;
  nest.groups = *groups;

  // A parallel loop around the nest must be in no loop (at the function's
  // top level, or in an scf.if there, e.g. lpq-skip-rounding-on-grid's): a
  // parallel loop nested in a sequential one could be folded into its
  // parent's body (one iteration), which would then allocate every time.
  auto parallel = isa<affine::AffineParallelOp>(nest.groupLoop)
                      ? cast<affine::AffineParallelOp>(nest.groupLoop)
                      : nest.groupLoop->getParentOfType<affine::AffineParallelOp>();
  if (parallel) {
    Operation *p = parallel->getParentOp();
    while (isa_and_nonnull<scf::IfOp>(p))
      p = p->getParentOp();
    if (!isa_and_nonnull<func::FuncOp>(p))
      return std::nullopt;
    nest.allocationBlock = parallel.getBody();
  } else {
    auto func = nest.groupLoop->getParentOfType<func::FuncOp>();
    if (!func)
      return std::nullopt;
    nest.allocationBlock = &func.getBody().front();
  }

  Block *body = wordLoop.getBody();
  Value word = wordLoop.getInductionVar();
  bool philox = false;
  for (Operation &op : *body) {
    if (op.getNumRegions())
      return std::nullopt;
    philox |= lpq::isPhiloxMultiply(&op);
    auto select = dyn_cast<arith::SelectOp>(op);
    if (!select || !comparesWord(select.getCondition(), word))
      continue;
    // The outermost select of a chain is used by something else.
    bool outermost = llvm::none_of(select->getUsers(), [&](Operation *user) {
      auto s = dyn_cast<arith::SelectOp>(user);
      return s && comparesWord(s.getCondition(), word);
    });
    if (outermost)
      nest.words.push_back(select);
  }
  if (!philox || nest.words.empty())
    return std::nullopt;
  BackwardSliceOptions options;
  options.inclusive = true;
  options.filter = [&](Operation *op) { return op->getBlock() == body; };
  for (arith::SelectOp select : nest.words)
    if (failed(getBackwardSlice(select.getOperation(), &nest.wordSlice,
                                options)))
      return std::nullopt;
  // The words must depend on indices only, so that computing them first
  // reorders nothing observable.
  if (llvm::any_of(nest.wordSlice,
                   [](Operation *op) { return !isMemoryEffectFree(op); }))
    return std::nullopt;
  // Everything else must address memory as [.., %g, %k] of a (.., G, 4)
  // buffer that merges into one axis, or not depend on %g and %k at all.
  // (MX's per-group scales, read at [.., %g], would become reads at
  // %e floordiv 4 in the element loop, which LLVM does not vectorize: the
  // rounding was five times slower.)
  Value group = nest.groupLoop->getRegion(0).getArgument(0);
  for (Operation &op : body->without_terminator()) {
    if (nest.wordSlice.contains(&op))
      continue;
    bool usesIndices = llvm::any_of(op.getOperands(), [&](Value v) {
      return v == group || v == word;
    });
    if (!usesIndices)
      continue;
    if (!mergesGroupAndWord(&op, group, word, nest.groups))
      return std::nullopt;
  }
  return nest;
}

/// Rewrites `nest` into tiles of `tile` groups (see the file comment).
void bufferWords(GroupNest &nest, int64_t tile) {
  MLIRContext *ctx = nest.groupLoop->getContext();
  Location loc = nest.groupLoop->getLoc();
  int64_t groups = nest.groups;
  tile = std::min(tile, groups);
  auto bufferType =
      MemRefType::get({4 * tile}, IntegerType::get(ctx, 32));
  affine::AffineForOp wordLoop = nest.wordLoop;
  Value oldGroup = nest.groupLoop->getRegion(0).getArgument(0);
  Value oldWord = wordLoop.getInductionVar();

  // The group loop steps by tiles; its induction variable becomes %g0.
  OpBuilder b(ctx);
  auto parallel = dyn_cast<affine::AffineParallelOp>(nest.groupLoop);
  if (parallel)
    parallel.setSteps(ArrayRef<int64_t>{tile});
  else
    cast<affine::AffineForOp>(nest.groupLoop).setStep(tile);
  Value tileStart = oldGroup;

  // Views of the accessed buffers with their last two axes (G, 4) merged
  // (matchGroupNest checked they merge), created before the group loop.
  DenseMap<Value, Value> collapsed;
  auto collapsedView = [&](Value memref) -> Value {
    Value &view = collapsed[memref];
    if (!view) {
      OpBuilder vb(nest.groupLoop);
      view = memref::CollapseShapeOp::create(
          vb, loc, memref,
          lastTwoAxesMerged(cast<MemRefType>(memref.getType())));
    }
    return view;
  };

  // The buffers: at the start of the parallel loop's body (one per
  // iteration, so one per thread; convert-scf-to-openmp gives that body its
  // own stack scope), or of the function when no loop around the group loop
  // is parallel. Never inside a sequential loop: a loop's body is no stack
  // scope once lowered to LLVM, and the stack would grow every iteration.
  b.setInsertionPointToStart(nest.allocationBlock);
  SmallVector<Value> buffers;
  for (size_t i = 0; i < nest.words.size(); ++i)
    buffers.push_back(memref::AllocaOp::create(b, loc, bufferType));
  b.setInsertionPoint(wordLoop);

  AffineExpr d0 = getAffineDimExpr(0, ctx), d1 = getAffineDimExpr(1, ctx);
  // The words: scf.for %g = %g0 to min(%g0 + T, G), the word loop unrolled.
  // An scf.for, so that it carries its loop annotation to LLVM: four
  // vectors of groups per iteration. Philox is a chain of ten dependent
  // multiplications; with one vector of groups per iteration (LLVM's
  // choice) the core waits on that chain.
  Value wordsEnd = affine::AffineMinOp::create(
      b, loc,
      AffineMap::get(1, 0, {d0 + tile, getAffineConstantExpr(groups, ctx)},
                     ctx),
      ValueRange{tileStart});
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  auto groupFor = scf::ForOp::create(b, loc, tileStart, wordsEnd, one);
  groupFor->setAttr("llvm.loop_annotation",
                    parseAttribute("#llvm.loop_annotation<interleave = "
                                   "<count = 4 : i32>>",
                                   ctx));
  {
    OpBuilder gb = OpBuilder::atBlockBegin(groupFor.getBody());
    Value g = groupFor.getInductionVar();
    // Philox once (what does not depend on the word), then each word's
    // selection with the word a constant, which folds it away.
    SetVector<Operation *> wordDependent;
    for (Operation &op : *wordLoop.getBody())
      if (nest.wordSlice.contains(&op) &&
          llvm::any_of(op.getOperands(), [&](Value v) {
            return v == oldWord || wordDependent.contains(v.getDefiningOp());
          }))
        wordDependent.insert(&op);
    IRMapping philox;
    philox.map(oldGroup, g);
    for (Operation &op : *wordLoop.getBody())
      if (nest.wordSlice.contains(&op) && !wordDependent.contains(&op))
        gb.clone(op, philox);
    Value base = affine::AffineApplyOp::create(
        gb, loc, AffineMap::get(2, 0, (d0 - d1) * 4), ValueRange{g, tileStart});
    for (int64_t k = 0; k < 4; ++k) {
      IRMapping map = philox;
      map.map(oldWord, arith::ConstantIndexOp::create(gb, loc, k));
      for (Operation &op : *wordLoop.getBody())
        if (wordDependent.contains(&op))
          gb.clone(op, map);
      Value index = arith::AddIOp::create(
          gb, loc, base, arith::ConstantIndexOp::create(gb, loc, k));
      for (auto [select, buffer] : llvm::zip(nest.words, buffers))
        memref::StoreOp::create(gb, loc, map.lookup(select.getResult()),
                                buffer, ValueRange{index});
    }
  }

  // The rounding: for %e = 0 to min(4T, 4G - 4 %g0) { ... }.
  auto elementsUpper =
      AffineMap::get(1, 0,
                     {getAffineConstantExpr(4 * tile, ctx),
                      getAffineConstantExpr(4 * groups, ctx) - d0 * 4},
                     ctx);
  auto elementFor = affine::AffineForOp::create(
      b, loc, ValueRange{}, AffineMap::getConstantMap(0, ctx),
      ValueRange{tileStart}, elementsUpper, 1);
  OpBuilder eb = OpBuilder::atBlockBegin(elementFor.getBody());
  Value element = elementFor.getInductionVar();
  IRMapping map;
  for (auto [select, buffer] : llvm::zip(nest.words, buffers))
    map.map(select.getResult(),
            affine::AffineLoadOp::create(eb, loc, buffer, ValueRange{element})
                .getResult());
  // The copies of Philox's ops made below (dead unless another op uses
  // them; dead ones are erased at the end) still use %g and %k:
  // %g0 + %e floordiv 4 and %e mod 4.
  map.map(oldGroup, affine::AffineApplyOp::create(
                        eb, loc, AffineMap::get(2, 0, d0 + d1.floorDiv(4)),
                        ValueRange{tileStart, element}));
  map.map(oldWord, affine::AffineApplyOp::create(
                       eb, loc, AffineMap::get(1, 0, d0 % 4), element));

  // [.., %g, %k] of (.., G, 4), the only accesses matchGroupNest lets use
  // %g and %k, is element 4 %g0 + %e of the merged last axis: the map's
  // other results, then d(n) * 4 + d(n + 1) over operands (..., %g0, %e).
  auto mergedAccess = [&](AffineMap accessMap, ValueRange operands,
                          SmallVector<Value> &newOperands) {
    unsigned n = accessMap.getNumDims();
    SmallVector<AffineExpr> results(accessMap.getResults().drop_back(2));
    results.push_back(getAffineDimExpr(n, ctx) * 4 +
                      getAffineDimExpr(n + 1, ctx));
    // The map no longer uses the operands that were %g and %k; they become
    // %g0, dropped by canonicalization.
    for (Value v : operands.take_front(n))
      newOperands.push_back(v == oldGroup || v == oldWord
                                ? tileStart
                                : map.lookupOrDefault(v));
    newOperands.push_back(tileStart);
    newOperands.push_back(element);
    for (Value v : operands.drop_front(n))
      newOperands.push_back(map.lookupOrDefault(v));
    return AffineMap::get(n + 2, accessMap.getNumSymbols(), results, ctx);
  };

  for (Operation &op : wordLoop.getBody()->without_terminator()) {
    if (llvm::any_of(nest.words,
                     [&](arith::SelectOp s) { return s == &op; }))
      continue;
    SmallVector<Value> operands;
    auto load = dyn_cast<affine::AffineLoadOp>(op);
    auto store = dyn_cast<affine::AffineStoreOp>(op);
    if (load && llvm::is_contained(load.getMapOperands(), oldGroup)) {
      AffineMap m =
          mergedAccess(load.getAffineMap(), load.getMapOperands(), operands);
      auto merged = affine::AffineLoadOp::create(
          eb, load.getLoc(), collapsedView(load.getMemRef()), m, operands);
      map.map(load.getResult(), merged.getResult());
    } else if (store && llvm::is_contained(store.getMapOperands(), oldGroup)) {
      AffineMap m =
          mergedAccess(store.getAffineMap(), store.getMapOperands(), operands);
      affine::AffineStoreOp::create(eb, store.getLoc(),
                                    map.lookupOrDefault(store.getValue()),
                                    collapsedView(store.getMemRef()), m,
                                    operands);
    } else {
      eb.clone(op, map);
    }
  }
  wordLoop.erase();
  // The copies of Philox the rounding no longer uses.
  SmallVector<Operation *> ops;
  for (Operation &op : elementFor.getBody()->without_terminator())
    ops.push_back(&op);
  for (Operation *op : llvm::reverse(ops))
    if (isOpTriviallyDead(op))
      op->erase();
}

struct LPQBufferRandomWordsPass
    : mlir::lpq::impl::LPQBufferRandomWordsPassBase<LPQBufferRandomWordsPass> {
  using Base::Base;

  void runOnOperation() override {
    if (static_cast<int64_t>(groupsPerTile) <= 0) {
      getOperation()->emitError()
          << "lpq-buffer-random-words: groups-per-tile must be positive, got "
          << static_cast<int64_t>(groupsPerTile);
      return signalPassFailure();
    }
    SmallVector<GroupNest> nests;
    getOperation()->walk([&](affine::AffineForOp loop) {
      if (std::optional<GroupNest> nest = matchGroupNest(loop))
        nests.push_back(std::move(*nest));
    });
    for (GroupNest &nest : nests)
      bufferWords(nest, groupsPerTile);
  }
};

} // namespace
