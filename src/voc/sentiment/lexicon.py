"""Lexicon features: VADER's polarity scores plus a few surface cues, as a dense matrix per text.

VADER is the no-training baseline; its scores also feed the classifier as features, which carries some
polarity knowledge into domains where the rated data is thin.
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np

LEXICON_FEATURES = (
    "vader_compound", "vader_pos", "vader_neu", "vader_neg", "exclamations", "questions",
    "negations", "contrasts", "log_words",
)
_NEGATION = re.compile(r"\b(?:not|no|never|nothing|nobody|none|cannot|can't|cant|won't|wont|don't|dont|"
                       r"didn't|didnt|isn't|isnt|wasn't|wasnt|doesn't|doesnt|haven't|havent)\b", re.I)
_CONTRAST = re.compile(r"\b(?:but|however|although|though|unfortunately|except|yet)\b", re.I)


@lru_cache(maxsize=1)
def _analyzer() -> object:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def vader_scores(texts: list[str]) -> np.ndarray:
    """VADER's (compound, pos, neu, neg) per text, shape (n, 4); compound in [-1, 1], the rest shares 0-1."""
    analyzer = _analyzer()
    out = np.zeros((len(texts), 4), dtype=np.float64)
    for i, text in enumerate(texts):
        s = analyzer.polarity_scores(text)  # type: ignore[attr-defined]
        out[i] = (s["compound"], s["pos"], s["neu"], s["neg"])
    return out


def vader_compound(texts: list[str]) -> np.ndarray:
    """VADER's compound score in [-1, 1] per text (a lexicon baseline; no training)."""
    return vader_scores(texts)[:, 0]


def vader_labels(compound: np.ndarray, *, band: float) -> np.ndarray:
    """VADER's conventional thresholds: compound >= band positive, <= -band negative, else neutral."""
    return np.where(compound >= band, "positive", np.where(compound <= -band, "negative", "neutral"))


def lexicon_features(texts: list[str], *, vader: np.ndarray | None = None) -> np.ndarray:
    """Dense features per text in the order of ``LEXICON_FEATURES``, each roughly on a 0-1 or -1..1 scale.

    Counts are capped at 3 and divided by 3; ``log_words`` is log1p(words) / 6. Pass ``vader`` (from
    ``vader_scores``) to avoid scoring twice.
    """
    v = vader_scores(texts) if vader is None else vader
    if v.shape != (len(texts), 4):
        raise ValueError(f"lexicon_features: vader has shape {v.shape}, expected ({len(texts)}, 4)")
    cues = np.zeros((len(texts), 5), dtype=np.float64)
    for i, text in enumerate(texts):
        cues[i] = (
            min(text.count("!"), 3) / 3,
            min(text.count("?"), 3) / 3,
            min(len(_NEGATION.findall(text)), 3) / 3,
            min(len(_CONTRAST.findall(text)), 3) / 3,
            np.log1p(len(text.split())) / 6,
        )
    return np.hstack([v, cues])
