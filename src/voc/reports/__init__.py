"""Report notebooks: inputs read against the data contract, HTML helpers, papermill execution and
self-contained HTML export."""

from voc.reports.headlines import (
    churn_model_table,
    complaint_cards,
    overview_cards,
    scope_complaints,
    scope_insights,
    scope_scores_by_month,
    sla_by_priority_from_metrics,
)
from voc.reports.inputs import ReportInputError, load_inputs, read_metrics, read_table
from voc.reports.markup import headline_cards, html_table, report_header
from voc.reports.plotly_offline import use_offline_plotly
from voc.reports.provenance import DataVersion, data_version, git_commit, md5_of_inputs
from voc.reports.render import REPORTS, ReportsConfig, execute_report, export_html, render_reports
from voc.reports.segment import SEGMENT_FIELDS, Scope, filter_frames, parse_scope
from voc.reports.themes import theme_overview
from voc.reports.safety import ReportSafetyError, check_report, find_pii, visible_text
from voc.reports.summaries import (
    churn_risk_summary,
    emerging_themes,
    month_on_month,
    negative_verbatims,
    summarise_tickets,
    themes_by_impact,
    top_at_risk_customers,
)

__all__ = [
    "SEGMENT_FIELDS",
    "Scope",
    "filter_frames",
    "parse_scope",
    "scope_complaints",
    "scope_insights",
    "scope_scores_by_month",
    "ReportSafetyError",
    "check_report",
    "churn_risk_summary",
    "emerging_themes",
    "find_pii",
    "month_on_month",
    "themes_by_impact",
    "visible_text",
    "REPORTS",
    "DataVersion",
    "ReportInputError",
    "ReportsConfig",
    "data_version",
    "churn_model_table",
    "complaint_cards",
    "execute_report",
    "export_html",
    "git_commit",
    "headline_cards",
    "html_table",
    "load_inputs",
    "md5_of_inputs",
    "negative_verbatims",
    "overview_cards",
    "read_metrics",
    "read_table",
    "render_reports",
    "sla_by_priority_from_metrics",
    "report_header",
    "summarise_tickets",
    "top_at_risk_customers",
    "use_offline_plotly",
    "theme_overview",
]
