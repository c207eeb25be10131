"""Intent per item (complaint, question, request, praise, other) and effort / urgency signals.

Rules and small cue lexicons, combined with the item's sentiment label: transparent, and measured against
the labelled Bitext utterances in ``benchmarks/sentiment.py``. Every flag is kept (an item can be a
complaint and a question at once); ``intent`` is the primary one, by the precedence
complaint > request > question > praise > other.

- ``effort_score`` in [0, 1]: cues that the customer had to work to get served (repeat contacts, waiting,
  transfers, "still", "again"); 3 or more distinct cues score 1.
- ``urgency_score`` in [0, 1]: time pressure and escalation threats ("urgent", "today", "lawyer", "cancel"),
  plus shouting (!!!, capitals), plus half a cue for a negative label; 3 or more score 1.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import polars as pl

INTENTS = ("complaint", "request", "question", "praise", "other")


def _rx(words: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(words) + r")\b", re.I)


_COMPLAINT = _rx((
    r"complain\w*", r"disappoint\w*", r"unacceptable", r"ridiculous", r"terrible", r"awful", r"horrible",
    r"worst", r"useless", r"rude", r"broken", r"not working", r"doesn'?t work", r"does not work", r"won'?t work",
    r"stopped working", r"keeps? (?:crashing|failing|dropping)", r"charged twice", r"overcharg\w*",
    r"double charg\w*", r"wrong(?:ly)?", r"error", r"fault\w*", r"poor", r"fed up", r"frustrat\w*", r"angry",
    r"annoy\w*", r"not happy", r"unhappy", r"discontent\w*", r"dissatisf\w*", r"never (?:arrived|received)",
    r"still (?:no|not|waiting)", r"no one", r"nobody", r"scam", r"rip ?off", r"outage", r"down again",
))
_REQUEST = _rx((  # asking someone to act, polite questions included ("could you ...?")
    r"please", r"pls", r"could you", r"can you", r"would you", r"i want", r"i need", r"i'?d like",
    r"i would like", r"help me", r"send me", r"let me know", r"call me back", r"get back to me",
))
_ACTION = _rx((  # an action without the asking: a request unless it is phrased as a question
    r"cancel (?:my|the)", r"refund (?:me|my)", r"change my", r"update my", r"reset my", r"close my",
    r"fix (?:it|this)", r"sort (?:it|this) out",
))
_QUESTION_START = re.compile(
    r"(?:^|[.!?]\s+)(?:how|what|when|where|why|who|which|is|are|can|could|do|does|did|will|would|should|"
    r"has|have|any idea|anyone know)\b[^.!]*$|(?:^|[.!?]\s+)(?:how|what|when|where|why|which)\b",
    re.I,
)
_PRAISE = _rx((
    r"thank\w*", r"thx", r"love\w*", r"great", r"excellent", r"amazing", r"awesome", r"brilliant", r"fantastic",
    r"perfect", r"helpful", r"wonderful", r"superb", r"recommend\w*", r"happy with", r"pleased", r"impressed",
    r"well done", r"kudos", r"best",
))
_EFFORT = (
    _rx((r"again", r"still", r"yet again", r"once more")),
    _rx((r"(?:second|third|fourth|fifth|\d+(?:st|nd|rd|th)) time", r"\d+ times", r"several times",
         r"multiple times", r"many times", r"repeated\w*", r"keep (?:calling|asking|chasing|trying)",
         r"again and again", r"every time")),
    _rx((r"on hold", r"waited", r"waiting", r"wait(?:ed)? for", r"hours?", r"days", r"weeks?", r"forever",
         r"ages")),
    _rx((r"transferred", r"passed (?:around|from)", r"bounced", r"different (?:agent|person|people)",
         r"explain(?:ed)? (?:it )?again", r"start(?:ed)? over", r"no one (?:gets|got) back", r"chas\w+")),
    _rx((r"hard to", r"difficult", r"impossible", r"confusing", r"complicated", r"can'?t find", r"couldn'?t find",
         r"jump through", r"hoops")),
)
_URGENT = (
    _rx((r"urgent\w*", r"asap", r"immediately", r"right now", r"right away", r"emergency", r"as soon as possible")),
    _rx((r"today", r"tonight", r"tomorrow", r"by (?:monday|tuesday|wednesday|thursday|friday|the end of)",
         r"deadline")),
    _rx((r"lawyer", r"legal", r"solicitor", r"ombudsman", r"regulator", r"court", r"chargeback", r"report you",
         r"trading standards", r"cfpb", r"bbb")),
    _rx((r"cancel\w*", r"leav(?:e|ing)", r"switch(?:ing)? to", r"close my account", r"terminate")),
)


@dataclass(frozen=True)
class IntentConfig:
    """Switches for ``detect_intent`` (kept in the ``sentiment:`` block as ``intent_*`` keys)."""

    negative_is_complaint: bool = True    # a negative label alone makes an item a complaint
    praise_needs_positive: bool = True    # praise cues count only on positively scored items


def _is_question(text: str) -> bool:
    return "?" in text or bool(_QUESTION_START.search(text.strip()))


def _capitals(text: str) -> bool:
    words = [w for w in re.findall(r"[A-Za-z]{3,}", text)]
    return len(words) >= 3 and sum(w.isupper() for w in words) / len(words) >= 0.3


def detect_intent(texts: list[str], labels: list[str] | np.ndarray, *,
                  config: IntentConfig = IntentConfig()) -> pl.DataFrame:
    """Intent flags, the primary intent and effort / urgency scores (0-1) per text, row-aligned.

    ``labels`` are the sentiment labels (negative/neutral/positive) of the same texts.
    """
    labels = [str(x) for x in labels]
    if len(labels) != len(texts):
        raise ValueError(f"detect_intent: {len(texts)} texts but {len(labels)} sentiment labels")
    unknown = sorted(set(labels) - {"negative", "neutral", "positive"})
    if unknown:
        raise ValueError(f"detect_intent: unknown sentiment label(s) {unknown}")
    rows: dict[str, list[object]] = {k: [] for k in (
        "intent", "is_complaint", "is_question", "is_request", "is_praise", "effort_score", "urgency_score")}
    for text, label in zip(texts, labels, strict=True):
        neg = label == "negative"
        complaint = bool(_COMPLAINT.search(text)) and label != "positive" or (neg and config.negative_is_complaint)
        question = _is_question(text)
        request = bool(_REQUEST.search(text)) or (bool(_ACTION.search(text)) and not question)
        praise = bool(_PRAISE.search(text)) and (label == "positive" or not config.praise_needs_positive)
        primary = next(name for name, flag in (("complaint", complaint), ("request", request),
                                                ("question", question), ("praise", praise),
                                                ("other", True)) if flag)
        effort = sum(bool(rx.search(text)) for rx in _EFFORT)
        urgency = sum(bool(rx.search(text)) for rx in _URGENT) + ("!!" in text) + _capitals(text) + 0.5 * neg
        rows["intent"].append(primary)
        rows["is_complaint"].append(complaint)
        rows["is_question"].append(question)
        rows["is_request"].append(request)
        rows["is_praise"].append(praise)
        rows["effort_score"].append(round(min(effort / 3, 1.0), 4))
        rows["urgency_score"].append(round(min(urgency / 3, 1.0), 4))
    return pl.DataFrame(rows, schema={"intent": pl.String, "is_complaint": pl.Boolean, "is_question": pl.Boolean,
                                      "is_request": pl.Boolean, "is_praise": pl.Boolean,
                                      "effort_score": pl.Float64, "urgency_score": pl.Float64})
