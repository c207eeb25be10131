"""Render composed sentences into each channel's native shape (review, post, chat, email, transcript)."""

from __future__ import annotations

import datetime as dt
import quopri
from collections.abc import Sequence

from voc.sample import phrases as P
from voc.sample.text import Draw, fill

SUPPORT_ADDRESS = "support@acme.example"


def iso_utc(ts: float) -> str:
    """Epoch seconds to ``YYYY-MM-DDTHH:MM:SSZ``."""
    return dt.datetime.fromtimestamp(int(ts), dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def stars_for(score: float, draw: Draw) -> int:
    """Review stars (1-5) consistent with a sentiment score in [-1, 1], with some noise."""
    base = 3.0 + 2.2 * score + (draw.u() - 0.5) * 1.2
    return int(min(5, max(1, round(base))))


def review(draw: Draw, sentences: Sequence[str], themes: Sequence[str], stars: int, *, brand: str,
           symbol: str) -> tuple[str, str]:
    """A review ``(title, body)``."""
    th = P.THEME_BY_NAME[themes[0]] if themes else None
    if th is not None and th.titles and draw.chance(0.7):
        title = fill(draw.pick(th.titles), draw, brand=brand, symbol=symbol)
    else:
        title = draw.pick({1: ("Awful", "Avoid", "Terrible"), 2: ("Poor", "Disappointing", "Meh"),
                           3: ("OK", "Average", "Could be better"), 4: ("Good", "Pretty good", "Solid"),
                           5: ("Excellent", "Brilliant", "Great service")}[stars])
    if draw.chance(0.2):
        title = title.upper() if stars <= 2 and draw.chance(0.5) else title.lower()
    return title, " ".join(sentences)


def social(draw: Draw, sentences: Sequence[str], themes: Sequence[str], polarity: int, *, brand: str,
           brand_handle: str) -> str:
    """A short post: addresses ``brand_handle`` or mentions the brand, with hashtags and emoji."""
    body = " ".join(sentences)
    if draw.chance(0.65):
        text = f"{brand_handle} {body}" if draw.chance(0.7) else f"{body} {brand_handle}"
    elif brand.lower() in body.lower():
        text = body
    else:
        text = draw.pick((f"{brand} {body[0].lower()}{body[1:]}", f"{body} #{brand}",
                          f"{body} Thanks {brand}." if polarity < 0 else f"{body} Thanks {brand}!",
                          f"Me vs {brand}: {body}"))
    tags = [t for name in themes for t in P.THEME_BY_NAME[name].hashtags]
    if tags and draw.chance(0.55):
        text += " " + draw.pick(tags)
        if draw.chance(0.3):
            second = draw.pick(tags if polarity >= 0 else tags + [f"#{brand}fail"])
            if second not in text:
                text += " " + second
    if draw.chance(0.6):
        pool = P.EMOJI_NEG if polarity < 0 else P.EMOJI_POS if polarity > 0 else P.EMOJI_NEU
        text += " " + draw.pick(pool) * draw.int(1, 4)
    return text if len(text) <= 280 else text[:280].rsplit(" ", 1)[0]


def chat(draw: Draw, sentences: Sequence[str], themes: Sequence[str], polarity: int, start: float, *,
         brand: str) -> list[dict[str, str]]:
    """Chat turns: a bot greeting, the customer, a hand-off to an agent, then customer and agent turns."""
    t = start
    turns: list[dict[str, str]] = []

    def say(speaker: str, text: str, gap: tuple[int, int]) -> None:
        nonlocal t
        t += draw.int(*gap)
        turns.append({"speaker": speaker, "at": iso_utc(t), "text": text})

    kw = dict(brand=brand, symbol="")
    say("bot", fill(draw.pick(P.CHAT_BOT_GREETINGS), draw, **kw), (0, 2))
    rest = list(sentences)
    th = P.THEME_BY_NAME[themes[0]] if themes else None
    if th is not None and th.ivr and draw.chance(0.5):
        say("customer", draw.pick(th.ivr), (5, 40))
    else:
        say("customer", rest.pop(0), (10, 90))
    say("bot", fill(draw.pick(P.CHAT_BOT_HANDOFF), draw, **kw), (1, 3))
    say("agent", fill(draw.pick(P.CHAT_AGENT_OPEN), draw, **kw), (60, 900))
    while rest:
        k = draw.int(1, 3)
        say("customer", " ".join(rest[:k]), (20, 180))
        rest = rest[k:]
        say("agent", fill(draw.pick(P.CHAT_AGENT_MID), draw, **kw), (20, 240))
    say("agent", fill(draw.pick(P.CHAT_AGENT_CLOSE), draw, **kw), (20, 300))
    if draw.chance(0.6):
        say("customer", draw.pick(("no thanks", "ok", "thanks", "that's all", "fine") if polarity >= 0
                                  else ("no", "whatever", "just fix it please", "no. bye")), (10, 90))
    return turns


def _qp(text: str) -> str:
    return quopri.encodestring(text.encode("utf-8")).decode("ascii")


def email(draw: Draw, stem: str, sentences: Sequence[str], themes: Sequence[str], *, when: float,
          customer_id: str, name: str, address: str, brand: str, symbol: str, style: str) -> str:
    """An RFC 822 message; ``style`` is ``plain``, ``qp`` (quoted-printable) or ``multipart``."""
    first = name.split(" ")[0]
    th = P.THEME_BY_NAME[themes[0]] if themes else None
    subject = fill(draw.pick(th.subjects), draw, brand=brand, symbol=symbol) if th and th.subjects \
        else "Feedback"
    greeting = draw.pick(("Hi,", "Hello,", f"Dear {brand},", "Dear Sir/Madam,", f"Hi {brand} team,",
                          "To whom it may concern,", ""))
    sign = draw.pick(("Regards,", "Thanks,", "Kind regards,", "Cheers,", "Thanks in advance,", "Best,"))
    sig_name = draw.pick((first, name, first[0]))
    paragraphs = []
    rest = list(sentences)
    while rest:
        k = draw.int(1, 4)
        paragraphs.append(" ".join(rest[:k]))
        rest = rest[k:]
    body = "\n\n".join(([greeting] if greeting else []) + paragraphs + [f"{sign}\n{sig_name}"])
    if draw.chance(0.15):
        body += "\n\nSent from my " + draw.pick(("iPhone", "Samsung Galaxy", "iPad"))
    d = dt.datetime.fromtimestamp(int(when), dt.UTC)
    reply = draw.chance(0.3)
    if reply:
        earlier = d - dt.timedelta(hours=draw.int(3, 200), minutes=draw.int(0, 60))
        quoted = [f"Dear {first},", "",
                  draw.pick(("Thank you for contacting us. We have looked into your query and believe it "
                             "is now resolved.", "Thanks for getting in touch. Your case has been passed to "
                             "the relevant team.", "We're sorry for the inconvenience. Please reply to this "
                             "email if the issue continues.")),
                  "", "Kind regards,", f"{brand} Customer Care"]
        quoted_block = "\n".join(("> " + line).rstrip() for line in quoted)
        if draw.chance(0.7):
            stamp = earlier.strftime("%a, %d %b %Y at %H:%M")
            body += f"\n\nOn {stamp}, {brand} Support <{SUPPORT_ADDRESS}> wrote:\n{quoted_block}"
        else:
            body += f"\n\n{quoted_block}"
        subject = "Re: " + subject
    headers = [
        f"Message-ID: <{stem}.{d.strftime('%Y%m%d%H%M%S')}@mail.example.com>",
        f"Date: {d.strftime('%a, %d %b %Y %H:%M:%S +0000')}",
        f"From: {name} <{address}>",
        f"To: {brand} Support <{SUPPORT_ADDRESS}>",
        f"Subject: {subject}",
        f"X-Customer-ID: {customer_id}",
        "MIME-Version: 1.0",
    ]
    if reply:
        headers.insert(1, f"In-Reply-To: <case.{stem}@acme.example>")
    if style == "multipart":
        boundary = f"==acme-{stem}=="
        html = "<html><body>" + "".join(
            f"<p>{p.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;').replace(chr(10), '<br>')}</p>"
            for p in body.split("\n\n")) + "</body></html>"
        enc = "quoted-printable" if draw.chance(0.5) else "8bit"
        part_body = (lambda s: _qp(s)) if enc == "quoted-printable" else (lambda s: s)
        headers.append(f'Content-Type: multipart/alternative; boundary="{boundary}"')
        parts = [
            f"--{boundary}\nContent-Type: text/plain; charset=\"utf-8\"\nContent-Transfer-Encoding: {enc}\n\n"
            f"{part_body(body)}\n",
            f"--{boundary}\nContent-Type: text/html; charset=\"utf-8\"\nContent-Transfer-Encoding: {enc}\n\n"
            f"{part_body(html)}\n",
            f"--{boundary}--\n",
        ]
        return "\n".join(headers) + "\n\nThis is a multi-part message in MIME format.\n\n" + "".join(parts)
    if style == "qp":
        headers += ['Content-Type: text/plain; charset="utf-8"', "Content-Transfer-Encoding: quoted-printable"]
        return "\n".join(headers) + "\n\n" + _qp(body) + "\n"
    headers += ['Content-Type: text/plain; charset="utf-8"', "Content-Transfer-Encoding: 8bit"]
    return "\n".join(headers) + "\n\n" + body + "\n"


def call(draw: Draw, call_id: str, customer_id: str, when: float, sentences: Sequence[str],
         themes: Sequence[str], polarity: int, *, kind: str, brand: str) -> str:
    """A call (``AGENT:``/``CUSTOMER:``) or IVR (``IVR:``/``CUSTOMER:``) transcript with its header."""
    head = f"Call-ID: {call_id}\nCustomer-ID: {customer_id}\nStarted: {iso_utc(when)}\nType: {kind}\n\n"
    kw = dict(brand=brand, symbol="")
    lines: list[str] = []
    th = P.THEME_BY_NAME[themes[0]] if themes else None
    if kind == "ivr":
        lines.append("IVR: " + fill(draw.pick(P.IVR_PROMPTS), draw, **kw))
        lines.append("CUSTOMER: " + " ".join(sentences))
        guess = th.label.lower() if th else "something else"
        lines.append(f"IVR: I think you said {guess}. Is that right?")
        lines.append("CUSTOMER: " + draw.pick(("yes", "yeah", "yes please", "correct")))
        lines.append("IVR: Thanks. " + draw.pick(("Please hold while I connect you.",
                                                 "You can also manage this in the " + brand + " app. Goodbye.",
                                                 "Your estimated wait time is " + str(draw.int(3, 40)) + " minutes.")))
        return head + "\n".join(lines) + "\n"
    lines.append("AGENT: " + fill(draw.pick(P.CALL_AGENT_OPEN), draw, **kw))
    rest = list(sentences)
    first = True
    while rest:
        k = draw.int(1, 3)
        said = " ".join(rest[:k])
        rest = rest[k:]
        if draw.chance(0.35):
            said = draw.pick(P.FILLERS) + " " + said
        lines.append("CUSTOMER: " + said)
        if first:
            lines.append("AGENT: " + draw.pick(("Can I take your postcode to find the account?",
                                                 "Sorry to hear that. Can you confirm your name please?",
                                                 "OK, let me pull up your account.")))
            lines.append("CUSTOMER: " + draw.pick(("yes", "sure", "yeah go on", "fine")))
            first = False
        lines.append("AGENT: " + fill(draw.pick(P.CHAT_AGENT_MID), draw, **kw))
    lines.append("AGENT: " + fill(draw.pick(P.CHAT_AGENT_CLOSE), draw, **kw))
    lines.append("CUSTOMER: " + draw.pick(("no that's everything, thanks", "thanks, bye", "ok") if polarity >= 0
                                          else ("no", "just sort it out", "fine. bye", "whatever")))
    return head + "\n".join(lines) + "\n"
