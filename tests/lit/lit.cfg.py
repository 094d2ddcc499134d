# lit configuration for rnnc's text tests: each file's RUN lines pipe rnn-opt or
# rnnc output through FileCheck. See tests/lit/README.md.
import os
import lit.formats

config.name = "rnnc"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".ir", ".rnn", ".test"]
config.excludes = ["Inputs", "lit.cfg.py", "lit.site.cfg.py.in"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.rnnc_obj_root, "tests", "lit")

# Our tools first, then LLVM's FileCheck and not.
path = [config.rnnc_tools_dir, config.llvm_tools_dir, config.environment.get("PATH", "")]
config.environment["PATH"] = os.pathsep.join(path)
config.substitutions.append(("%shared_data", config.shared_data_dir))
# Tests on the real datasets say `REQUIRES: shared-data`; without
# ../shared/data (a checkout on its own) they are reported unsupported.
if os.path.isdir(config.shared_data_dir):
    config.available_features.add("shared-data")
config.substitutions.append(("%src_root", config.rnnc_src_root))
# Cross-checks against real PyTorch modules say `REQUIRES: torch`; they run
# where a Python with torch and numpy is installed (python3-torch), and are
# reported unsupported elsewhere. PyTorch is never a requirement.
import subprocess
torch_python = None
for candidate in ("/usr/bin/python3", "python3"):
    try:
        if subprocess.run([candidate, "-c", "import torch, numpy"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                          timeout=120).returncode == 0:
            torch_python = candidate
            break
    except (OSError, subprocess.TimeoutExpired):
        pass
if torch_python:
    config.available_features.add("torch")
    config.substitutions.append(("%torch_python", torch_python))
# The C compiler for programs linked against the runtime library; a
# sanitizer build's library needs the sanitizer runtimes at link time.
cc = "cc"
if config.rnnc_sanitize.upper() in ("ON", "1", "TRUE", "YES"):
    cc += " -fsanitize=address,undefined"
    # AddressSanitizer reserves terabytes of shadow memory: tests that cap
    # the address space (ulimit -v) cannot run under it.
    config.available_features.add("asan")
config.substitutions.append(("%cc", cc))
# The build tree, e.g. for linking against runtime/librnnc_runtime.a.
config.substitutions.append(("%obj_root", config.rnnc_obj_root))
# Compiled objects are cached inside the build tree, not in the user's
# ~/.cache (tests that check the cache set their own directory).
config.environment["RNNC_CACHE_DIR"] = os.path.join(config.rnnc_obj_root, "tests", "lit", "object-cache")
