/* A C program calling a kernel compiled by lpq-cpu-pipeline through the
   header lpq-translate writes. */
#include KERNELS_HEADER

#include <stdio.h>

int main(void) {
  float x[2][4] = {{0.1f, -0.26f, 5.0f, 0.0f}, {1.0f, 2.0f, 3.0f, 4.0f}};
  float y[2][4];
  lpq_memref_float_2d in = {&x[0][0], &x[0][0], 0, {2, 4}, {4, 1}};
  lpq_memref_float_2d out = {&y[0][0], &y[0][0], 0, {2, 4}, {4, 1}};
  _mlir_ciface_quantize(&in, &out);
  for (int i = 0; i < 2; ++i)
    printf("%g %g %g %g\n", y[i][0], y[i][1], y[i][2], y[i][3]);
  /* The extent of step's dynamically shaped result, before allocating it. */
  int64_t rows = -1;
  lpq_memref_int64_1d dims = {&rows, &rows, 0, {1}, {1}};
  _mlir_ciface_step_result_dims(&in, 7, 0, &dims);
  printf("step's result: %lld rows\n", (long long)rows);
  return 0;
}
