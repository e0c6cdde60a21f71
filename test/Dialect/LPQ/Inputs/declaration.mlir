// A module holding only a function declaration (lpq-gpu-prepare-loops.mlir).
func.func private @external(tensor<?xf32>) -> tensor<?xf32>
