"""The MIME types of what a chapter notebook displays for the report runner, not for readers:
the runner finds these outputs in the executed notebooks, writes them to ``metrics.json`` and
``tables.xlsx``, and strips them from the page."""

__all__ = ["METRICS_MIME", "TABLE_MIME"]

#: MIME type of a chapter's metrics.json section inside an executed notebook
METRICS_MIME = "application/vnd.returns-kit.metrics+json"

#: MIME type of a table's data inside an executed notebook (for ``tables.xlsx``; not shown)
TABLE_MIME = "application/vnd.returns-kit.table+json"
