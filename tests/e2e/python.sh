#!/usr/bin/env bash
# The Python module's own tests (python/tests/test_mmsim.py) against the build tree: `import
# mmsim` with PYTHONPATH=python, the library from build/pub/. One TAP line per test.
source "$(dirname "$0")/lib.sh"
check "numpy is there (python3-numpy, make deps)" /usr/bin/python3 -c "import numpy"
unittest_tap "build tree" env PYTHONPATH="$ROOT/python" /usr/bin/python3 -m unittest -v "$ROOT/python/tests/test_mmsim.py"
check_eq "import mmsim from the build tree loads build/pub/libmmsim.so.0" "$ROOT/build/pub/libmmsim.so.0" \
    "$(cd "$TMP" && PYTHONPATH="$ROOT/python" /usr/bin/python3 -c 'import mmsim; print(mmsim._lib._name)')"
