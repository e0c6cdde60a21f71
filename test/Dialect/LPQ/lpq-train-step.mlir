// RUN: lpq-opt %S/Inputs/tiny_mlp.mlir -lpq-train-step="recipe=swalp" | FileCheck %s --check-prefix=SWALP
// RUN: lpq-opt %S/Inputs/tiny_mlp.mlir -lpq-train-step | FileCheck %s --check-prefix=FP32
// RUN: lpq-opt %S/Inputs/tiny_mlp.mlir -lpq-train-step="recipe=sgd-lp word-length=4 a-format=#lpq.fixed<8,4> w-rounding=nearest_away e-format=none momentum=0.5 weight-decay=0.25" | FileCheck %s --check-prefix=CUSTOM
// RUN: lpq-opt %S/Inputs/tiny_mlp.mlir -lpq-train-step="recipe=swalp" -lpq-cpu-pipeline | FileCheck %s --check-prefix=LOWERED

/// With recipe swalp, W, G, M, Acc with one exponent per row (vectors: per tensor), A
/// and E per tensor, stochastic, one stream each, the step counter and seed
/// from the arguments. The input batch is not quantized; the hidden
/// activation entering the second matmul is. The weight quantizers expect
/// their input on the grid (the accumulator, rounded onto the same format);
/// without an accumulator quantizer they do not.
// RUN: lpq-opt %S/Inputs/tiny_mlp.mlir -lpq-train-step="recipe=swalp acc-format=none" | FileCheck %s --check-prefix=NOACC
// NOACC: lpq.stochastic_round {{.*}} stream 0 {lpq.role = "W"}
// NOACC-NOT: lpq.expect_on_grid
// SWALP: module attributes {lpq.loss = "cross-entropy", lpq.recipe = "swalp"}
// SWALP: func.func @forward(
// SWALP-LABEL: func.func @train_step(
// SWALP-SAME: %[[W:[a-z0-9]+]]: tensor<5x6xf32>, %[[B:[a-z0-9]+]]: tensor<5xf32>, %[[W2:[a-z0-9]+]]: tensor<3x5xf32>,
// SWALP-SAME: %{{.*}}: tensor<5x6xf32>, %{{.*}}: tensor<5xf32>, %{{.*}}: tensor<3x5xf32>,
// SWALP-SAME: %[[X:[a-z0-9]+]]: tensor<4x6xf32>, %{{.*}}: tensor<4xi32>, %{{.*}}: f32, %[[SEED:[a-z0-9]+]]: i64, %[[STEP:[a-z0-9]+]]: i32)
// SWALP-SAME: -> (tensor<f32>, tensor<4x3xf32>, tensor<5x6xf32>, tensor<5xf32>, tensor<3x5xf32>, tensor<5x6xf32>, tensor<5xf32>, tensor<3x5xf32>)
// SWALP: lpq.stochastic_round %[[W]], %[[SEED]], %[[STEP]] : tensor<5x6xf32> to #lpq.block<8, axis = [0]> stream 0 {lpq.expect_on_grid, lpq.role = "W"}
// SWALP: lpq.stochastic_round %[[B]], %[[SEED]], %[[STEP]] : tensor<5xf32> to #lpq.block<8> stream 1 {lpq.expect_on_grid, lpq.role = "W"}
// SWALP: lpq.stochastic_round %[[W2]], %[[SEED]], %[[STEP]] : tensor<3x5xf32> to #lpq.block<8, axis = [0]> stream 2 {lpq.expect_on_grid, lpq.role = "W"}
// SWALP-NOT: lpq.stochastic_round %[[X]]
// SWALP: lpq.stochastic_round %{{.*}} : tensor<4x5xf32> to #lpq.block<8> stream 3 {lpq.role = "A"}
// SWALP: lpq.stochastic_round %{{.*}} : tensor<4x5xf32> to #lpq.block<8> stream 4 {lpq.role = "E"}
// SWALP: lpq.stochastic_round %{{.*}} : tensor<5x6xf32> to #lpq.block<8, axis = [0]> stream 5 {lpq.role = "G"}
// SWALP: lpq.stochastic_round %{{.*}} : tensor<5x6xf32> to #lpq.block<8, axis = [0]> stream 6 {lpq.role = "Acc"}
// SWALP: lpq.stochastic_round %{{.*}} : tensor<5x6xf32> to #lpq.block<8, axis = [0]> stream 7 {lpq.role = "M"}
// SWALP: lpq.stochastic_round %{{.*}} : tensor<5xf32> to #lpq.block<8> stream 8 {lpq.role = "G"}
// SWALP: stream 13 {lpq.role = "M"}
// SWALP: return
// SWALP-LABEL: func.func @evaluate(
// SWALP-SAME: tensor<5x6xf32>, %{{.*}}: tensor<5xf32>, %{{.*}}: tensor<3x5xf32>, %{{.*}}: tensor<4x6xf32>, %{{.*}}: i64, %{{.*}}: i32) -> tensor<4x3xf32>
// SWALP: stream 14 {lpq.expect_on_grid, lpq.role = "W"}
// SWALP: stream 17 {lpq.role = "A"}
// SWALP-NOT: lpq.role = "E"
// SWALP: return
// SWALP-LABEL: func.func @swa_update(
// SWALP-SAME: -> (tensor<5x6xf32>, tensor<5xf32>, tensor<3x5xf32>)
// SWALP-COUNT-3: lpq.average

/// fp32: the same functions without a single quantizer; the loss is the
/// mean over the batch; SGD with momentum 0.9 and weight decay 5e-4.
// FP32: module attributes {lpq.loss = "cross-entropy", lpq.recipe = "fp32"}
// FP32-LABEL: func.func @train_step(
// FP32-NOT: lpq.stochastic_round
// FP32-NOT: lpq.quantize
// FP32-DAG: arith.constant 0.899999976 : f32
// FP32-DAG: arith.constant 5.000000e-04 : f32
// FP32-DAG: math.exp
// FP32-DAG: math.log
// FP32: func.func @evaluate(
// FP32-NOT: lpq.stochastic_round
// FP32: func.func @swa_update(

/// Overrides: word length for the defaults, another format for A, a
/// deterministic rounding for W, no error quantizer, other hyperparameters.
// CUSTOM: module attributes {lpq.loss = "cross-entropy", lpq.recipe = "sgd-lp"}
// CUSTOM-LABEL: func.func @train_step(
// CUSTOM: lpq.quantize %{{.*}} : tensor<5x6xf32> to #lpq.block<4, axis = [0]> rounding nearest_away {lpq.role = "W"}
// CUSTOM: lpq.stochastic_round %{{.*}} : tensor<4x5xf32> to #lpq.fixed<8, 4> stream 0 {lpq.role = "A"}
// CUSTOM-NOT: lpq.role = "E"
// CUSTOM-DAG: arith.constant 5.000000e-01 : f32
// CUSTOM-DAG: arith.constant 2.500000e-01 : f32
// CUSTOM: to #lpq.block<4, axis = [0]> stream 1 {lpq.role = "G"}

/// The whole training step lowers with lpq-cpu-pipeline.
// LOWERED: llvm.func @train_step(
// LOWERED: llvm.func @_mlir_ciface_train_step(
// LOWERED: llvm.func @evaluate(
// LOWERED: llvm.func @swa_update(

// RUN: lpq-opt %S/../../../examples/linreg.mlir -lpq-train-step="loss=mse" | FileCheck %s --check-prefix=MSE
/// Mean squared error: the targets have the predictions' type; loss
/// sum((y - t)^2) / (2 N), gradient (y - t) / N.
// MSE: module attributes {lpq.loss = "mse", lpq.recipe = "fp32"}
// MSE-LABEL: func.func @train_step(
// MSE-SAME: %{{.*}}: tensor<32x16xf32>, %{{.*}}: tensor<32x1xf32>, %{{.*}}: f32, %{{.*}}: i64, %{{.*}}: i32)
// MSE-SAME: -> (tensor<f32>, tensor<32x1xf32>, tensor<1x16xf32>, tensor<1x16xf32>)
// MSE: arith.constant 5.000000e-01 : f32
// MSE: arith.subf
// MSE-NOT: math.exp
// MSE: return

// RUN: lpq-opt %S/Inputs/tiny_mlp.mlir -lpq-train-step="recipe=swalp" -lpq-gpu-pipeline="format=isa" | FileCheck %s --check-prefix=GPU
/// The whole SWALP training step also lowers to NVIDIA GPU kernels.
// GPU: gpu.binary
// GPU: .entry
// GPU: llvm.func @train_step(
// GPU: gpu.launch_func

// RUN: lpq-opt %S/Inputs/tiny_mlp.mlir -lpq-train-step="recipe=bwn" | FileCheck %s --check-prefix=BWN
// RUN: lpq-opt %S/Inputs/tiny_mlp.mlir -lpq-train-step="recipe=sq-twn sq-ratio=0.75" | FileCheck %s --check-prefix=SQTWN
// RUN: lpq-opt %S/Inputs/tiny_mlp.mlir -lpq-train-step="recipe=sq-bwn sq-selection=linear" | FileCheck %s --check-prefix=SQLIN
// SQLIN: lpq.sq_select {{.*}} : tensor<5x6xf32> ratio 5.000000e-01 stream 0 selection linear
/// With recipe bwn, weight matrices go through #lpq.binary (deterministic), the bias and
/// everything else float32.
// BWN-LABEL: func.func @train_step(
// BWN-SAME: %[[W:[a-z0-9]+]]: tensor<5x6xf32>, %[[B:[a-z0-9]+]]: tensor<5xf32>, %[[W2:[a-z0-9]+]]: tensor<3x5xf32>,
// BWN: lpq.quantize %[[W]] : tensor<5x6xf32> to #lpq.binary {lpq.role = "W"}
// BWN-NOT: lpq.quantize %[[B]]
// BWN: lpq.quantize %[[W2]] : tensor<3x5xf32> to #lpq.binary {lpq.role = "W"}
// BWN-NOT: lpq.stochastic_round
// BWN-NOT: lpq.sq_select
// BWN: return
/// With recipe sq-twn, TWN, then the selection of full-precision rows, one stream each.
// SQTWN-LABEL: func.func @train_step(
// SQTWN: %[[Q:.*]] = lpq.quantize %[[W:[a-z0-9]+]] : tensor<5x6xf32> to #lpq.ternary {lpq.role = "W"}
// SQTWN: lpq.sq_select %[[W]], %[[Q]], %{{.*}}, %{{.*}} : tensor<5x6xf32> ratio 7.500000e-01 stream 0
// SQTWN: lpq.sq_select {{.*}} : tensor<3x5xf32> ratio 7.500000e-01 stream 1
// SQTWN-LABEL: func.func @evaluate(
// SQTWN: lpq.sq_select {{.*}} stream 2

// RUN: lpq-opt %S/Inputs/tiny_mlp.mlir -lpq-train-step="recipe=binaryconnect w-rounding=stochastic" | FileCheck %s --check-prefix=BC
// RUN: lpq-opt %S/Inputs/tiny_mlp.mlir -lpq-train-step="recipe=askewsgd grid=#lpq.grid<levels=8,scale=sawb> askew-alpha=0.5" | FileCheck %s --check-prefix=ASKEW
/// BinaryConnect: weight matrices binarized in the forward pass (stochastic
/// here), the updated real weights clamped to the grid's box; biases free.
// BC: module attributes {lpq.loss = "cross-entropy", lpq.recipe = "binaryconnect"}
// BC-LABEL: func.func @train_step(
// BC-SAME: %[[W:[a-z0-9]+]]: tensor<5x6xf32>, %[[B:[a-z0-9]+]]: tensor<5xf32>,
// BC: lpq.stochastic_round %[[W]], {{.*}} : tensor<5x6xf32> to #lpq.grid<binary> stream 0 {lpq.role = "W"}
// BC: lpq.stochastic_round {{.*}} : tensor<3x5xf32> to #lpq.grid<binary> stream 1 {lpq.role = "W"}
// BC: lpq.grid_clamp {{.*}} : tensor<5x6xf32> to #lpq.grid<binary>
// BC-NOT: lpq.grid_clamp {{.*}} : tensor<5xf32>
// BC: lpq.grid_clamp {{.*}} : tensor<3x5xf32> to #lpq.grid<binary>
// BC: return
/// AskewSGD: real weights forward, the direction replaces the gradient of
/// each weight matrix (eps: the trailing argument), clamp after the step;
/// evaluate rounds onto the grid.
// ASKEW: module attributes {lpq.askew_eps0 = 6.250000e-02 : f32
// ASKEW-LABEL: func.func @train_step(
// ASKEW-SAME: %[[W:[a-z0-9]+]]: tensor<5x6xf32>,
// ASKEW-SAME: %[[LR:[a-z0-9]+]]: f32, %{{[a-z0-9]+}}: i64, %{{[a-z0-9]+}}: i32, %[[EPS:[a-z0-9]+]]: f32, %[[S1:[a-z0-9]+]]: f32, %[[S2:[a-z0-9]+]]: f32)
// ASKEW-SAME: -> (tensor<f32>, tensor<4x3xf32>, {{.*}}, tensor<f32>, tensor<f32>)
// ASKEW-NOT: lpq.quantize
// ASKEW: %[[OWN:.*]] = lpq.grid_scale %[[W]] : tensor<5x6xf32> for #lpq.grid<levels = 8, scale = sawb>
// ASKEW: %[[GIVEN:.*]] = arith.cmpf ogt, %[[S1]]
// ASKEW: %[[SCALE:.*]] = arith.select %[[GIVEN]], %[[S1]], %[[OWN]] : f32
// ASKEW: lpq.askew_direction %[[W]], %{{.*}}, %[[EPS]], %[[LR]] scale %[[SCALE]] : tensor<5x6xf32> on #lpq.grid<levels = 8, scale = sawb> alpha 5.000000e-01
// ASKEW: lpq.grid_clamp {{.*}} scale %{{.*}} : tensor<5x6xf32>
// ASKEW: lpq.askew_direction {{.*}} : tensor<3x5xf32>
// ASKEW-LABEL: func.func @evaluate(
// ASKEW: lpq.quantize {{.*}} grid_scale %{{.*}} : tensor<5x6xf32> to #lpq.grid<levels = 8, scale = sawb> {lpq.role = "W"}

// RUN: lpq-opt %S/Inputs/tiny_mlp.mlir -lpq-train-step="recipe=askewsgd grid=#lpq.grid<levels=8,scale=sawb>" -lpq-gpu-pipeline="chip=sm_90 format=bin" | FileCheck %s --check-prefix=GPUASKEW
// RUN: lpq-opt %S/Inputs/tiny_mlp.mlir -lpq-train-step="recipe=binaryconnect w-rounding=stochastic" -lpq-gpu-pipeline="chip=sm_90 format=bin" | FileCheck %s --check-prefix=GPUBC
/// AskewSGD's and BinaryConnect's steps become cubin through ptxas (sm_90).
// GPUASKEW: gpu.binary
// GPUASKEW: llvm.func @train_step(
// GPUASKEW: gpu.launch_func
// GPUBC: gpu.binary
// GPUBC: llvm.func @train_step(
// GPUBC: gpu.launch_func
// RUN: lpq-opt %S/Inputs/tiny_mlp.mlir -lpq-train-step="recipe=sq-twn sq-ratio=0.75 sq-selection=softmax" -lpq-gpu-pipeline="chip=sm_90 format=bin" | FileCheck %s --check-prefix=GPUSQ
/// SQ's sequential row selection runs as one-thread kernels.
// GPUSQ: gpu.binary
// GPUSQ: llvm.func @train_step(
// GPUSQ: gpu.launch_func
