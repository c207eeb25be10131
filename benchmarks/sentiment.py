"""Benchmark: our sentiment classifier against VADER on real labelled data (run by hand).

    python benchmarks/sentiment.py              # writes benchmarks/results/sentiment.json
    python benchmarks/sentiment.py --text-only  # only the variant without embeddings (no model needed)

Data (../shared/data, read only):
- reviews_womens_clothing: 3 classes from Rating 1-2 / 3 / 4-5 (the customer's own label).
Embeddings are cached under benchmarks/cache/ (gitignored), keyed by the SHA-256 of the texts.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
WORK = ROOT / "benchmarks" / "cache"
log = logging.getLogger("benchmarks.sentiment")


def load_reviews() -> pl.DataFrame:
    """Clothing reviews with text: ``id``, ``text`` (title + body), ``rating``, ``label``, ``department``."""
    path = DATA / "reviews_womens_clothing" / "Womens Clothing E-Commerce Reviews.csv"
    raw = pl.read_csv(path, infer_schema_length=0)
    frame = raw.select(
        pl.col("").alias("id"),
        pl.concat_str(
            [pl.col("Title").fill_null(""), pl.col("Review Text").fill_null("")], separator=". "
        ).str.strip_chars(". ").alias("text"),
        pl.col("Review Text").is_not_null().alias("has_body"),
        pl.col("Rating").cast(pl.Int8).alias("rating"),
        pl.col("Department Name").alias("department"),
    ).filter(pl.col("has_body"))
    return frame.with_columns(
        pl.when(pl.col("rating") <= 2).then(pl.lit("negative"))
        .when(pl.col("rating") == 3).then(pl.lit("neutral"))
        .otherwise(pl.lit("positive")).alias("label")
    ).drop("has_body")


def load_cfpb() -> pl.DataFrame:
    """CFPB complaint narratives across 11 products: ``id``, ``text``, ``product`` (no sentiment label)."""
    path = DATA / "complaints_cfpb" / "cfpb_narratives_by_product_sample.csv"
    raw = pl.read_csv(path, infer_schema_length=0)
    cols = raw.columns
    return raw.select(
        pl.col(cols[0]).alias("id"),
        pl.col("Consumer complaint narrative").alias("text"),
        pl.col("Product").alias("product"),
    ).filter(pl.col("text").is_not_null() & (pl.col("text").str.strip_chars() != ""))


def cached_embeddings(name: str, texts: list[str]) -> np.ndarray:
    """Embed ``texts`` with the project's embedder once; later calls read benchmarks/cache/<name>-<hash>.npy."""
    digest = hashlib.sha256("\x1f".join(texts).encode("utf-8")).hexdigest()[:16]
    path = WORK / f"{name}-{digest}.npy"
    if path.exists():
        return np.load(path)
    from voc.embedding import load_embedder
    from voc.embedding.base import encode_pooled

    WORK.mkdir(parents=True, exist_ok=True)
    embedder = load_embedder(threads=2)
    log.info("embedding %d %s texts (cached afterwards at %s)", len(texts), name, path)
    vectors = encode_pooled(embedder, texts, max_words=180, batch_size=64, show_progress=True)
    np.save(path, vectors.astype(np.float32))
    return vectors


def load_bitext() -> pl.DataFrame:
    """Bitext support utterances (machine-generated) with their intent labels: ``text``, ``intent``, ``flags``."""
    path = DATA / "support_intents_bitext" / "20000-Utterances-Training-dataset-for-chatbots-virtual-assistant-Bitext-sample.csv"
    raw = pl.read_csv(path, infer_schema_length=0)
    raw = raw.rename({raw.columns[0]: "flags"})
    return raw.select(pl.col("utterance").alias("text"), "intent", "category", "flags")


def _report(truth: np.ndarray, pred: np.ndarray) -> dict[str, object]:
    from voc.sentiment import LABELS, macro_f1

    per_class = {lab: round(macro_f1(truth, pred, labels=(lab,)), 4) for lab in LABELS}
    return {"macro_f1": round(macro_f1(truth, pred), 4), "f1_per_class": per_class,
            "predicted_share": {lab: round(float((pred == lab).mean()), 4) for lab in LABELS}}


def main(argv: list[str] | None = None) -> None:
    """Run every comparison and write benchmarks/results/sentiment.json."""
    import argparse
    import json
    import time

    from sklearn.model_selection import train_test_split

    from voc.sentiment import SentimentConfig, detect_intent, fit_sentiment_classifier, vader_labels, vader_scores

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--text-only", action="store_true", help="skip the variants that need embeddings")
    args = parser.parse_args(argv)
    logging.basicConfig(level="INFO", format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    seed, band, folds = 42, 0.05, 2
    reviews = load_reviews()
    texts = reviews["text"].to_list()
    y = reviews["label"].to_numpy()
    emb = None if args.text_only else cached_embeddings("reviews", texts)
    vpath = WORK / "vader_reviews.npy"
    vader = np.load(vpath) if vpath.exists() and np.load(vpath).shape[0] == len(texts) else vader_scores(texts)
    train, test = train_test_split(np.arange(len(texts)), test_size=0.2, random_state=seed, stratify=y)
    tr_texts, te_texts = [texts[i] for i in train], [texts[i] for i in test]
    results: dict[str, object] = {
        "command": "python benchmarks/sentiment.py" + (" --text-only" if args.text_only else ""),
        "in_domain": {
            "data": "reviews_womens_clothing: title + review text, rows with a review text; "
                    "label from Rating 1-2 negative / 3 neutral / 4-5 positive",
            "split": f"stratified 80/20, seed {seed}", "n_train": int(train.size), "n_test": int(test.size),
            "test_class_counts": {lab: int((y[test] == lab).sum()) for lab in ("negative", "neutral", "positive")},
            "vader": _report(y[test], vader_labels(vader[test, 0], band=band)) | {"neutral_band": band},
        },
    }
    variants = {
        "ours_embedding_lexicon_tfidf": ("embedding", "lexicon", "tfidf"),
        "embedding_only": ("embedding",),
        "lexicon_tfidf": ("lexicon", "tfidf"),
    }
    if args.text_only:
        variants = {"lexicon_tfidf": variants["lexicon_tfidf"]}
    out = ROOT / "benchmarks" / "results" / "sentiment.json"

    def save() -> None:  # after every step, so a long run leaves what it measured so far
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n", encoding="utf-8")

    cfpb = load_cfpb().sample(n=500, seed=seed).sort("id")
    c_texts = cfpb["text"].to_list()
    c_emb = None if args.text_only else cached_embeddings("cfpb500", c_texts)
    c_vader = vader_scores(c_texts)
    cross: dict[str, object] = {
        "data": "complaints_cfpb/cfpb_narratives_by_product_sample.csv, 500 narratives sampled with seed 42",
        "why": "no second data set here carries sentiment labels written by customers (the tweets have none, "
               "Bitext is machine-generated); a complaint filed with a regulator is taken as negative, so this "
               "measures negative recall only (the share labelled negative), not macro-F1",
        "vader_share_negative": round(float((vader_labels(c_vader[:, 0], band=band) == "negative").mean()), 4),
        "models": "fitted on the 80% review training split (the in-domain models above)",
    }
    results["cross_domain_reviews_to_cfpb"] = cross
    # Intent rules on the Bitext utterances (labelled intents; machine-generated text).
    bt = load_bitext()
    bt_texts = bt["text"].to_list()
    bt_labels = vader_labels(vader_scores(bt_texts)[:, 0], band=band)
    flags = detect_intent(bt_texts, bt_labels)
    is_c = (bt["intent"] == "complaint").to_numpy()
    pc = flags["is_complaint"].to_numpy()
    has_i = bt["flags"].str.contains("I").to_numpy()
    pq = flags["is_question"].to_numpy()
    results["intent_bitext"] = {
        "data": "support_intents_bitext, 21,534 utterances; complaint = intent 'complaint'; question = the "
                "Bitext flag I (interrogative form); sentiment labels for the rules from VADER",
        "complaint_recall": round(float(pc[is_c].mean()), 4),
        "complaint_precision": round(float(is_c[pc].mean()), 4) if pc.any() else None,
        "n_complaint": int(is_c.sum()),
        "question_recall": round(float(pq[has_i].mean()), 4),
        "question_precision": round(float(has_i[pq].mean()), 4) if pq.any() else None,
        "note": "Bitext's non-complaint intents include problems (payment_issue) that the rules rightly call "
                "complaints, so complaint precision here is a lower bound",
    }
    save()

    for name, feats in variants.items():
        start = time.perf_counter()
        cfg = SentimentConfig(features=feats, cv_folds=folds)
        e_train, e_test = (None, None) if emb is None else (emb[train], emb[test])
        clf = fit_sentiment_classifier(tr_texts, e_train, y[train], config=cfg, seed=seed, vader=vader[train])
        proba = clf.predict_proba(te_texts, e_test, vader=vader[test])
        pred = clf.predict(te_texts, e_test, vader=vader[test])
        # calibration: expected calibration error of the top-class probability, 10 bins
        conf = proba.max(axis=1)
        hit = (np.asarray(("negative", "neutral", "positive"))[proba.argmax(axis=1)] == y[test]).astype(float)
        bins = np.minimum((conf * 10).astype(int), 9)
        ece = float(sum(abs(hit[bins == b].mean() - conf[bins == b].mean()) * (bins == b).mean()
                        for b in range(10) if (bins == b).any()))
        results["in_domain"][name] = _report(y[test], pred) | {  # type: ignore[index]
            "features": list(feats), "cv_folds": folds, "oof_macro_f1_train": round(clf.oof_macro_f1, 4),
            "offsets": [round(float(o), 2) for o in clf.offsets], "ece_top_class": round(ece, 4),
            "seconds": round(time.perf_counter() - start, 1),
        }
        log.info("%s: macro-F1 %.4f", name, results["in_domain"][name]["macro_f1"])  # type: ignore[index]
        if name == "ours_embedding_lexicon_tfidf" or args.text_only:
            results["in_domain"]["ours_variant"] = name  # type: ignore[index]
            ours = results["in_domain"][name]  # type: ignore[index]
            results["in_domain"]["ours_minus_vader_points"] = round(  # type: ignore[index]
                100 * (ours["macro_f1"] - results["in_domain"]["vader"]["macro_f1"]), 2)  # type: ignore[index]
        c_pred = clf.predict(c_texts, c_emb, vader=c_vader)
        cross[f"{name}_share_negative"] = round(float((c_pred == "negative").mean()), 4)
        cross[f"{name}_share_neutral"] = round(float((c_pred == "neutral").mean()), 4)
        save()

    save()
    log.info("wrote %s", out)


if __name__ == "__main__":
    main()
