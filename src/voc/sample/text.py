"""Compose customer texts from the phrase bank: slots, openers, hedges, typos, sarcasm and planted PII."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TypeVar

import numpy as np

from voc.sample import phrases as P

T = TypeVar("T")
_SLOT = re.compile(r"\{(\w+)\}")


class Draw:
    """Fast scalar draws from a numpy Generator (buffered uniforms, so the stream is deterministic)."""

    def __init__(self, rng: np.random.Generator, *, buffer: int = 1 << 16) -> None:
        self._rng = rng
        self._size = buffer
        self._buf: list[float] = []
        self._i = 0

    def u(self) -> float:
        """One uniform draw in [0, 1)."""
        if self._i >= len(self._buf):
            self._buf = self._rng.random(self._size).tolist()
            self._i = 0
        v = self._buf[self._i]
        self._i += 1
        return v

    def pick(self, seq: Sequence[T]) -> T:
        """One element of ``seq``, uniformly."""
        return seq[int(self.u() * len(seq))]

    def int(self, lo: int, hi: int) -> int:
        """An integer in ``[lo, hi)``."""
        return lo + int(self.u() * (hi - lo))

    def chance(self, p: float) -> bool:
        """True with probability ``p``."""
        return self.u() < p


def _money(draw: Draw, symbol: str, lo: int, hi: int) -> str:
    return f"{symbol}{draw.int(lo, hi)}.{draw.int(0, 100):02d}"


def fill(template: str, draw: Draw, *, brand: str, symbol: str) -> str:
    """Fill the ``{slots}`` of one template with plausible values."""

    def value(m: re.Match[str]) -> str:
        key = m.group(1)
        if key in P.SLOTS:
            return draw.pick(P.SLOTS[key])
        numeric = {
            "days": (2, 22), "hours": (2, 49), "mins": (10, 96), "n": (2, 6), "weeks": (2, 9),
            "pct": (5, 26), "years": (2, 16), "slow": (2, 21), "gb": (5, 41), "hour": (6, 11),
        }
        if key in numeric:
            return str(draw.int(*numeric[key]))
        if key == "amount":
            return _money(draw, symbol, 20, 140)
        if key == "amount2":
            return _money(draw, symbol, 5, 60)
        if key == "speed":
            return draw.pick(("150", "300", "500", "900"))
        if key == "year":
            return draw.pick(("2025", "2026"))
        if key == "brand":
            return brand
        if key == "ref":
            return f"REF{draw.int(100000, 999999)}"
        raise KeyError(f"phrase bank: unknown slot {{{key}}} in {template!r}")

    return _SLOT.sub(value, template)


def _finish(sentence: str, draw: Draw, *, strong: bool) -> str:
    s = sentence.strip()
    if not s:
        return s
    if s[-1] not in ".!?":
        if strong and draw.chance(0.5):
            s += draw.pick(("!", "!!", "!!!"))
        elif draw.chance(0.85):
            s += "."
    if draw.chance(0.75) and s[0].islower():
        s = s[0].upper() + s[1:]
    return s


def typo(text: str, draw: Draw, *, rate: float) -> str:
    """Misspell, swap, drop or double characters in about ``rate`` of the words."""
    words = text.split(" ")
    for i, w in enumerate(words):
        if len(w) < 4 or not draw.chance(rate) or any(c.isdigit() or c in "@#£€$" for c in w):
            continue
        low = w.lower().strip(".,!?")
        if low in P.MISSPELLINGS and draw.chance(0.6):
            words[i] = w.replace(low, P.MISSPELLINGS[low])
            continue
        j = draw.int(1, len(w) - 2)
        op = draw.u()
        if op < 0.4:
            words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2:]
        elif op < 0.75:
            words[i] = w[:j] + w[j + 1:]
        else:
            words[i] = w[:j] + w[j] + w[j:]
    return " ".join(words)


def compose(
    draw: Draw,
    *,
    themes: Sequence[str],
    polarity: int,
    strong: bool,
    brand: str,
    symbol: str,
    short: bool = False,
    typo_rate: float = 0.04,
    max_chars: int | None = None,
) -> list[str]:
    """Sentences for one message about ``themes`` (polarity -1/0/+1; ``strong`` makes a rant)."""
    sentences: list[str] = []
    if short and len(themes) == 1:
        th = P.THEME_BY_NAME[themes[0]]
        pool = th.titles if th.titles and draw.chance(0.5) else th.templates
        s = fill(draw.pick(pool), draw, brand=brand, symbol=symbol)
        s = s.lower() if draw.chance(0.5) else s
        return [_finish(s, draw, strong=strong)]
    for k, name in enumerate(themes):
        th = P.THEME_BY_NAME[name]
        if th.polarity < 0 and th.sarcastic and polarity < 0 and draw.chance(0.12):
            tpl = draw.pick(th.sarcastic)
        else:
            tpl = draw.pick(th.templates)
        s = fill(tpl, draw, brand=brand, symbol=symbol)
        if draw.chance(0.12):
            s = draw.pick(P.HEDGES) + s[0].lower() + s[1:]
        if k > 0 and th.polarity != P.THEME_BY_NAME[themes[0]].polarity and draw.chance(0.5):
            s = draw.pick(("But ", "Although ", "On the other hand ", "That said, ")) + s[0].lower() + s[1:]
        elif k > 0 and draw.chance(0.3):
            s = draw.pick(("Also ", "And ", "On top of that ", "Plus ", "Oh and ")) + s[0].lower() + s[1:]
        sentences.append(_finish(s, draw, strong=strong))
    extras: list[str] = []
    if polarity < 0 and strong:
        pool = [
            f"I've been with {brand} for {draw.int(2, 16)} years.",
            f"I've called {draw.int(2, 7)} times about this.",
            "Nobody ever calls back.",
            f"I am {draw.pick(P.INTENSIFIERS)} fed up.",
            "Every time I contact you I get a different answer.",
            draw.pick(P.STRONG_NEG),
        ]
        for _ in range(draw.int(1, 4)):
            extras.append(pool.pop(draw.int(0, len(pool))))
    elif polarity > 0 and strong:
        extras.append(draw.pick((f"{draw.pick(('Really', 'So', 'Genuinely'))} impressed.",
                                 "Best customer service I've had in years.", "Can't fault it.")))
    if polarity < 0 and not strong and draw.chance(0.1):
        extras.append(draw.pick(P.MILD_POS))
    opener = draw.pick(P.OPENERS[polarity]) if not short else ""
    closer = draw.pick(P.CLOSERS[polarity]) if not short else ""
    if closer:
        extras.append(closer)
    if max_chars is not None:
        budget = max_chars - sum(len(x) + 1 for x in sentences) - len(opener)
        kept = []
        for e in extras:
            if len(e) + 1 <= budget:
                kept.append(e)
                budget -= len(e) + 1
        extras = kept
    tail = [e for e in extras if e != closer]
    for e in tail:  # rant extras land among the theme sentences
        sentences.insert(draw.int(1, len(sentences) + 1), e)
    if closer and closer in extras:
        sentences.append(closer)
    if opener and sentences:
        first = sentences[0]
        sentences[0] = opener + (first[0].lower() + first[1:] if opener.endswith(" ") and
                                 not opener.endswith(". ") and not opener.endswith(": ") else first)
    out = [typo(s, draw, rate=typo_rate) if draw.chance(0.35) else s for s in sentences if s]
    if draw.chance(0.08):
        out = [s.lower() for s in out]
    elif polarity < 0 and strong and draw.chance(0.15):
        i = draw.int(0, len(out))
        out[i] = out[i].upper()
    return out


# --- PII -----------------------------------------------------------------------------------------------

def _luhn_complete(digits: list[int]) -> list[int]:
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return digits + [(10 - total % 10) % 10]


def luhn_valid(number: str) -> bool:
    """True when the digits of ``number`` pass the Luhn check."""
    ds = [int(c) for c in number if c.isdigit()]
    total = 0
    for i, d in enumerate(reversed(ds)):
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return len(ds) >= 12 and total % 10 == 0


def iban_valid(iban: str) -> bool:
    """True when ``iban`` (spaces allowed) passes the ISO 13616 mod-97 check."""
    s = iban.replace(" ", "")
    s = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in s)) % 97 == 1


def _make_iban(draw: Draw) -> str:
    country, bban = draw.pick((
        ("GB", lambda: "".join(draw.pick("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(4))
         + "".join(str(draw.int(0, 10)) for _ in range(14))),
        ("DE", lambda: "".join(str(draw.int(0, 10)) for _ in range(18))),
        ("NL", lambda: "".join(draw.pick("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(4))
         + "".join(str(draw.int(0, 10)) for _ in range(10))),
        ("IE", lambda: "".join(draw.pick("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(4))
         + "".join(str(draw.int(0, 10)) for _ in range(14))),
    ))
    b = bban()
    num = int("".join(str(int(c, 36)) for c in b + country + "00"))
    iban = f"{country}{98 - num % 97:02d}{b}"
    if draw.chance(0.5):
        iban = " ".join(iban[i:i + 4] for i in range(0, len(iban), 4))
    return iban


def _make_card(draw: Draw) -> str:
    kind = draw.u()
    if kind < 0.5:
        digits = [4] + [draw.int(0, 10) for _ in range(14)]
        groups = (4, 4, 4, 4)
    elif kind < 0.85:
        digits = [5, draw.int(1, 6)] + [draw.int(0, 10) for _ in range(13)]
        groups = (4, 4, 4, 4)
    else:
        digits = [3, draw.pick((4, 7))] + [draw.int(0, 10) for _ in range(12)]
        groups = (4, 6, 5)
    s = "".join(map(str, _luhn_complete(digits)))
    sep = draw.pick((" ", "-", ""))
    out, i = [], 0
    for g in groups:
        out.append(s[i:i + g])
        i += g
    return sep.join(out)


def _make_phone(draw: Draw) -> str:
    d = lambda n: "".join(str(draw.int(0, 10)) for _ in range(n))  # noqa: E731
    return draw.pick((
        lambda: f"07700 900{d(3)}",
        lambda: f"+44 7700 900{d(3)}",
        lambda: f"+44 (0)20 7946 0{d(3)}",
        lambda: f"0161 496 0{d(3)}",
        lambda: f"(202) 555-01{d(2)}",
        lambda: f"+1 202-555-01{d(2)}",
        lambda: f"+49 30 {d(8)}",
        lambda: f"+33 6 {d(2)} {d(2)} {d(2)} {d(2)}",
        lambda: f"+353 85 {d(3)} {d(4)}",
        lambda: f"+34 612 {d(3)} {d(3)}",
    ))()


def _make_email(draw: Draw) -> str:
    first = draw.pick(P.FIRST_NAMES).lower()
    last = draw.pick(P.LAST_NAMES).lower()
    local = draw.pick((f"{first}.{last}", f"{first}{last[0]}{draw.int(1, 99)}", f"{first[0]}{last}",
                       f"{first}_{last}{draw.int(70, 100)}"))
    domain = draw.pick(("gmail.com", "outlook.com", "yahoo.co.uk", "example.com", "btinternet.com",
                        "mail.example.org"))
    return f"{local}@{domain}"


def _make_address(draw: Draw) -> str:
    if draw.chance(0.2):
        return draw.pick(P.EU_ADDRESSES).format(n=draw.int(1, 120))
    town, pc = draw.pick(P.TOWNS)
    flat = f"Flat {draw.int(1, 30)}, " if draw.chance(0.25) else ""
    return f"{flat}{draw.int(1, 200)} {draw.pick(P.STREETS)}, {town} {pc}"


PII_TYPES = ("email", "phone", "card", "address", "iban")
_PII_MAKERS = {"email": _make_email, "phone": _make_phone, "card": _make_card, "address": _make_address,
               "iban": _make_iban}
_PII_SENTENCES = {
    "email": ("You can email me at {v}.", "my email is {v} if you need it", "Please reply to {v} not the old address.",
              "contact me on {v}"),
    "phone": ("Call me back on {v}.", "my number is {v}", "Please ring {v} after 5pm.", "you can reach me on {v}"),
    "card": ("I paid with card {v} and it was charged twice.", "card number is {v}",
             "The payment went through on {v}, check it."),
    "address": ("I live at {v}.", "Please send it to {v} instead.", "my address is {v}",
                "The engineer needs to come to {v}."),
    "iban": ("Please refund to my account {v}.", "my IBAN is {v}", "Send the refund to IBAN {v}."),
}


def make_pii(draw: Draw) -> tuple[str, str, str]:
    """One planted PII value: ``(type, value, sentence that contains the value verbatim)``."""
    kind = draw.pick(("email", "email", "phone", "phone", "phone", "card", "address", "address", "iban"))
    value = _PII_MAKERS[kind](draw)
    return kind, value, draw.pick(_PII_SENTENCES[kind]).format(v=value)
