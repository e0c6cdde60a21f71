# -*- Python -*-
import os

import lit.formats
from lit.llvm import llvm_config

config.name = "LPQ"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.lpq_obj_root, "test")
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py", "Unit", "Integration", "Inputs"]

config.environment["FILECHECK_OPTS"] = (
    "-enable-var-scope --allow-unused-prefixes=false"
)
config.substitutions.append(("%PATH%", config.environment["PATH"]))

llvm_config.with_system_environment(["HOME", "INCLUDE", "LIB", "TMP", "TEMP"])
llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.lpq_tools_dir, append_path=True)
llvm_config.add_tool_substitutions(
    ["lpq-opt", "lpq-run", "lpq-translate", "lpq-bench-quantize",
     "lpq-bench-step"],
    [config.lpq_tools_dir],
)
llvm_config.add_tool_substitutions(["mlir-translate", "llc"], [config.llvm_tools_dir])

# The fake CUDA driver (test/FakeCuda), built with lpq's CUDA runtime.
if config.lpq_fake_cuda_dir:
    config.available_features.add("fake-cuda")
    config.substitutions.append(("%fake_cuda_dir", config.lpq_fake_cuda_dir))
