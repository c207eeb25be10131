"""Hold the numerical libraries to one x86 target, so that two machines give the pipeline the same bits.

numba (UMAP, pynndescent), numpy and OpenBLAS pick their machine code per CPU: numba compiles for the host
(``znver5``, ``skylake-avx512``, ...), numpy dispatches AVX-512 loops where the CPU has them (its sort, among
others), OpenBLAS picks its matrix kernels. Each choice sums in another order, so from the same embeddings the
sample's topics stage gave 71 themes with this machine's own targets and 69 held (AMD EPYC with AVX-512, ARI
0.95 between the two; benchmarks/reproducibility.py, ``unheld``). ``hold_cpu_kernels`` sets the environment
variables those libraries read at import: every x86-64 CPU with AVX2 and FMA (Intel since 2013, AMD since 2015)
then runs the same Haswell code. The encoder's own kernels are handled by computing in float64
(``embed.precision``).

It must run before numpy or numba is imported, so the stage CLIs call it from ``pipelines/__init__.py``. Other
CPUs (no AVX2, or not x86) keep their own targets, and ``VOC_CPU_KERNELS=native`` opts out (faster, perhaps,
but the bits are the machine's); ``held_kernels()`` says which applies, and the stages record it.
"""

from __future__ import annotations

import os
import platform
import sys
from collections.abc import MutableMapping
from pathlib import Path

# LLVM's Haswell features (X86.td), named one by one: numba hands LLVM the *host's* features unless
# NUMBA_CPU_FEATURES says otherwise, even with NUMBA_CPU_NAME set (numba.core.codegen._get_host_cpu_features), so
# on an AVX-512 CPU "haswell" alone still compiled AVX-512 code, and another CPU's extras (sha, sse4a) rode along
HASWELL_FEATURES = ",".join(f"+{f}" for f in (
    "64bit", "avx", "avx2", "bmi", "bmi2", "cmov", "cx16", "cx8", "ermsb", "f16c", "fma", "fsgsbase", "fxsr", "invpcid",
    "lzcnt", "mmx", "movbe", "pclmul", "popcnt", "rdrnd", "sahf", "sse", "sse2", "sse3", "sse4.1", "sse4.2", "ssse3",
    "x87", "xsave", "xsaveopt"))
PORTABLE: dict[str, str] = {"NUMBA_CPU_NAME": "haswell", "NUMBA_CPU_FEATURES": HASWELL_FEATURES,
                            "OPENBLAS_CORETYPE": "Haswell"}
# numpy 2.x's dispatch targets above AVX2 (numpy._core._multiarray_umath.__cpu_dispatch__), off where present
NUMPY_ABOVE_AVX2 = "X86_V4 AVX512_ICL AVX512_SPR"
REQUIRED_FLAGS = frozenset({"avx2", "fma"})
# the encoder's libraries on their generic (pre-AVX) kernels: another CPU, played on this one (tests, benchmarks)
TORCH_GENERIC_KERNELS: dict[str, str] = {
    "ATEN_CPU_CAPABILITY": "default", "MKL_ENABLE_INSTRUCTIONS": "SSE4_2", "ONEDNN_MAX_CPU_ISA": "SSE41",
}


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> frozenset[str]:
    """The first processor's flags from /proc/cpuinfo (empty where there is none, as on macOS)."""
    if not cpuinfo.exists():
        return frozenset()
    for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("flags"):
            return frozenset(line.split(":", 1)[1].split())
    return frozenset()


def portable_settings(flags: frozenset[str], machine: str) -> dict[str, str]:
    """The environment that holds this CPU to the portable target; empty where it cannot run that target."""
    if machine not in ("x86_64", "AMD64") or not REQUIRED_FLAGS <= flags:
        return {}
    settings = dict(PORTABLE)
    if "avx512f" in flags:
        settings["NPY_DISABLE_CPU_FEATURES"] = NUMPY_ABOVE_AVX2
    return settings


def hold_cpu_kernels(environ: MutableMapping[str, str] = os.environ) -> dict[str, str]:
    """Set the portable target's variables in ``environ`` (overriding any already there); return what was set.

    A process that has already loaded numpy or numba (a test, a notebook) is left as it is: those libraries
    have read their settings, and setting them now would only pretend to (``held_kernels`` then says native).
    """
    choice = environ.get("VOC_CPU_KERNELS", "portable")
    if choice not in ("portable", "native"):
        raise ValueError(f"VOC_CPU_KERNELS={choice!r}: expected 'portable' or 'native'")
    if choice == "native" or (environ is os.environ and {"numpy", "numba"} & set(sys.modules)):
        return {}
    settings = portable_settings(cpu_flags(), platform.machine())
    environ.update(settings)
    return settings


def held_kernels(environ: MutableMapping[str, str] = os.environ) -> str:
    """``portable`` when this process runs the portable target, else ``native`` (recorded in the metrics)."""
    held = portable_settings(cpu_flags(), platform.machine())
    return "portable" if held and all(environ.get(k) == v for k, v in held.items()) else "native"
