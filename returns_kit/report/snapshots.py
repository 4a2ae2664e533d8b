"""Closed months keep their history: the first ``metrics.json`` of a month rendered after it
matured is kept as ``snapshot.json``; rendering that month again later (newer exports, a late
refund, a changed setting) compares the new figures with the snapshot and says what moved — in
``metrics.json`` (``snapshot``), on the page under the title, in the months index and on the
command line — instead of silently rewriting what the manager was told.

A month is closed once its cohort is mature (``cohort_view.provisional`` false: the maturity days
of ``report.yml`` have passed since month end).  The snapshot is never overwritten by the kit;
delete ``reports/YYYY-MM/snapshot.json`` to accept the new figures as the record.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ..core.files import atomic_write_text
from ..core.jsonable import jsonable
from ..display import money, pct

__all__ = ["SNAPSHOT_NAME", "COMPARED", "is_closed", "load_snapshot", "compare", "changes_text", "keep_snapshot"]

SNAPSHOT_NAME = "snapshot.json"

#: the figures compared with the snapshot: (section, key, Chinese label, unit)
COMPARED: tuple[tuple[str, str, str, str], ...] = (
    ("cohort_view", "paid_sub_orders", "支付子订单", "count"),
    ("cohort_view", "refund_rate_count", "退款率（订单数）", "rate"),
    ("cohort_view", "refund_rate_amount", "退款率（金额）", "rate"),
    ("cohort_view", "return_rate_count", "退货率", "rate"),
    ("cohort_view", "quality_return_rate", "品退率", "rate"),
    ("application_view", "after_sales", "售后申请", "count"),
    ("data_quality", "rows_kept", "保留的数据行", "count"),
    ("costs", "total", "退货成本合计", "money"),
)


def is_closed(metrics: dict[str, Any]) -> bool:
    """The month's cohort is mature (its figures are final unless the data change)."""
    return (metrics.get("cohort_view") or {}).get("provisional") is False


def load_snapshot(month_dir: str | os.PathLike) -> dict[str, Any] | None:
    """The month's snapshot: ``snapshot.json``, else the current ``metrics.json`` if that month
    was already closed when it was rendered (it becomes the snapshot); None otherwise."""
    folder = Path(month_dir)
    for name in (SNAPSHOT_NAME, "metrics.json"):
        path = folder / name
        if not path.exists():
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if name == SNAPSHOT_NAME or is_closed(data):
            data.pop("snapshot", None)
            return data
    return None


def _text(value: Any, unit: str) -> str:
    if value is None:
        return "—"
    return pct(value, 2) if unit == "rate" else money(value) if unit == "money" else f"{int(value):,}"


def compare(snapshot: dict[str, Any], metrics: dict[str, Any]) -> list[dict[str, Any]]:
    """The figures of :data:`COMPARED` that differ between ``snapshot`` and ``metrics``:
    ``{section, key, label, before, after, before_text, after_text}`` (rates compared to 1e-9)."""
    out = []
    for section, key, label, unit in COMPARED:
        before = (snapshot.get(section) or {}).get(key)
        after = (metrics.get(section) or {}).get(key)
        if before is None and after is None:
            continue
        same = (before is not None and after is not None and abs(float(before) - float(after)) <= 1e-9)
        if not same:
            out.append({"section": section, "key": key, "label": label, "before": before, "after": after,
                        "before_text": _text(before, unit), "after_text": _text(after, unit)})
    return out


def changes_text(snapshot: dict[str, Any], changes: list[dict[str, Any]]) -> str:
    """One Chinese sentence for the page and the command line."""
    when = (snapshot.get("as_of") or "")[:10]
    if not changes:
        return f"本月已结月，数字与存档（数据截至 {when}）一致。"
    items = "；".join(f"{c['label']} {c['before_text']} → {c['after_text']}" for c in changes)
    return (f"注意：本月已结月，与存档（数据截至 {when}）相比以下数字变了：{items}。"
            f"存档见 {SNAPSHOT_NAME}，删除它即以本次结果为准。")


def keep_snapshot(month_dir: str | os.PathLike, metrics: dict[str, Any]) -> Path | None:
    """Write ``snapshot.json`` from ``metrics`` when the month is closed and has none yet."""
    path = Path(month_dir) / SNAPSHOT_NAME
    if path.exists() or not is_closed(metrics):
        return None
    data = {k: v for k, v in metrics.items() if k != "snapshot"}
    text = json.dumps(jsonable(data), ensure_ascii=False, indent=2, allow_nan=False) + "\n"
    return atomic_write_text(path, text)
