"""voc.kernels: which CPUs are held to the portable target, and that the stage CLIs really hold it."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

from voc.kernels import HASWELL_FEATURES, NUMPY_ABOVE_AVX2, PORTABLE, cpu_flags, hold_cpu_kernels, portable_settings

ROOT = Path(__file__).resolve().parents[2]
AVX2 = frozenset({"sse4_2", "avx", "avx2", "fma"})
AVX512 = AVX2 | {"avx512f", "avx512bw"}


def test_avx2_cpus_get_numba_and_openblas_held_and_avx512_cpus_numpy_too():
    assert portable_settings(AVX2, "x86_64") == PORTABLE
    assert portable_settings(AVX512, "x86_64") == {**PORTABLE, "NPY_DISABLE_CPU_FEATURES": NUMPY_ABOVE_AVX2}


def test_cpus_that_cannot_run_the_target_keep_their_own():
    assert portable_settings(frozenset({"sse4_2", "avx"}), "x86_64") == {}     # no AVX2: Haswell code would trap
    assert portable_settings(AVX512, "aarch64") == {}
    assert portable_settings(frozenset(), "arm64") == {}


def test_cpu_flags_read_from_cpuinfo(tmp_path: Path):
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nmodel name\t: Some CPU\nflags\t\t: fpu sse4_2 avx2 fma\n\nprocessor\t: 1\n")
    assert cpu_flags(info) == {"fpu", "sse4_2", "avx2", "fma"}
    assert cpu_flags(tmp_path / "absent") == frozenset()


def test_native_opts_out_and_a_typo_is_named():
    env = {"VOC_CPU_KERNELS": "native", "NUMBA_CPU_NAME": "znver3"}
    assert hold_cpu_kernels(env) == {} and env["NUMBA_CPU_NAME"] == "znver3"
    with pytest.raises(ValueError, match="VOC_CPU_KERNELS='portabel'"):
        hold_cpu_kernels({"VOC_CPU_KERNELS": "portabel"})


def test_holding_overrides_what_the_environment_had():
    env = {"NUMBA_CPU_NAME": "host"}
    held = hold_cpu_kernels(env)
    assert all(env[k] == v for k, v in held.items())
    assert env["NUMBA_CPU_NAME"] == (PORTABLE["NUMBA_CPU_NAME"] if held else "host")


def test_a_process_that_loaded_numpy_is_left_as_it_is():
    import numpy  # noqa: F401  (loaded here, so the test does not depend on another test file having done it)

    before = dict(os.environ)
    assert hold_cpu_kernels() == {}          # this test process has imported numpy
    assert dict(os.environ) == before


_PROBE = """
import json
import pipelines  # noqa: F401  (holds the kernels, as `python -m pipelines.<stage>` does)
import numba.core.config
from numba.core.registry import cpu_target
from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__
from voc.embedding import cpu_signature
_, name, features = cpu_target.target_context.codegen().magic_tuple()   # what numba hands LLVM
print(json.dumps({"numba": numba.core.config.CPU_NAME, "llvm_cpu": name, "llvm_features": features,
                  "numpy": [f for f in __cpu_dispatch__ if __cpu_features__[f]],
                  "kernels": cpu_signature()["kernels"]}))
"""


def test_a_stage_process_runs_the_portable_target():
    held = portable_settings(cpu_flags(), platform.machine())
    if not held:
        pytest.skip("this CPU cannot run the portable (Haswell) target: the stages keep its own")
    env = {k: v for k, v in os.environ.items() if k not in (*held, "VOC_CPU_KERNELS")}
    proc = subprocess.run([sys.executable, "-c", _PROBE], cwd=ROOT, env=env, capture_output=True, text=True,
                          check=True)
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    assert seen["numba"] == "haswell" and seen["kernels"] == "portable"
    # the features too: with the name alone numba passed this CPU's own (AVX-512 where it has it) to LLVM
    assert seen["llvm_cpu"] == "haswell" and seen["llvm_features"] == HASWELL_FEATURES
    assert "avx512" not in seen["llvm_features"]
    assert not {"X86_V4", "AVX512_ICL", "AVX512_SPR"} & set(seen["numpy"])
    native = subprocess.run([sys.executable, "-c", _PROBE], cwd=ROOT, env={**env, "VOC_CPU_KERNELS": "native"},
                            capture_output=True, text=True, check=True)
    assert json.loads(native.stdout.strip().splitlines()[-1])["kernels"] == "native"
