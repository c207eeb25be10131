"""voc.complaints: ticket SLA metrics, complaint aggregates, recurrence and the follow-up list."""

from voc.complaints.aggregate import (
    summarise_ageing,
    summarise_by_month,
    summarise_by_segment,
    summarise_by_theme,
    summarise_chats,
    summarise_complaints,
)
from voc.complaints.analysis import (
    compare_categories,
    measure_service_recovery,
    prioritise_open_tickets,
    root_cause_pareto,
    summarise_outcomes,
    ticket_outcomes,
    ticket_signals,
)
from voc.complaints.config import BusinessCalendar, ComplaintsConfig
from voc.complaints.follow_up import build_follow_up
from voc.complaints.sla import (
    business_hours_between,
    chat_response_times,
    compute_ticket_metrics,
    flag_recurrence,
    resolve_as_of,
    ticket_topics,
)

__all__ = [
    "chat_response_times",
    "compare_categories",
    "measure_service_recovery",
    "prioritise_open_tickets",
    "root_cause_pareto",
    "summarise_ageing",
    "summarise_chats",
    "summarise_outcomes",
    "ticket_outcomes",
    "ticket_signals",
    "BusinessCalendar",
    "ComplaintsConfig",
    "build_follow_up",
    "business_hours_between",
    "compute_ticket_metrics",
    "flag_recurrence",
    "resolve_as_of",
    "summarise_by_month",
    "summarise_by_segment",
    "summarise_by_theme",
    "summarise_complaints",
    "ticket_topics",
]
