"""voc.complaints: ticket SLA metrics, complaint aggregates, recurrence, the follow-up list, and (from the
ticket status history) requester wait and escalation paths."""

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
from voc.complaints.events import (
    HISTORY_SCHEMA,
    add_status_history,
    status_history_unavailable,
    summarise_escalation_paths,
    summarise_status_history,
    ticket_status_history,
)
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
    "HISTORY_SCHEMA",
    "add_status_history",
    "status_history_unavailable",
    "summarise_escalation_paths",
    "summarise_status_history",
    "ticket_status_history",
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
