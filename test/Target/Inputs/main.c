/* A C program calling a kernel compiled by lpq-cpu-pipeline through the
   header lpq-translate writes. */
#include KERNELS_HEADER

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
  /* A failed runtime check puts() its message, then abort()s, which does
     not flush stdout. */
  setvbuf(stdout, NULL, _IONBF, 0);
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
  /* A destination sized wrongly (one row for two) stops the call before
     it writes anything (the pipeline's runtime checks). */
  if (argc > 1 && strcmp(argv[1], "wrong-destination") == 0) {
    float z[1][4];
    lpq_memref_float_2d small = {&z[0][0], &z[0][0], 0, {1, 4}, {4, 1}};
    _mlir_ciface_step(&in, 7, 0, &small);
    printf("step wrote into a destination of the wrong size\n");
  }
  return 0;
}
