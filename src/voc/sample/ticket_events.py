"""The status history of each sample ticket: a help-desk event log in Zendesk's conventions.

One row per event: ``ticket_id, event_id, at`` (ISO UTC), ``actor`` (customer/agent/bot/system), ``public``
(a reply the requester sees, or an internal change), ``status_to`` (new/open/pending/on-hold/solved/closed,
empty when the event leaves the status alone) and ``group`` (the support tier the ticket moves to, empty
when it stays). The log agrees with the tickets table: the creation is the first event (status new, group
L1), a bot auto-reply comes before the first public human agent reply, which is at ``first_response_at``;
a reopened ticket is solved once before ``reopened_at`` and solved again at ``resolved_at``; a ticket is
closed four days after its final solve; ``escalated`` tickets move past L1 (L1 > L2, L1 > L2 > specialist,
L1 > specialist, or L1 > L2 > L1 when sent back); the last status before the snapshot is the table's status.
Time with a specialist is on-hold (waiting on a third party). Nothing happens at or after the snapshot.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

DAY = 86400
WAIT_STATUSES = ("new", "open", "on-hold")  # Zendesk's requester wait time: time in these statuses
ESCALATION_PATHS = (("L1", "L2"), ("L1", "L2", "specialist"), ("L1", "specialist"), ("L1", "L2", "L1"))
ESCALATION_PATH_P = (0.55, 0.25, 0.12, 0.08)
_SEED_KEY = 7001  # spawn key of this stream: independent of the generator's other streams

Event = tuple[int, str, bool, str | None, str | None]  # at, actor, public, status_to, group


def _epoch(tickets: pl.DataFrame, col: str) -> list[int | None]:
    return tickets[col].str.to_datetime("%Y-%m-%dT%H:%M:%SZ", time_zone="UTC").dt.epoch("s").to_list()


def _times(rng: np.random.Generator, k: int, lo: int, hi: int) -> list[int]:
    """``k`` sorted whole seconds in ``[lo, hi]`` (``hi >= lo``)."""
    return sorted(int(lo + (hi - lo) * u) for u in rng.random(k))


def _phase(rng: np.random.Generator, lo: int, hi: int, *, answered: bool, steps: list[str]) -> list[Event]:
    """Events strictly inside a phase of the ticket: conversation rounds (only once an agent answered) and
    the escalation ``steps`` (groups to move to), in random order at sorted times in ``[lo, hi]``."""
    blocks: list[list[tuple[str, bool, str | None, str | None]]] = []
    if answered:
        for _ in range(int(rng.poisson(0.8))):
            blocks.append([("customer", True, "open", None),
                           ("agent", True, "pending" if rng.random() < 0.7 else "open", None)])
    for group in steps:
        if group == "specialist" and answered:
            blocks.append([("agent", False, "on-hold", group), ("agent", False, "open", None)])
        else:
            blocks.append([("agent", False, "open", group)])
    # interleave at random, but the escalation steps keep their order (conversation blocks come first in ``blocks``)
    n_conv = len(blocks) - len(steps)
    slots = rng.permutation(len(blocks)) if blocks else np.zeros(0, int)
    kinds = sorted(range(len(blocks)), key=lambda i: int(slots[i]))
    conv = iter(i for i in kinds if i < n_conv)
    esc = iter(range(n_conv, len(blocks)))
    ordered = [next(conv) if i < n_conv else next(esc) for i in kinds]
    flat = [e for i in ordered for e in blocks[i]]
    return [(t, *e) for t, e in zip(_times(rng, len(flat), lo, hi), flat, strict=True)]


def _ticket(rng: np.random.Generator, row: dict[str, Any], c: int, fr: int | None, res: int | None,
            reo: int | None, *, snapshot: int) -> list[Event]:
    ev: list[Event] = [(c, "customer", True, "new", "L1")]
    horizon = (fr if fr is not None else snapshot) - c
    if row["channel"] != "phone" and horizon >= 3:
        ev.append((c + min(int(rng.integers(5, 60)), horizon // 3), "bot", True, None, None))
    ev.append((c + min(int(rng.integers(60, 600)), max(0, (2 * horizon) // 3)), "system", False, "open", None))
    path = ESCALATION_PATHS[int(rng.choice(len(ESCALATION_PATHS), p=ESCALATION_PATH_P))] if row["escalated"] \
        else ("L1",)
    steps = list(path[1:])
    if fr is None:  # nobody answered yet: escalations happen unanswered, the ticket stays open
        ev += _phase(rng, ev[-1][0], snapshot - 1, answered=False, steps=steps)
        return ev
    ev.append((fr, "agent", True, "pending" if rng.random() < 0.7 else "open", None))
    if reo is not None:
        solve1 = fr + int((reo - fr) * (0.6 + 0.35 * rng.random()))
        ev += _phase(rng, fr, max(fr, solve1 - 1), answered=True, steps=steps)
        ev.append((solve1, "agent", True, "solved", None))
        ev.append((reo, "customer", True, "open", None))
        start, steps = reo, []
    else:
        start = fr
    if res is not None:
        ev += _phase(rng, start, max(start, res - 1), answered=True, steps=steps)
        ev.append((res, "agent", True, "solved", None))
        if res + 4 * DAY < snapshot:
            ev.append((res + 4 * DAY, "system", False, "closed", None))
        return ev
    ev += _phase(rng, start, snapshot - 1, answered=True, steps=steps)
    last = ev[-1][0]
    if row["status"] == "pending":
        ev.append((last + int((snapshot - 1 - last) * rng.random()), "agent", True, "pending", None))
    elif ev[-1][3] != "open":
        ev.append((last + int((snapshot - 1 - last) * rng.random()), "customer", True, "open", None))
    return ev


def status_durations(events: list[Event], created: int) -> dict[str, Any]:
    """Reference computation for the truths: seconds per status from ``created`` to the final solve
    (events in order; null when the last status is not solved/closed) and the group path."""
    status, since = "new", created
    spent: dict[str, int] = {}
    solved_at: int | None = None
    for at, _, _, to, _ in events:
        if to is None:
            continue
        if to in ("solved", "closed"):
            if solved_at is None:
                solved_at = at
        else:
            solved_at = None
        spent[status] = spent.get(status, 0) + (at - since)
        status, since = to, at
    groups: list[str] = []
    for *_, g in events:
        if g is not None and (not groups or groups[-1] != g):
            groups.append(g)
    if solved_at is None:
        return {"solved_at": None, "path": " > ".join(groups)}
    # time after the final solve is solved/closed time: not counted in any wait
    return {
        "solved_at": solved_at,
        "requester_wait_s": sum(v for k, v in spent.items() if k in WAIT_STATUSES),
        "on_hold_s": spent.get("on-hold", 0),
        "agent_wait_s": spent.get("pending", 0),
        "path": " > ".join(groups),
    }


def ticket_event_log(tickets: pl.DataFrame, *, seed: int, snapshot: float) -> tuple[pl.DataFrame, dict[str, Any]]:
    """The event log of every ticket in ``tickets`` (the raw table, ISO UTC strings) and its truths:
    per solved ticket the requester wait, on-hold and agent wait (pending) hours, and the escalation paths."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(_SEED_KEY,)))
    snap = int(snapshot)
    cols = {c: _epoch(tickets, c) for c in ("created_at", "first_response_at", "resolved_at", "reopened_at")}
    rows: list[dict[str, Any]] = []
    wait: dict[str, float] = {}
    hold: dict[str, float] = {}
    agent: dict[str, float] = {}
    paths: dict[str, int] = {}
    for i, row in enumerate(tickets.select("ticket_id", "channel", "status", "escalated").iter_rows(named=True)):
        c, fr, res, reo = (cols[k][i] for k in ("created_at", "first_response_at", "resolved_at", "reopened_at"))
        ev = _ticket(rng, row, c, fr, res, reo, snapshot=snap)
        for k, (at, actor, public, to, group) in enumerate(ev):
            rows.append({"ticket_id": row["ticket_id"], "event_id": f"{row['ticket_id']}-{k + 1:03d}", "at": at,
                         "actor": actor, "public": public, "status_to": to, "group": group})
        d = status_durations(ev, c)
        paths[d["path"]] = paths.get(d["path"], 0) + 1
        if d["solved_at"] is not None:
            wait[row["ticket_id"]] = round(d["requester_wait_s"] / 3600, 6)
            hold[row["ticket_id"]] = round(d["on_hold_s"] / 3600, 6)
            agent[row["ticket_id"]] = round(d["agent_wait_s"] / 3600, 6)
    frame = pl.DataFrame(rows, schema={"ticket_id": pl.String, "event_id": pl.String, "at": pl.Int64,
                                       "actor": pl.String, "public": pl.Boolean, "status_to": pl.String,
                                       "group": pl.String})
    frame = frame.with_columns(
        pl.from_epoch("at", time_unit="s").dt.strftime("%Y-%m-%dT%H:%M:%SZ").alias("at")
    ).sort("ticket_id", "event_id")
    n = tickets.height
    escalated = sum(v for k, v in paths.items() if " > " in k)
    waits = np.array(list(wait.values())) if wait else np.array([np.nan])
    truth = {
        "definition": "requester wait = hours in new, open and on-hold from creation to the final solve "
                      "(Zendesk); agent wait = hours in pending; null (absent here) for tickets not solved by "
                      "the snapshot. Paths: the sequence of groups, consecutive repeats collapsed.",
        "n_events": frame.height,
        "n_tickets": n,
        "n_solved": len(wait),
        "requester_wait_hours": dict(sorted(wait.items())),
        "on_hold_hours": dict(sorted(hold.items())),
        "agent_wait_hours": dict(sorted(agent.items())),
        "median_requester_wait_hours": None if not wait else round(float(np.median(waits)), 6),
        "escalation_paths": dict(sorted(paths.items())),
        "escalation_rate": round(escalated / n, 6) if n else None,
        "planted_path_shares": {" > ".join(p): s for p, s in zip(ESCALATION_PATHS, ESCALATION_PATH_P, strict=True)},
    }
    return frame, truth
