"""Generate the multichannel sample data set in memory, with its planted truths.

The simulation runs month by month over the window: active customers pay invoices (some late or failed),
leave feedback (whose sentiment follows a hidden dissatisfaction), open tickets (some never resolved) and
churn with a monthly hazard that rises with short tenure, recent late or failed payments, unresolved
tickets and recent negative feedback. Texts are then composed for every item and rendered per channel.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl

from voc.sample import channels as C
from voc.sample import phrases as P
from voc.sample.config import SampleConfig
from voc.sample.text import Draw, compose, make_pii
from voc.sample.ticket_events import ticket_event_log

log = logging.getLogger(__name__)

DAY = 86400.0
SOURCES = ("surveys", "reviews", "social", "tickets", "chats", "emails", "calls")
# share of the customer-linked items per source (unlinked social posts come on top)
SOURCE_SHARE = np.array([0.31, 0.12, 0.07, 0.18, 0.12, 0.09, 0.11])
# logit offset of a negative item per source, and the positive share of the non-negative rest
NEG_BASE = np.array([-1.0, -0.5, 0.2, 1.6, 0.9, 1.2, 1.1])
POS_SHARE = np.array([0.75, 0.8, 0.6, 0.3, 0.45, 0.4, 0.45])
PRIORITIES = ("low", "normal", "high", "urgent")
FIRST_RESPONSE_TARGET_H = {"low": 48.0, "normal": 24.0, "high": 4.0, "urgent": 1.0}
RESOLUTION_TARGET_H = {"low": 120.0, "normal": 72.0, "high": 24.0, "urgent": 8.0}
FIRST_RESPONSE_BREACH = {"low": 0.06, "normal": 0.10, "high": 0.18, "urgent": 0.25}
RESOLUTION_BREACH = {"low": 0.08, "normal": 0.12, "high": 0.22, "urgent": 0.30}
NPS_EFFECTS = {"rude_agent": -2.0, "network_outage": -1.5, "billing_error": -1.2, "hard_cancellation": -1.0,
               "app_update_login": -1.0, "helpful_agent": 1.0, "product_quality": 0.8}
CES_EFFECTS = {"long_hold": -1.2, "hard_cancellation": -1.5, "login_problems": -0.8}
# monthly churn hazard = sigmoid(intercept + sum(coef x feature)); counts are capped (tickets at 3, items at 4)
CHURN_COEFS = {"intercept": -5.3, "tenure_under_6_months": 1.3, "tenure_6_to_12_months": 0.6,
               "late_payment_last_3_months": 0.8, "failed_or_unpaid_payment_last_3_months": 1.3,
               "unresolved_tickets_count": 0.7, "negative_feedback_last_3_months_count": 0.35}
# planted churn themes: a customer who raised the theme (in a negative item) in the last 3 months adds the coef
# to the monthly churn logit, on top of the negative-feedback count; these themes appear in negative items only
# through this draw: with probability CHURN_THEME_SHARE x the channel factor per negative item
CHURN_THEME_COEFS = {"network_outage": 2.0, "hard_cancellation": 2.0}
CHURN_THEME_SHARE = 0.12
CHURN_THEME_CHANNEL = {"network_outage": {"social": 2.0}, "hard_cancellation": {"calls": 1.8}}
FEATURES = ("usage_dashboard", "bill_pay", "plan_change", "roaming_pass", "speed_test", "support_chat",
            "family_sharing", "parental_controls")
PLANS = ("basic", "standard", "premium")
REGIONS = ("north", "south", "east", "west", "EU")
CURRENCY_SYMBOL = {"GBP": "£", "EUR": "€", "USD": "$"}


@dataclasses.dataclass(frozen=True)
class SampleData:
    """The generated raw data set, one attribute per raw file (see ``docs/data-contracts.md``)."""

    surveys: pl.DataFrame
    reviews: list[dict[str, Any]]
    social: list[dict[str, Any]]
    tickets: pl.DataFrame
    chats: list[dict[str, Any]]
    emails: dict[str, str]  # file stem -> RFC 822 text
    calls: dict[str, str]  # Call-ID -> transcript
    customers: pl.DataFrame
    payments: pl.DataFrame
    events: pl.DataFrame
    truth: dict[str, Any]
    ticket_events: pl.DataFrame | None = None  # help-desk status history (ticket_events/ticket_events.csv)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _epoch(d: dt.date) -> float:
    return dt.datetime(d.year, d.month, d.day, tzinfo=dt.UTC).timestamp()


def _month_bounds(end: dt.date, months: int) -> list[float]:
    y, m = end.year, end.month - months + 1
    while m < 1:
        y, m = y - 1, m + 12
    bounds = []
    for _ in range(months):
        bounds.append(_epoch(dt.date(y, m, 1)))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    bounds.append(_epoch(end + dt.timedelta(days=1)))
    return bounds


def _fmt_ts(col: str) -> pl.Expr:
    return pl.from_epoch(pl.col(col).cast(pl.Int64), time_unit="s").dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def _fmt_date(col: str) -> pl.Expr:
    return pl.from_epoch(pl.col(col).cast(pl.Int64), time_unit="s").dt.strftime("%Y-%m-%d")


def generate_sample(config: SampleConfig, *, seed: int, timezone: str = "Europe/London",
                    currency: str = "GBP") -> SampleData:
    """Generate the sample data set and its truths in memory; same ``seed`` gives the same data."""
    ss = np.random.SeedSequence(seed)
    r_cust, r_sim, r_items, r_text, r_tix, r_events = (np.random.default_rng(s) for s in ss.spawn(6))
    r_plant = np.random.default_rng(ss.spawn(1)[0])  # a 7th stream: the six above stay as they were
    symbol = CURRENCY_SYMBOL.get(currency, currency + " ")
    end = dt.date.fromisoformat(config.end_date)
    bounds = _month_bounds(end, config.months)
    w_start, w_end = bounds[0], bounds[-1]  # w_end: midnight after end_date (the snapshot time)
    emerging_start = w_end - config.emerging_weeks * 7 * DAY
    price_rise = bounds[min(3, config.months - 1)]
    n = config.n_customers

    # --- customers ---------------------------------------------------------------------------------
    before = r_cust.random(n) < 0.55
    signup = np.where(before, w_start - r_cust.uniform(30, 4 * 365, n) * DAY,
                      r_cust.uniform(w_start, w_end - 14 * DAY, n))
    signup = np.floor(np.sort(signup) / DAY) * DAY  # sorted so ids follow signup order
    cust_ids = np.array([f"C{i + 1:06d}" for i in range(n)])
    plan = r_cust.choice(3, n, p=[0.5, 0.35, 0.15])
    region = r_cust.choice(5, n, p=[0.22, 0.3, 0.15, 0.18, 0.15])
    price_lo = np.array([12, 28, 55])[plan]
    price_hi = np.array([22, 42, 80])[plan]
    charges = np.floor(r_cust.uniform(price_lo, price_hi)) + 0.99
    dissat = r_cust.normal(0, 1, n)
    pay_risk = r_cust.normal(0, 1, n)
    talk = r_cust.gamma(2.0, 0.5, n)
    engage = r_cust.gamma(3.0, 1 / 3, n)
    signup_day = np.array([dt.datetime.fromtimestamp(x, dt.UTC).day for x in signup])

    # --- month-by-month simulation -------------------------------------------------------------------
    cancel = np.full(n, np.inf)
    late_month = np.full(n, -99)
    fail_month = np.full(n, -99)
    unresolved = np.zeros(n)
    neg_hist = np.zeros((n, config.months))
    n_unlinked = max(3, round(config.n_items * config.unlinked_social_share))
    target_linked = config.n_items - n_unlinked
    exposure = np.clip((w_end - np.maximum(signup, w_start)) / (w_end - w_start), 0, 1)
    lam = 1.08 * target_linked / max(1.0, float((talk * exposure).sum()) * config.months * 0.92)
    share = SOURCE_SHARE / SOURCE_SHARE.sum()
    inv: dict[str, list[np.ndarray]] = {k: [] for k in ("cust", "due", "paid", "fail")}
    it: dict[str, list[np.ndarray]] = {k: [] for k in ("cust", "ts", "src", "label", "unres", "plant")}
    planted = tuple(CHURN_THEME_COEFS)
    theme_month = np.full((len(planted), n), -99)  # last month each customer raised each planted churn theme

    def plant_themes(src: np.ndarray, label: np.ndarray) -> np.ndarray:
        """0: no planted churn theme; k: planted[k - 1] (negative items only)."""
        p = np.array([[CHURN_THEME_SHARE * CHURN_THEME_CHANNEL.get(t, {}).get(SOURCES[s], 1.0) for t in planted]
                      for s in range(len(SOURCES))])[src]
        cum = np.cumsum(p, axis=1)
        code = (r_plant.random(len(src))[:, None] >= cum).sum(axis=1) + 1
        return np.where((label == -1) & (code <= len(planted)), code, 0)
    for m in range(config.months):
        ms, me = bounds[m], bounds[m + 1]
        lo = np.maximum(ms, signup)
        hi = np.minimum(me, cancel)
        act = np.flatnonzero(hi > lo)
        # invoices: due on the signup day of month (max 28th)
        due = ms + (np.minimum(signup_day[act], 28) - 1) * DAY
        ok = (due >= signup[act]) & (due < cancel[act]) & (due < me)
        ic, idue = act[ok], due[ok]
        late = r_sim.random(len(ic)) < _sigmoid(-2.6 + 1.0 * pay_risk[ic])
        failed = r_sim.random(len(ic)) < _sigmoid(-3.6 + 1.1 * pay_risk[ic])
        unpaid = failed & (r_sim.random(len(ic)) < 0.35)
        delay = np.where(late | failed, r_sim.integers(2, 35, len(ic)), -r_sim.integers(0, 6, len(ic)))
        paid = np.where(unpaid, np.nan, idue + delay * DAY)
        paid = np.where(paid >= w_end, np.nan, np.maximum(paid, signup[ic]))
        attempts = np.where(failed, r_sim.integers(1, 4, len(ic)), 0)
        inv["cust"].append(ic), inv["due"].append(idue), inv["paid"].append(paid), inv["fail"].append(attempts)
        late_month[ic[late]] = m
        fail_month[ic[failed]] = m
        # feedback items
        frac = (hi[act] - lo[act]) / (me - ms)
        k = r_sim.poisson(lam * talk[act] * frac)
        ci = np.repeat(act, k)
        ts = lo[ci] + r_sim.random(len(ci)) * (hi[ci] - lo[ci])
        src = r_sim.choice(len(SOURCES), len(ci), p=share)
        p_neg = _sigmoid(NEG_BASE[src] + 0.9 * dissat[ci])
        u = r_sim.random(len(ci))
        label = np.where(u < p_neg, -1, np.where(r_sim.random(len(ci)) < POS_SHARE[src], 1, 0))
        empty = (src == 0) & (r_sim.random(len(ci)) < config.empty_comment_share)
        label = np.where(empty, -9, label)  # -9: survey scores without a comment
        unres = (src == 3) & (r_sim.random(len(ci)) < np.where(label == -1, 0.16, 0.05))
        plant = plant_themes(src, label)
        for key, val in (("cust", ci), ("ts", ts), ("src", src), ("label", label), ("unres", unres), ("plant", plant)):
            it[key].append(val)
        for k in range(len(planted)):
            theme_month[k, ci[plant == k + 1]] = m
        np.add.at(neg_hist[:, m], ci[label == -1], 1)
        np.add.at(unresolved, ci[unres], 1)
        # churn at the end of the month for those still active
        alive = act[cancel[act] >= me]
        tenure_m = (me - signup[alive]) / (30.44 * DAY)
        cc = CHURN_COEFS
        logit = (cc["intercept"] + cc["tenure_under_6_months"] * (tenure_m < 6)
                 + cc["tenure_6_to_12_months"] * ((tenure_m >= 6) & (tenure_m < 12))
                 + cc["late_payment_last_3_months"] * (late_month[alive] >= m - 2)
                 + cc["failed_or_unpaid_payment_last_3_months"] * (fail_month[alive] >= m - 2)
                 + cc["unresolved_tickets_count"] * np.minimum(unresolved[alive], 3)
                 + cc["negative_feedback_last_3_months_count"]
                 * np.minimum(neg_hist[alive, max(0, m - 2):m + 1].sum(axis=1), 4)
                 + sum(CHURN_THEME_COEFS[t] * (theme_month[k, alive] >= m - 2) for k, t in enumerate(planted)))
        churn = alive[r_sim.random(len(alive)) < _sigmoid(logit)]
        when = me + r_sim.uniform(0, 28, len(churn)) * DAY
        when = np.floor(when / DAY) * DAY
        cancel[churn] = np.where(when < w_end, when, np.inf)

    icust = np.concatenate(it["cust"])
    its = np.concatenate(it["ts"])
    isrc = np.concatenate(it["src"])
    ilab = np.concatenate(it["label"])
    iunres = np.concatenate(it["unres"])
    iplant = np.concatenate(it["plant"])
    if len(icust) > target_linked:  # trim to the exact size
        keep = np.sort(r_items.choice(len(icust), target_linked, replace=False))
        icust, its, isrc, ilab, iunres = icust[keep], its[keep], isrc[keep], ilab[keep], iunres[keep]
        iplant = iplant[keep]
    elif len(icust) < target_linked:  # top up with items at random active times
        need = target_linked - len(icust)
        lo_all, hi_all = np.maximum(signup, w_start), np.minimum(cancel, w_end)
        ok = np.flatnonzero(hi_all > lo_all)
        c = r_items.choice(ok, need)
        s = r_items.choice(len(SOURCES), need, p=share)
        lab = np.where(r_items.random(need) < _sigmoid(NEG_BASE[s] + 0.9 * dissat[c]), -1,
                       np.where(r_items.random(need) < POS_SHARE[s], 1, 0))
        lab = np.where((s == 0) & (r_items.random(need) < config.empty_comment_share), -9, lab)
        icust = np.concatenate([icust, c])
        its = np.concatenate([its, lo_all[c] + r_items.random(need) * (hi_all[c] - lo_all[c])])
        isrc = np.concatenate([isrc, s])
        ilab = np.concatenate([ilab, lab])
        iunres = np.concatenate([iunres, np.zeros(need, bool)])
        iplant = np.concatenate([iplant, plant_themes(s, lab)])  # added after the simulation: no churn effect
    for s in range(len(SOURCES)):  # every channel present even at tiny sizes
        if (isrc == s).sum() < 5:
            donors = np.flatnonzero((isrc == 0) & (ilab != -9))[: 5 - (isrc == s).sum()]
            isrc[donors] = s
    # unlinked social posts
    u_ts = r_items.uniform(w_start, w_end, n_unlinked)
    u_lab = np.where(r_items.random(n_unlinked) < 0.55, -1, np.where(r_items.random(n_unlinked) < 0.6, 1, 0))
    icust = np.concatenate([icust, np.full(n_unlinked, -1)])
    its = np.floor(np.concatenate([its, u_ts]))
    isrc = np.concatenate([isrc, np.full(n_unlinked, 2)])
    ilab = np.concatenate([ilab, u_lab])
    iunres = np.concatenate([iunres, np.zeros(n_unlinked, bool)])
    iplant = np.concatenate([iplant, plant_themes(np.full(n_unlinked, 2), u_lab)])
    # time of day: busy in the day and evening, quiet at night (all bounds are midnights, so days stay valid)
    hour_p = np.array([1, 0.6, 0.4, 0.3, 0.3, 0.5, 1, 2, 4, 5, 5, 5, 5, 5, 5, 5, 5, 5, 6, 6, 6, 5, 4, 2.5])
    hours = r_items.choice(24, len(its), p=hour_p / hour_p.sum())
    its = np.floor(its / DAY) * DAY + hours * 3600 + np.floor(r_items.random(len(its)) * 3600)
    order = np.lexsort((icust, its, isrc))
    icust, its, isrc, ilab, iunres = icust[order], its[order], isrc[order], ilab[order], iunres[order]
    iplant = iplant[order]

    # --- themes, sentiment and texts -----------------------------------------------------------------
    draw = Draw(r_text)
    neg_w = {t: 0.0 if t in CHURN_THEME_COEFS else 1.0 for t in P.NEGATIVE}  # planted churn themes: iplant
    chan_w = {"reviews": {"product_quality": 2.0, "data_speed": 1.5}, "social": {"network_outage": 2.0},
              "tickets": {"billing_error": 1.6}, "calls": {"billing_error": 1.4, "hard_cancellation": 1.8},
              "chats": {"login_problems": 1.5, "app_crash": 1.3}}
    counters = {s: 0 for s in SOURCES}
    prefixes = {"surveys": "R_", "reviews": "RV", "social": "P", "tickets": "T", "chats": "CH", "emails": "E",
                "calls": "CL"}
    items_truth: dict[str, dict[str, Any]] = {}
    pii: list[dict[str, str]] = []
    rows: dict[str, list[dict[str, Any]]] = {s: [] for s in SOURCES}
    emails: dict[str, str] = {}
    calls: dict[str, str] = {}
    tz = ZoneInfo(timezone)
    n_text = int((ilab != -9).sum())
    pii_mask = np.zeros(len(icust), bool)
    text_idx = np.flatnonzero(ilab != -9)
    pii_mask[r_items.choice(text_idx, max(1, round(config.pii_share * n_text)), replace=False)] = True

    def person(ci: int) -> tuple[str, str, str]:
        first = P.FIRST_NAMES[(ci * 7 + 3) % len(P.FIRST_NAMES)]
        last = P.LAST_NAMES[(ci * 11 + ci // 17) % len(P.LAST_NAMES)]
        return first, last, f"{first.lower()}.{last.lower()}{ci % 97}@example.com"

    for j in range(len(icust)):
        s_i = int(isrc[j])
        source = SOURCES[s_i]
        counters[source] += 1
        native = f"{prefixes[source]}{counters[source]:06d}"
        fid = f"{source}:{native}"
        ci = int(icust[j])
        cust = cust_ids[ci] if ci >= 0 else None
        ts = float(its[j])
        lab = int(ilab[j])
        kind = "ivr" if source == "calls" and draw.chance(0.3) else None
        channel = {"surveys": "survey", "reviews": "review", "social": "social", "tickets": "ticket",
                   "chats": "chat", "emails": "email", "calls": kind or "call"}[source]
        themes: list[str] = []
        score: float | None = None
        strong = False
        if lab != -9:
            short = kind == "ivr" or (source == "surveys" and draw.chance(0.25)) or \
                (source == "social" and draw.chance(0.3))
            max_themes = 1 if short else (2 if source == "social" else 3)
            strong = draw.chance(0.45 if source in ("social", "reviews") else 0.28)
            if lab == -1:
                k = 1 if draw.u() < 0.55 else (2 if draw.u() < 0.75 else 3)
                w = dict(neg_w)
                for t, f in chan_w.get(source, {}).items():
                    if t in w:
                        w[t] *= f
                if ts >= price_rise:
                    w["price_increase"] *= 2.5
                names_ = list(w)
                p = np.array([w[t] for t in names_])
                p /= p.sum()
                themes = list(r_items.choice(names_, min(k, max_themes), replace=False, p=p))
                if iplant[j]:  # a planted churn theme takes a random place among the item's themes
                    themes[int(r_plant.integers(len(themes)))] = planted[int(iplant[j]) - 1]
                frac = (ts - emerging_start) / (w_end - emerging_start)
                p_em = 0.08 + 0.35 * frac if frac >= 0 else 0.002
                if draw.chance(p_em):
                    themes[0] = P.EMERGING_THEME
                if not short and draw.chance(0.08) and len(themes) < max_themes:
                    themes.append("helpful_agent")
                score = -(0.3 + 0.35 * draw.u() + (0.3 if strong else 0.0))
                if "helpful_agent" in themes:
                    score *= 0.75
            elif lab == 1:
                themes = [draw.pick(P.POSITIVE)]
                if not short and draw.chance(0.25):
                    themes.append(P.POSITIVE[1] if themes[0] == P.POSITIVE[0] else P.POSITIVE[0])
                if not short and draw.chance(0.2) and len(themes) < max_themes:
                    themes.append("feature_request")
                score = 0.3 + 0.35 * draw.u() + (0.3 if strong else 0.0)
            else:
                strong = False
                if short or draw.chance(0.6):
                    themes = ["feature_request"]
                else:
                    themes = [draw.pick(P.POSITIVE), draw.pick(P.NEGATIVE)]
                    if draw.chance(0.5):
                        themes.reverse()
                score = -0.2 + 0.4 * draw.u()
            score = float(round(min(1.0, max(-1.0, score)), 3))
            polarity = 1 if score > 0.25 else (-1 if score < -0.25 else 0)
            sentences = compose(draw, themes=themes, polarity=polarity, strong=strong, brand=config.brand,
                                symbol=symbol, short=short, max_chars=170 if source == "social" else None)
            if kind == "ivr":
                th = P.THEME_BY_NAME[themes[0]]
                sentences = [draw.pick(th.ivr)] if draw.chance(0.6) else [sentences[0].lower().rstrip(".!")]
            elif source == "calls" and draw.chance(0.6):
                sentences = [x.lower() for x in sentences]
            if pii_mask[j]:
                ptype, value, sent = make_pii(draw)
                sentences.insert(draw.int(1, len(sentences) + 1), sent)
                pii.append({"feedback_id": fid, "type": ptype, "value": value})
            label_s = "positive" if polarity > 0 else ("negative" if polarity < 0 else "neutral")
        else:
            sentences, polarity, label_s = [], 0, None
        items_truth[fid] = {"source": source, "channel": channel, "customer_id": cust,
                            "created_at": C.iso_utc(ts), "themes": themes, "sentiment_label": label_s,
                            "sentiment_score": score}
        # --- render per channel
        if source == "surveys":
            rows[source].append({"ResponseId": native, "ExternalReference": cust, "ts": ts,
                                 "comment": " ".join(sentences), "score": score, "themes": themes, "ci": ci})
        elif source == "reviews":
            stars = C.stars_for(score or 0.0, draw)
            title, body = C.review(draw, sentences, themes, stars, brand=config.brand, symbol=symbol)
            rows[source].append({"review_id": native, "customer_id": cust, "created_at": C.iso_utc(ts),
                                 "stars": stars, "title": title, "body": body})
        elif source == "social":
            text = C.social(draw, sentences, themes, polarity, brand=config.brand,
                            brand_handle=config.brand_handle)
            if any(p["feedback_id"] == fid for p in pii[-1:]) and pii[-1]["value"] not in text:
                text = f"{config.brand_handle} {' '.join(x for x in sentences if pii[-1]['value'] in x)}"
            if ci >= 0:
                f_, l_, _ = person(ci)
                handle = f"@{f_.lower()}_{l_.lower()[:3]}{ci % 89}"
            else:
                handle = f"@{draw.pick(P.FIRST_NAMES).lower()}{draw.pick(('', '_', 'x'))}{draw.int(1, 9999)}"
            local = dt.datetime.fromtimestamp(ts, dt.UTC)
            if draw.chance(0.8):
                local = local.astimezone(tz)
            else:
                local = local.astimezone(dt.timezone(dt.timedelta(hours=draw.pick((-5, -4, 1, 2, 5.5)))))
            rows[source].append({"post_id": native, "handle": handle, "customer_id": cust,
                                 "posted_at": local.isoformat(), "text": text,
                                 "likes": int(r_items.geometric(0.15 if polarity >= 0 else 0.08) - 1)})
        elif source == "tickets":
            rows[source].append({"ticket_id": native, "customer_id": cust, "ts": ts, "themes": themes,
                                 "message": " ".join(sentences), "polarity": polarity, "strong": strong,
                                 "unresolved": bool(iunres[j])})
        elif source == "chats":
            turns = C.chat(draw, sentences, themes, polarity, ts, brand=config.brand)
            rows[source].append({"conversation_id": native, "customer_id": cust, "started_at": C.iso_utc(ts),
                                 "turns": turns})
        elif source == "emails":
            f_, l_, addr = person(ci)
            u = draw.u()
            style = "multipart" if u < 0.3 else ("qp" if u < 0.55 else "plain")
            if counters[source] == 1:
                style = "multipart"
            elif counters[source] == 2:
                style = "qp"
            emails[native] = C.email(draw, native, sentences, themes, when=ts, customer_id=cust or "",
                                     name=f"{f_} {l_}", address=addr, brand=config.brand, symbol=symbol,
                                     style=style)
        else:
            calls[native] = C.call(draw, native, cust or "", ts, sentences, themes, polarity,
                                   kind=kind or "call", brand=config.brand)

    # --- surveys: scores consistent with the comment, NPS drivers planted ---------------------------
    sv = rows["surveys"]
    m_sv = len(sv)
    noise = r_items.normal(0, 1, (m_sv, 3))
    skip = r_items.random((m_sv, 3)) < np.array([0.04, 0.08, 0.12])
    nps, csat, ces = [], [], []
    for i, row in enumerate(sv):
        sc = row["score"]
        if sc is None:
            base_n = 7.4 - 1.1 * dissat[row["ci"]] + 1.5 * noise[i, 0]
            base_c = 3.8 - 0.5 * dissat[row["ci"]] + 0.7 * noise[i, 1]
            base_e = 5.2 - 0.6 * dissat[row["ci"]] + 1.0 * noise[i, 2]
        else:
            eff = sum(NPS_EFFECTS.get(t, 0.0) for t in row["themes"])
            base_n = 7.3 + 3.0 * sc + eff + 1.1 * noise[i, 0]
            base_c = 3.7 + 1.5 * sc + 0.3 * eff + 0.6 * noise[i, 1]
            base_e = 5.0 + 1.6 * sc + sum(CES_EFFECTS.get(t, 0.0) for t in row["themes"]) + 0.9 * noise[i, 2]
        vals = (int(np.clip(round(base_n), 0, 10)), int(np.clip(round(base_c), 1, 5)),
                int(np.clip(round(base_e), 1, 7)))
        sk = skip[i].copy()
        if sc is None:
            sk[0] = False  # a response with no comment keeps at least its NPS
        nps.append(None if sk[0] else vals[0])
        csat.append(None if sk[1] else vals[1])
        ces.append(None if sk[2] else vals[2])
    surveys = pl.DataFrame({
        "ResponseId": [r["ResponseId"] for r in sv],
        "ExternalReference": [r["ExternalReference"] for r in sv],
        "ts": [r["ts"] for r in sv],
        "Q1_NPS": pl.Series(nps, dtype=pl.Int8), "Q2_CSAT": pl.Series(csat, dtype=pl.Int8),
        "Q3_CES": pl.Series(ces, dtype=pl.Int8),
        "Q4_Comment": pl.Series([r["comment"] or None for r in sv], dtype=pl.String),
    }, schema_overrides={"ts": pl.Float64})
    surveys = surveys.with_columns(
        pl.from_epoch(pl.col("ts").cast(pl.Int64), time_unit="s").dt.replace_time_zone("UTC")
        .dt.convert_time_zone(timezone).dt.strftime("%Y-%m-%d %H:%M:%S").alias("RecordedDate")
    ).select("ResponseId", "ExternalReference", "RecordedDate", "Q1_NPS", "Q2_CSAT", "Q3_CES", "Q4_Comment")
    for r, v in zip(sv, nps):
        items_truth[f"surveys:{r['ResponseId']}"]["nps"] = v

    tickets, sla_truth = _tickets(rows["tickets"], r_tix, snapshot=w_end)
    ticket_events, ticket_events_truth = ticket_event_log(tickets, seed=seed, snapshot=w_end)
    customers, payments = _customers_payments(cust_ids, signup, plan, region, charges, cancel, inv,
                                              price_rise=price_rise)
    events = _events(r_events, signup, cancel, engage, bounds, cust_ids, config.events_per_month)

    # --- truths ----------------------------------------------------------------------------------------
    em_dates = [v["created_at"] for v in items_truth.values() if P.EMERGING_THEME in v["themes"]]
    em_start_iso = C.iso_utc(emerging_start)
    nps_truth = {}
    sv_truth = [items_truth[f"surveys:{r['ResponseId']}"] for r in sv]
    for t in P.THEME_BY_NAME:
        with_t = [x["nps"] for x in sv_truth if t in x["themes"] and x["nps"] is not None]
        without = [x["nps"] for x in sv_truth if t not in x["themes"] and x["nps"] is not None]
        nps_truth[t] = {"n": len(with_t), "nps_with": _nps(with_t), "nps_without": _nps(without),
                        "planted_effect_0_10": NPS_EFFECTS.get(t, 0.0)}
    n_churned = int(np.isfinite(cancel).sum())
    truth = {
        "seed": seed,
        "config": dataclasses.asdict(config),
        "window": {"start": C.iso_utc(w_start)[:10], "end": config.end_date, "snapshot": C.iso_utc(w_end),
                   "timezone": timezone, "currency": currency},
        "themes": [{"name": t.name, "label": t.label, "polarity": t.polarity, "category": t.category}
                   for t in P.THEMES],
        "items": items_truth,
        "emerging_theme": {
            "theme": P.EMERGING_THEME, "start_date": em_start_iso[:10],
            "n_before": sum(d < em_start_iso for d in em_dates), "n_after": sum(d >= em_start_iso for d in em_dates),
            "note": "about 0.2% of negative items before start_date, then 8% rising to 43% of negative items",
        },
        "price_rise": {"date": C.iso_utc(price_rise)[:10], "increase": 0.06,
                       "note": "invoices before this date are 6% lower; price_increase theme 2.5x as frequent after"},
        "nps_drivers": {
            "planted_effects_0_10": NPS_EFFECTS,
            "note": "added to the 0-10 NPS answer of surveys whose comment mentions the theme, on top of "
                    "+3.0 x sentiment_score; nps_with/nps_without are NPS points (-100..100) measured here",
            "by_theme": nps_truth,
            "ces_effects_1_7": CES_EFFECTS,
            "ces_scale": "1 = very difficult ... 7 = very easy (higher is better)",
        },
        "churn": {
            "model": "monthly hazard = sigmoid(sum of coefs x features), evaluated at each month end",
            "coefficients": CHURN_COEFS,
            "drivers": [
                {"driver": "tenure", "direction": "shorter tenure -> more churn"},
                {"driver": "late_payments", "direction": "late payment in the last 3 months -> more churn"},
                {"driver": "failed_payments",
                 "direction": "failed or unpaid invoice in the last 3 months -> more churn"},
                {"driver": "unresolved_tickets", "direction": "more tickets never resolved -> more churn"},
                {"driver": "negative_feedback",
                 "direction": "more negative feedback in the last 3 months -> more churn"},
                {"driver": "activity", "direction": "events decline over the 75 days before cancellation (a symptom)"},
                *({"driver": f"theme:{t}", "direction": f"raised {t} in a negative item in the last 3 months -> "
                   "more churn, on top of the negative-feedback count"} for t in CHURN_THEME_COEFS),
            ],
            "theme_effects": {
                "coefficients": CHURN_THEME_COEFS,
                "window_months": 3,
                "mention_share_of_negative_items": CHURN_THEME_SHARE,
                "channel_factors": CHURN_THEME_CHANNEL,
                "note": "logit added to the monthly hazard while the customer raised the theme in a negative item "
                        "in the last 3 months; these themes reach negative items only through this draw (mixed "
                        "neutral items may still name them, with no churn effect)",
                "n_customers_mentioning": {t: len({v["customer_id"] for v in items_truth.values()
                                                   if v["customer_id"] and v["sentiment_label"] == "negative"
                                                   and t in v["themes"]}) for t in CHURN_THEME_COEFS},
            },
            "n_customers": n, "n_churned": n_churned, "churn_rate": round(n_churned / n, 4),
        },
        "sla": sla_truth,
        "ticket_events": ticket_events_truth,
        "pii": {"share_of_texts": round(len(pii) / max(1, n_text), 4), "n_texts": n_text, "planted": pii,
                "types": ["email", "phone", "card", "address", "iban"]},
        "counts": {s: counters[s] for s in SOURCES} | {"items": len(items_truth), "unlinked_social": n_unlinked},
    }
    log.info("generated %d items, %d customers (%d churned), %d events", len(items_truth), n, n_churned,
             events.height)
    return SampleData(
        surveys=surveys, reviews=rows["reviews"], social=rows["social"], tickets=tickets,
        chats=rows["chats"], emails=emails, calls=calls, customers=customers, payments=payments,
        events=events, truth=truth, ticket_events=ticket_events,
    )


def _nps(scores: list[int]) -> float | None:
    if not scores:
        return None
    a = np.asarray(scores)
    return round(float(100.0 * ((a >= 9).mean() - (a <= 6).mean())), 2)


def _tickets(rows: list[dict[str, Any]], rng: np.random.Generator, *, snapshot: float
             ) -> tuple[pl.DataFrame, dict[str, Any]]:
    """Ticket lifecycle with planted SLA breaches; timestamps censored at ``snapshot``."""
    out = []
    m = len(rows)
    u = rng.random((m, 10))
    for i, r in enumerate(rows):
        themes = r["themes"]
        neg = r["polarity"] < 0
        urgent_theme = bool({"network_outage", "app_update_login"} & set(themes))
        if urgent_theme:
            probs = (0.05, 0.3, 0.4, 0.25)
        elif neg:
            probs = (0.15, 0.5, 0.25, 0.1)
        else:
            probs = (0.45, 0.45, 0.08, 0.02)
        prio = PRIORITIES[int(np.searchsorted(np.cumsum(probs), u[i, 0] * 0.999999))]
        fr_t, res_t = FIRST_RESPONSE_TARGET_H[prio], RESOLUTION_TARGET_H[prio]
        fr_h = fr_t * (1 + rng.exponential(0.8)) if u[i, 1] < FIRST_RESPONSE_BREACH[prio] \
            else fr_t * (0.05 + 0.9 * u[i, 2])
        res_h = res_t * (1 + rng.exponential(1.0)) if u[i, 3] < RESOLUTION_BREACH[prio] \
            else res_t * (0.15 + 0.8 * u[i, 4])
        res_h = max(res_h, fr_h + 0.1 + 2 * u[i, 5])
        created = r["ts"]
        fr = created + fr_h * 3600
        res = created + res_h * 3600
        reopened = fr + (res - fr) * (0.5 + 0.4 * u[i, 6]) if u[i, 7] < 0.1 else None
        if r["unresolved"]:
            res = None
        fr_v = fr if fr < snapshot else None
        res_v = res if (res is not None and fr_v is not None and res < snapshot) else None
        reo_v = reopened if (reopened is not None and fr_v is not None and reopened < snapshot) else None
        if res_v is not None:
            status = "closed" if snapshot - res_v > 4 * DAY else "solved"
        elif fr_v is None or reo_v is not None:
            status = "open"
        else:
            status = "pending" if u[i, 8] < 0.6 else "open"
        true_cat = P.THEME_BY_NAME[themes[0]].category
        cat = true_cat if u[i, 9] < 0.7 else P.CATEGORIES[int(rng.integers(len(P.CATEGORIES)))]
        esc_p = 0.04 + 0.15 * (prio in ("high", "urgent")) + 0.2 * (res_v is None) + 0.1 * r["strong"]
        out.append({
            "ticket_id": r["ticket_id"], "customer_id": r["customer_id"],
            "channel": ("email", "web", "chat", "phone")[int(rng.choice(4, p=[0.35, 0.3, 0.2, 0.15]))],
            "created_at": created, "first_response_at": fr_v, "resolved_at": res_v, "reopened_at": reo_v,
            "status": status, "priority": prio, "category": cat, "escalated": bool(rng.random() < esc_p),
            "message": r["message"], "true_category": true_cat,
        })
    df = pl.DataFrame(out, schema={
        "ticket_id": pl.String, "customer_id": pl.String, "channel": pl.String, "created_at": pl.Float64,
        "first_response_at": pl.Float64, "resolved_at": pl.Float64, "reopened_at": pl.Float64,
        "status": pl.String, "priority": pl.String, "category": pl.String, "escalated": pl.Boolean,
        "message": pl.String, "true_category": pl.String})
    realized: dict[str, Any] = {}
    for prio in PRIORITIES:
        d = df.filter(pl.col("priority") == prio)
        fr_h = ((d["first_response_at"] - d["created_at"]) / 3600).to_numpy()
        res_h = ((d["resolved_at"] - d["created_at"]) / 3600).to_numpy()
        age_h = (snapshot - d["created_at"].to_numpy()) / 3600
        fr_b = np.where(np.isnan(fr_h), np.where(age_h > FIRST_RESPONSE_TARGET_H[prio], 1.0, np.nan),
                        (fr_h > FIRST_RESPONSE_TARGET_H[prio]).astype(float))
        res_b = np.where(np.isnan(res_h), np.where(age_h > RESOLUTION_TARGET_H[prio], 1.0, np.nan),
                         (res_h > RESOLUTION_TARGET_H[prio]).astype(float))
        realized[prio] = {
            "n": d.height,
            "first_response_breach_rate": None if np.isnan(fr_b).all() else round(float(np.nanmean(fr_b)), 4),
            "resolution_breach_rate": None if np.isnan(res_b).all() else round(float(np.nanmean(res_b)), 4),
        }
    sla = {
        "first_response_target_hours": FIRST_RESPONSE_TARGET_H,
        "resolution_target_hours": RESOLUTION_TARGET_H,
        "planted_first_response_breach_rate": FIRST_RESPONSE_BREACH,
        "planted_resolution_breach_rate": RESOLUTION_BREACH,
        "realized": realized,
        "note": "planted rates apply to the drawn times; realized rates count a missing event past its target "
                "as a breach (tickets never resolved raise the realized resolution rate). reopened_at lies "
                "between first_response_at and the final resolved_at.",
        "category_accuracy_planted": 0.7,
        "category_accuracy_realized": round(float((df["category"] == df["true_category"]).mean() or 0.0), 4),
        "n_unresolved": int(df["resolved_at"].is_null().sum()),
        "n_reopened": int(df["reopened_at"].is_not_null().sum()),
    }
    df = df.drop("true_category").with_columns(
        _fmt_ts("created_at").alias("created_at"), _fmt_ts("first_response_at").alias("first_response_at"),
        _fmt_ts("resolved_at").alias("resolved_at"), _fmt_ts("reopened_at").alias("reopened_at"),
    ).sort("ticket_id")
    return df, sla


def _customers_payments(cust_ids: np.ndarray, signup: np.ndarray, plan: np.ndarray, region: np.ndarray,
                        charges: np.ndarray, cancel: np.ndarray, inv: dict[str, list[np.ndarray]], *,
                        price_rise: float) -> tuple[pl.DataFrame, pl.DataFrame]:
    customers = pl.DataFrame({
        "customer_id": cust_ids, "signup_date": signup, "plan": np.array(PLANS)[plan],
        "region": np.array(REGIONS)[region], "monthly_charges": charges,
        "cancelled_at": np.where(np.isfinite(cancel), cancel, np.nan),
    }).with_columns(
        _fmt_date("signup_date").alias("signup_date"),
        pl.when(pl.col("cancelled_at").is_nan()).then(None).otherwise(pl.col("cancelled_at")).alias("cancelled_at"),
    ).with_columns(_fmt_date("cancelled_at").alias("cancelled_at"))
    ic = np.concatenate(inv["cust"])
    due = np.concatenate(inv["due"])
    paid = np.concatenate(inv["paid"])
    fail = np.concatenate(inv["fail"])
    order = np.lexsort((due, ic))
    ic, due, paid, fail = ic[order], due[order], paid[order], fail[order]
    amount = np.round(np.where(due < price_rise, charges[ic] / 1.06, charges[ic]), 2)
    payments = pl.DataFrame({
        "invoice_id": [f"INV{i + 1:08d}" for i in range(len(ic))], "customer_id": cust_ids[ic],
        "due_date": due, "paid_date": paid, "amount": amount, "failed_attempts": fail.astype(np.int32),
    }).with_columns(
        _fmt_date("due_date").alias("due_date"),
        pl.when(pl.col("paid_date").is_nan()).then(None).otherwise(pl.col("paid_date")).alias("paid_date"),
    ).with_columns(_fmt_date("paid_date").alias("paid_date"))
    return customers, payments


def _events(rng: np.random.Generator, signup: np.ndarray, cancel: np.ndarray, engage: np.ndarray,
            bounds: list[float], cust_ids: np.ndarray, per_month: float) -> pl.DataFrame:
    """Logins and feature use; activity fades over the 75 days before a cancellation."""
    w_start, w_end = bounds[0], bounds[-1]
    lo = np.maximum(signup, w_start)
    hi = np.minimum(cancel, w_end)
    span = np.clip(hi - lo, 0, None)
    k = rng.poisson(per_month * engage * span / (30.44 * DAY))
    ci = np.repeat(np.arange(len(signup)), k)
    ts = np.floor(lo[ci] + rng.random(len(ci)) * span[ci])
    left = (cancel[ci] - ts) / (75 * DAY)
    keep = rng.random(len(ci)) < np.where(np.isfinite(left), np.clip(left, 0.15, 1.0), 1.0)
    ci, ts = ci[keep], ts[keep]
    is_login = rng.random(len(ci)) < 0.6
    feat = np.array(FEATURES)[rng.choice(len(FEATURES), len(ci),
                                          p=[0.25, 0.2, 0.08, 0.05, 0.15, 0.12, 0.1, 0.05])]
    return pl.DataFrame({
        "customer_id": cust_ids[ci], "ts": ts, "event": np.where(is_login, "login", "feature_use"),
        "feature": pl.Series(np.where(is_login, "", feat).tolist(), dtype=pl.String),
    }).with_columns(pl.when(pl.col("feature") == "").then(None).otherwise(pl.col("feature")).alias("feature")
    ).sort("customer_id", "ts", "event", "feature", nulls_last=False).with_columns(_fmt_ts("ts").alias("ts"))
