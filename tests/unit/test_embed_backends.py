"""The four embedding backends: shapes, normalisation, agreement with PyTorch, separate cache entries.

The ONNX export and its int8 quantisation are built once per session in a temporary folder (seconds). The
real model2vec distillation took 24 s alone on 2 cores (335 s in the suite before tests/conftest.py moved numba
off OpenMP), so that test is marked slow; a tiny static model built here checks the model2vec wrapper quickly.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from voc.embedding import BACKENDS, Embedder, embed_texts, embedder_name, empty_cache, load_embedder
from voc.embedding.base import default_model_path
from voc.embedding.store import ensure_built, source_fingerprint
from voc.kernels import TORCH_GENERIC_KERNELS

SENTENCES = [
    "The bill was wrong again this month.",
    "My invoice shows a charge I never agreed to.",
    "The app crashes every time I open it.",
    "ok",
    "Great service, the agent sorted it out in five minutes and called me back the next day to check.",
    "🙂🙂",
]


@pytest.fixture(scope="session")
def embedders_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("embedders")


@pytest.fixture(scope="session")
def reference() -> np.ndarray:
    return load_embedder("sentence-transformers", threads=2).encode(SENTENCES, batch_size=4, show_progress=False)


@pytest.fixture(scope="session")
def onnx_embedder(embedders_dir: Path) -> Embedder:
    return load_embedder("onnx", threads=2, cache_dir=embedders_dir)


@pytest.fixture(scope="session")
def int8_embedder(embedders_dir: Path, onnx_embedder: Embedder) -> Embedder:
    return load_embedder("onnx-int8", threads=2, cache_dir=embedders_dir)


def _check_unit_rows(vectors: np.ndarray, n: int, dim: int = 384) -> None:
    assert vectors.shape == (n, dim)
    assert vectors.dtype == np.float32
    assert np.all(np.isfinite(vectors))
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_reference_is_normalised(reference: np.ndarray):
    _check_unit_rows(reference, len(SENTENCES))


def test_onnx_matches_pytorch(onnx_embedder: Embedder, reference: np.ndarray):
    assert isinstance(onnx_embedder, Embedder)
    vectors = onnx_embedder.encode(SENTENCES, batch_size=4, show_progress=False)
    _check_unit_rows(vectors, len(SENTENCES))
    cosine = (vectors * reference).sum(axis=1)
    assert np.all(1.0 - cosine < 1e-4), cosine
    assert np.abs(vectors - reference).max() < 1e-4


def test_onnx_keeps_input_order_whatever_the_batches(onnx_embedder: Embedder):
    whole = onnx_embedder.encode(SENTENCES, batch_size=64, show_progress=False)
    single = onnx_embedder.encode(SENTENCES, batch_size=1, show_progress=False)
    reversed_ = onnx_embedder.encode(SENTENCES[::-1], batch_size=3, show_progress=False)[::-1]
    np.testing.assert_allclose(single, whole, atol=1e-5)
    np.testing.assert_allclose(reversed_, whole, atol=1e-5)
    assert onnx_embedder.encode([], batch_size=4, show_progress=False).shape == (0, 384)


def test_int8_is_close_to_pytorch(int8_embedder: Embedder, reference: np.ndarray):
    vectors = int8_embedder.encode(SENTENCES, batch_size=4, show_progress=False)
    _check_unit_rows(vectors, len(SENTENCES))
    cosine = (vectors * reference).sum(axis=1)
    assert cosine.min() > 0.95, cosine


def test_built_models_are_reused_not_rebuilt(embedders_dir: Path, int8_embedder: Embedder,
                                             monkeypatch: pytest.MonkeyPatch):
    import voc.embedding.onnx as onnx_mod

    folders = sorted(p.name for p in embedders_dir.iterdir())
    assert [f.split("-")[0] for f in folders] == ["onnx", "onnx"]
    assert any(f.startswith("onnx-int8-") for f in folders)

    def fail(*args: object, **kwargs: object) -> None:
        raise AssertionError("rebuilt a model that was already in the cache folder")

    monkeypatch.setattr(onnx_mod, "export_onnx", fail)
    monkeypatch.setattr(onnx_mod, "quantize_onnx", fail)
    again = load_embedder("onnx-int8", threads=1, cache_dir=embedders_dir)
    assert again.name == int8_embedder.name
    assert sorted(p.name for p in embedders_dir.iterdir()) == folders
    manifest = json.loads((embedders_dir / folders[0] / "manifest.json").read_text())
    assert manifest["source"] == default_model_path()


def test_backends_never_share_cache_entries(onnx_embedder: Embedder):
    names = [embedder_name(b) for b in BACKENDS]
    assert len(set(names)) == len(BACKENDS)
    assert embedder_name("sentence-transformers") == "all-MiniLM-L6-v2"  # earlier caches stay valid
    assert onnx_embedder.name == embedder_name("onnx")

    class Stub:
        name = embedder_name("sentence-transformers")
        dim = 384

        def encode(self, texts: list[str], *, batch_size: int, show_progress: bool) -> np.ndarray:
            return np.tile(np.eye(1, 384, dtype=np.float32), (len(texts), 1))

    items = pl.DataFrame({"feedback_id": ["a", "b"], "text": SENTENCES[:2]})
    first = embed_texts(items, Stub())
    second = embed_texts(items, onnx_embedder, cache=first.cache)
    assert second.n_embedded == 2 and second.n_from_cache == 0
    assert sorted(second.cache["model"].unique().to_list()) == sorted([Stub.name, onnx_embedder.name])
    third = embed_texts(items, onnx_embedder, cache=second.cache)
    assert third.n_embedded == 0 and third.n_from_cache == 2


def test_unknown_backend_and_missing_cache_dir_are_named():
    with pytest.raises(ValueError, match="unknown backend 'onnx-fp16'"):
        load_embedder("onnx-fp16")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="pass cache_dir"):
        load_embedder("onnx")


def test_cache_of_another_width_fails_loudly(onnx_embedder: Embedder):
    items = pl.DataFrame({"feedback_id": ["a"], "text": ["hello"]})
    with pytest.raises(ValueError, match="256-wide"):
        embed_texts(items, onnx_embedder, cache=empty_cache(256))


def test_pipelines_other_than_mean_pooling_are_refused(tmp_path: Path):
    from voc.embedding.onnx import check_pipeline

    folder = tmp_path / "model"
    shutil.copytree(default_model_path(), folder, ignore=shutil.ignore_patterns("*.safetensors"))
    assert check_pipeline(folder) == 256
    pooling = folder / "1_Pooling" / "config.json"
    config = json.loads(pooling.read_text())
    pooling.write_text(json.dumps({**config, "pooling_mode_mean_tokens": False, "pooling_mode_cls_token": True}))
    with pytest.raises(ValueError, match=r"1_Pooling/config.json: only mean pooling"):
        check_pipeline(folder)


def test_fingerprint_follows_source_bytes_and_recipe(tmp_path: Path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "weights.bin").write_bytes(b"abc")
    first = source_fingerprint(src, recipe="r1")
    assert source_fingerprint(src, recipe="r2") != first
    (src / "weights.bin").write_bytes(b"abd")
    assert source_fingerprint(src, recipe="r1") != first
    with pytest.raises(FileNotFoundError, match="missing"):
        source_fingerprint(tmp_path / "missing", recipe="r1")


def test_failed_build_leaves_nothing_behind(tmp_path: Path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "weights.bin").write_bytes(b"abc")
    calls: list[Path] = []

    def broken(out: Path) -> None:
        (out / "half.onnx").write_bytes(b"x")
        raise RuntimeError("export failed")

    with pytest.raises(RuntimeError, match="export failed"):
        ensure_built(tmp_path / "cache", "onnx", src, recipe="r", build=broken)
    assert list((tmp_path / "cache").iterdir()) == []

    def good(out: Path) -> None:
        calls.append(out)
        (out / "model.onnx").write_bytes(b"x")

    built = ensure_built(tmp_path / "cache", "onnx", src, recipe="r", build=good)
    again = ensure_built(tmp_path / "cache", "onnx", src, recipe="r", build=good)
    assert built == again and len(calls) == 1
    assert built.name == f"onnx-{source_fingerprint(src, recipe='r')}"
    assert (built / "model.onnx").read_bytes() == b"x"


def test_model2vec_wrapper_on_a_tiny_static_model(tmp_path: Path):
    from model2vec import StaticModel
    from tokenizers import Tokenizer, models, pre_tokenizers

    from voc.embedding.static import Model2VecEmbedder

    vocab = {"[UNK]": 0, "bill": 1, "wrong": 2, "app": 3, "crashes": 4}
    tokenizer = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    rng = np.random.default_rng(0)
    StaticModel(rng.normal(size=(len(vocab), 8)).astype(np.float32), tokenizer, normalize=True).save_pretrained(
        str(tmp_path / "static")
    )
    embedder = Model2VecEmbedder(tmp_path / "static", name=embedder_name("model2vec"))
    assert isinstance(embedder, Embedder) and embedder.dim == 8
    texts = ["bill wrong", "app crashes", "zzz qqq", "bill " * 600, "bill " * 600 + "crashes"]
    vectors = embedder.encode(texts, batch_size=2, show_progress=False)
    _check_unit_rows(vectors, 5, dim=8)
    assert not np.allclose(vectors[0], vectors[1])
    assert not np.allclose(vectors[3], vectors[4], atol=1e-4)  # no truncation at 512 pieces: the last word counts
    # a text with no known piece gets the [UNK] direction, not a zero vector
    unk = StaticModel.from_pretrained(str(tmp_path / "static")).embedding[0]
    np.testing.assert_allclose(vectors[2], unk / np.linalg.norm(unk), atol=1e-5)


@pytest.mark.slow
def test_model2vec_distilled_from_the_shipped_model(embedders_dir: Path, reference: np.ndarray):
    embedder = load_embedder("model2vec", cache_dir=embedders_dir)
    assert embedder.name == embedder_name("model2vec")
    vectors = embedder.encode(SENTENCES, batch_size=64, show_progress=False)
    _check_unit_rows(vectors, len(SENTENCES))
    # the billing paraphrases sit closer to each other than to the crash report, as with the transformer
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]
    assert reference[0] @ reference[1] > reference[0] @ reference[2]


def test_float64_is_the_reference_and_float32_keeps_its_own_cache_key(reference: np.ndarray):
    single = load_embedder("sentence-transformers", threads=2, precision="float32")
    vectors = single.encode(SENTENCES, batch_size=4, show_progress=False)
    _check_unit_rows(vectors, len(SENTENCES))
    assert np.abs(vectors - reference).max() < 1e-6          # the same vectors, to float32's last bits
    assert single.name == "all-MiniLM-L6-v2" and embedder_name("sentence-transformers", "float64") != single.name
    assert embedder_name("onnx", "float64") == embedder_name("onnx")   # precision is the PyTorch model's only
    with pytest.raises(ValueError, match="unknown precision 'float16'"):
        load_embedder(precision="float16")  # type: ignore[arg-type]


_ENCODE_IN_CHILD = """
import json, sys
import numpy as np, torch
from voc.embedding import load_embedder
sentences, precision, out = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3]
np.save(out, load_embedder(threads=2, precision=precision).encode(sentences, batch_size=4, show_progress=False))
print(torch.backends.cpu.get_cpu_capability())
"""


def _encode_with_generic_kernels(tmp_path: Path, precision: str) -> np.ndarray:
    """Encode SENTENCES in a child process whose torch, MKL and oneDNN are held to generic (pre-AVX) kernels."""
    out = tmp_path / f"{precision}.npy"
    proc = subprocess.run([sys.executable, "-c", _ENCODE_IN_CHILD, json.dumps(SENTENCES), precision, str(out)],
                          env={**os.environ, **TORCH_GENERIC_KERNELS}, capture_output=True, text=True, check=True)
    assert proc.stdout.strip().splitlines()[-1] == "DEFAULT", proc.stdout   # the child really ran other kernels
    return np.load(out)


def _ulps(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Units in the last place between two float32 arrays of the same signs."""
    return np.abs(a.view(np.int32).astype(np.int64) - b.view(np.int32).astype(np.int64))


def test_float64_gives_the_same_bits_on_other_cpu_kernels(tmp_path: Path, reference: np.ndarray):
    """What a reviewer on another CPU gets: float64 vectors the same bits, where float32's move.

    A value whose float64 result lies within ~1e-15 of a float32 rounding boundary can still round the other way
    (one unit in the last place): 1 of the 10.5M values on the whole sample (benchmarks/reproducibility.py).
    So a rare single-ulp difference is allowed here, and float32 must differ far more than that."""
    import torch

    if str(torch.backends.cpu.get_cpu_capability()) == "DEFAULT":
        pytest.skip("this CPU already runs torch's generic kernels: no other kernels to compare with")
    other = _encode_with_generic_kernels(tmp_path, "float64")
    assert np.count_nonzero(other != reference) <= 2 and _ulps(other, reference).max() <= 1
    single = load_embedder("sentence-transformers", threads=2, precision="float32")
    here = single.encode(SENTENCES, batch_size=4, show_progress=False)
    assert np.count_nonzero(_encode_with_generic_kernels(tmp_path, "float32") != here) > here.size // 4
