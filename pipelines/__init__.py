"""The stage CLIs (``python -m pipelines.<stage>``, run by dvc.yaml).

Importing the package holds numba, numpy and OpenBLAS to one CPU target before any of them loads, so that the
stages give the same bits on any x86-64 machine with AVX2 (``voc.kernels``). Imported into a process that has
already loaded numpy (a test, a notebook), it leaves that process as it is.
"""

from voc.kernels import hold_cpu_kernels

hold_cpu_kernels()
