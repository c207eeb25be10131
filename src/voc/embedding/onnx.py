"""The ONNX backends: MiniLM exported with ``torch.onnx.export`` and run by onnxruntime, in float32 or int8.

sentence-transformers' own ``backend="onnx"`` needs ``optimum``, which does not install beside
sentence-transformers 6.2 (../shared/STACK.md), so the transformer is exported here and the
SentenceTransformer pipeline around it is redone by hand, as the model folder's ``modules.json`` lists it:
tokenise (truncating at ``max_seq_length`` pieces), transformer, mean pooling over the attention mask, L2
normalisation. The float32 export gives the PyTorch vectors to about 1e-6; the dynamic int8 quantisation
(weights per channel) runs about twice as fast at a cosine of about 0.99 to them.
"""

from __future__ import annotations

import json
import logging
import warnings
from pathlib import Path
from typing import Any, Literal

import numpy as np

from voc.embedding.store import ensure_built

log = logging.getLogger(__name__)

ONNX_FILE = "model.onnx"
OPSET = 17
INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def _require(module: str, extra: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(f"embed.backend needs {module}: pip install {extra}") from exc


def check_pipeline(model_path: str | Path) -> int:
    """Check that the folder is the Transformer -> mean Pooling -> Normalize pipeline redone here.

    Returns ``max_seq_length`` (word pieces). Any other pooling would give different vectors, so it fails.
    """
    root = Path(model_path)
    modules = json.loads((root / "modules.json").read_text(encoding="utf-8"))
    kinds = [m["type"].rsplit(".", 1)[-1] for m in sorted(modules, key=lambda m: m["idx"])]
    if kinds != ["Transformer", "Pooling", "Normalize"]:
        raise ValueError(f"{root / 'modules.json'}: expected Transformer, Pooling, Normalize; found {kinds}")
    pooling_dir = next(m["path"] for m in modules if m["type"].endswith("Pooling"))
    pooling = json.loads((root / pooling_dir / "config.json").read_text(encoding="utf-8"))
    modes = sorted(k for k, v in pooling.items() if k.startswith("pooling_mode") and v)
    if modes != ["pooling_mode_mean_tokens"]:
        raise ValueError(f"{root / pooling_dir / 'config.json'}: only mean pooling is supported; found {modes}")
    st_config = json.loads((root / "sentence_bert_config.json").read_text(encoding="utf-8"))
    if st_config.get("do_lower_case"):
        raise ValueError(f"{root / 'sentence_bert_config.json'}: do_lower_case is not supported")
    return int(st_config["max_seq_length"])


def export_onnx(model_path: str | Path, out_dir: Path) -> None:
    """Export the transformer of ``model_path`` (ids, mask, token types -> last hidden state) to ONNX."""
    torch = _require("torch", "torch==2.13.0")
    transformers = _require("transformers", "transformers==5.23.0")
    _require("onnx", "onnx==1.23.2")
    check_pipeline(model_path)
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(model_path), local_files_only=True)
    model = transformers.AutoModel.from_pretrained(
        str(model_path), local_files_only=True, attn_implementation="eager"
    ).eval()

    class _Hidden(torch.nn.Module):  # type: ignore[misc, name-defined]
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.inner(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    sample = tokenizer(["a short one", "a somewhat longer sentence to pad the other"], padding=True,
                       return_tensors="pt")
    axes = {name: {0: "batch", 1: "sequence"} for name in (*INPUTS, "last_hidden_state")}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # the legacy exporter's deprecation and tracer notes
        torch.onnx.export(
            _Hidden(model), tuple(sample[name] for name in INPUTS), str(out_dir / ONNX_FILE),
            input_names=list(INPUTS), output_names=["last_hidden_state"], dynamic_axes=axes,
            opset_version=OPSET, dynamo=False, do_constant_folding=True,
        )


def quantize_onnx(source: Path, out_dir: Path) -> None:
    """Dynamic int8 quantisation of ``source`` (weights int8 per output channel, activations at run time)."""
    quantization = _require("onnxruntime.quantization", "onnxruntime==1.32.0")
    root = logging.getLogger()
    level = root.level
    root.setLevel(max(level, logging.ERROR))  # the quantiser logs a line per tensor on the root logger, and
    # advises shape-inference pre-processing, which fails on this export ("Incomplete symbolic shape inference")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            quantization.quantize_dynamic(
                str(source), str(out_dir / ONNX_FILE), weight_type=quantization.QuantType.QInt8, per_channel=True
            )
    finally:
        root.setLevel(level)


def _recipe(precision: str) -> str:
    import torch

    ort = _require("onnxruntime", "onnxruntime==1.32.0")
    text = f"onnx opset={OPSET} torch={torch.__version__} inputs={','.join(INPUTS)} pooling=mean"
    return text + (f" int8 dynamic per-channel QInt8 onnxruntime={ort.__version__}" if precision == "int8" else "")


def build_onnx(model_path: str | Path, cache_dir: str | Path, *, precision: Literal["fp32", "int8"]) -> Path:
    """The folder holding the ONNX model of ``model_path`` at that precision, exported (once) if missing."""
    fp32 = ensure_built(cache_dir, "onnx", model_path, recipe=_recipe("fp32"),
                        build=lambda out: export_onnx(model_path, out))
    if precision == "fp32":
        return fp32
    return ensure_built(cache_dir, "onnx-int8", model_path, recipe=_recipe("int8"),
                        build=lambda out: quantize_onnx(fp32 / ONNX_FILE, out))


class OnnxEmbedder:
    """MiniLM on onnxruntime (CPU): the SentenceTransformer pipeline with the transformer run from ONNX."""

    def __init__(self, model_path: str, onnx_dir: Path, *, name: str, threads: int | None = None) -> None:
        ort = _require("onnxruntime", "onnxruntime==1.32.0")
        transformers = _require("transformers", "transformers==5.23.0")
        self.max_seq_length = check_pipeline(model_path)
        self._tokenizer = transformers.AutoTokenizer.from_pretrained(model_path, local_files_only=True)
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
        self._session = ort.InferenceSession(str(onnx_dir / ONNX_FILE), options, providers=["CPUExecutionProvider"])
        self.name = name
        self.dim = int(json.loads((Path(model_path) / "config.json").read_text(encoding="utf-8"))["hidden_size"])

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        tokens = self._tokenizer(texts, padding=True, truncation=True, max_length=self.max_seq_length,
                                 return_tensors="np")
        feeds = {name: np.asarray(tokens[name], dtype=np.int64) for name in INPUTS}
        hidden = self._session.run(None, feeds)[0]
        mask = feeds["attention_mask"][..., None].astype(np.float32)
        pooled = (hidden * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
        return pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)

    def encode(self, texts: list[str], *, batch_size: int = 64, show_progress: bool = False) -> np.ndarray:
        """Embed ``texts`` in batches of similar length (less padding), returned in the input order."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        order = np.argsort([-len(t) for t in texts], kind="stable")
        starts = range(0, len(texts), batch_size)
        if show_progress:
            from tqdm.auto import tqdm

            starts = tqdm(starts, desc=f"embed ({self.name})", unit="batch")
        for start in starts:
            idx = order[start:start + batch_size]
            out[idx] = self._encode_batch([texts[i] for i in idx])
        return out
