"""Step 5 of the runner: the executed chapter notebooks → ONE self-contained HTML page.

A title, a table of contents, then every chapter without code or prompts (template
``returns_kit/templates/rk_report``: no request to any other host, phone-friendly CSS).  Removed on
the way: cells tagged as plumbing, papermill's metadata and error banners, stderr and error
outputs (returned as :class:`NotebookWarning`), and the chapters' ``metrics.json`` sections
(outputs of MIME type :data:`~returns_kit.chapters.base.METRICS_MIME`, which go to
``metrics.json`` through :mod:`returns_kit.report.sections`, never to the page).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import html as html_lib
import io
import logging
import os
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.files import atomic_write_bytes
from ..core.mime import METRICS_MIME, TABLE_MIME
from ..errors import ReportRenderError
from ..fonts import cjk_font_face, page_text_chars
from .params import chapter_number, read_notebook

__all__ = [
    "REMOVE_CELL_TAGS",
    "REMOVE_INPUT_TAGS",
    "REMOVE_OUTPUT_TAGS",
    "TEMPLATES_DIR",
    "TEMPLATE_NAME",
    "NotebookWarning",
    "RUN_META",
    "chapter_label",
    "check_self_contained",
    "combine_notebooks",
    "render_html",
]

log = logging.getLogger(__name__)

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"  # returns_kit/templates
TEMPLATE_NAME = "rk_report"
#: the ``<meta name>`` holding the id of the run that rendered the page
RUN_META = "returns-kit-run"

#: Cells never shown in the report (parameters, papermill's injected cell, plumbing, error banners).
REMOVE_CELL_TAGS = frozenset(
    {"parameters", "injected-parameters", "remove_cell", "papermill-error-cell-tag"}
)
REMOVE_INPUT_TAGS = frozenset({"remove_input"})
REMOVE_OUTPUT_TAGS = frozenset({"remove_output"})

# Anything that makes the browser fetch from another host (the page must work offline).  Tag
# patterns need a real "<", which escaped text (buyer notes in tables) never contains; CSS
# patterns are only looked for inside <style> blocks and style="…" attributes.
_EXTERNAL_TAG_RE = re.compile(
    r"<script\b[^>]*\bsrc\s*=\s*[\"']?\s*(?:https?:)?//"
    r"|<link\b[^>]*\bhref\s*=\s*[\"']?\s*(?:https?:)?//"
    r"|<[a-z][^>]*\b(?:src|srcset|poster|data)\s*=\s*[\"']?\s*(?:https?:)?//",
    re.IGNORECASE,
)
_CSS_RE = re.compile(
    r"<style\b[^>]*>(.*?)</style>|\bstyle\s*=\s*\"([^\"]*)\"|\bstyle\s*=\s*'([^']*)'",
    re.IGNORECASE | re.DOTALL,
)
_EXTERNAL_CSS_RE = re.compile(
    r"@import\s+(?:url\()?\s*[\"']?\s*(?:https?:)?//|url\(\s*[\"']?\s*(?:https?:)?//",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class NotebookWarning:
    """A stderr (or error) output that was dropped from the HTML; printed as a warning."""

    chapter: str
    path: Path
    text: str
    kind: str = "stderr"  # "stderr" | "error"

    @property
    def missing_glyphs(self) -> bool:
        return "missing from font" in self.text

    def __str__(self) -> str:
        flag = " [MISSING CHINESE GLYPHS: call returns_kit.plots.setup_fonts()]" if (
            self.missing_glyphs) else ""
        text = self.text.strip()
        if len(text) > 2000:
            text = text[:2000] + " …"
        return f"{self.chapter} ({self.path.name}) {self.kind}{flag}: {text}"


# ----------------------------------------------------------------------------- chapter names


def _first_heading(nb) -> str | None:
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        if REMOVE_CELL_TAGS & set(cell.metadata.get("tags", [])):
            continue
        for line in cell.source.splitlines():
            m = re.match(r"\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$", line)
            if m:
                return m.group(1).strip()
            m = re.match(r"\s*<h[1-6][^>]*>(.+?)</h[1-6]>", line, re.IGNORECASE)
            if m:
                return re.sub(r"<[^>]+>", "", m.group(1)).strip()
    return None


def chapter_label(path: Path, position: int, nb=None) -> str:
    """``"01 数据调取"``: the number, then the file's name part if it is Chinese, else the
    notebook's first heading, else the file's name part."""
    number = chapter_number(path, position)
    rest = re.sub(r"^\d+_", "", path.stem).replace("_", " ").strip()
    name = rest
    if not re.search(r"[^\x00-\x7f]", rest):
        if nb is None:
            with contextlib.suppress(Exception):
                nb = read_notebook(path)
        heading = _first_heading(nb) if nb is not None else None
        if heading:  # "一、数据调取" / "第一章 数据调取" / "1. 数据调取" → "数据调取"
            heading = re.sub(r"^(第[一二三四五六七八九十\d]+章|[一二三四五六七八九十]+、|\d+[.、)])\s*",
                             "", heading).strip() or heading
        name = heading or rest
    return f"{number:02d} {name}".strip()


# ----------------------------------------------------------------------------- combining


def _clean_cell(cell, chapter: str, path: Path, warnings: list[NotebookWarning]):
    cell.metadata.pop("papermill", None)
    cell.metadata.pop("execution", None)
    if cell.cell_type != "code":
        return cell
    kept = []
    for output in cell.get("outputs", []):
        kind = output.get("output_type")
        data = output.get("data") or {}
        if METRICS_MIME in data or (TABLE_MIME in data and "text/html" not in data):
            continue  # the chapter's metrics.json section, a drill-down sheet: for the runner, not the reader
        data.pop(TABLE_MIME, None)  # a table's data for tables.xlsx: the page shows its HTML
        if kind == "stream" and output.get("name") == "stderr":
            warnings.append(NotebookWarning(chapter, path, output.get("text", ""), "stderr"))
            continue
        if kind == "error":
            text = f"{output.get('ename', '')}: {output.get('evalue', '')}"
            warnings.append(NotebookWarning(chapter, path, text, "error"))
            continue
        kept.append(output)
    cell.outputs = kept
    return cell


def combine_notebooks(
    executed: Sequence[str | os.PathLike],
    title: str,
    *,
    subtitle: str | None = None,
    notice: str | None = None,
) -> tuple[Any, list[NotebookWarning]]:
    """One notebook for the whole report: a title cell, a table of contents (one link per
    chapter to an anchor ``chapter-NN`` placed at the start of the chapter; the chapter title is
    the notebook's first markdown heading), then every chapter's cells.

    Cells tagged parameters / injected-parameters / remove_cell and papermill's error banner are
    dropped, and so is papermill metadata; stderr and error outputs are removed and returned as
    warnings; ``metrics.json`` sections (:data:`~returns_kit.chapters.base.METRICS_MIME`) are
    removed silently; code cells left without outputs are dropped (inputs are never shown).
    Returns ``(notebook, warnings)``.
    """
    import nbformat

    combined = nbformat.v4.new_notebook()
    warnings: list[NotebookWarning] = []
    toc: list[tuple[str, str]] = []
    body = []
    anchors: set[str] = set()
    for position, path in enumerate((Path(p) for p in executed), start=1):
        nb = read_notebook(path)
        if position == 1:
            for key in ("kernelspec", "language_info"):
                if key in nb.metadata:
                    combined.metadata[key] = nb.metadata[key]
        number = chapter_number(path, position)
        label = chapter_label(path, position, nb)
        heading = _first_heading(nb) or label
        anchor = f"chapter-{number:02d}"
        if anchor in anchors:
            anchor = f"{anchor}-{position}"
        anchors.add(anchor)
        toc.append((anchor, heading))
        start = nbformat.v4.new_markdown_cell(
            f'<div id="{anchor}" class="rk-chapter-anchor"></div>'
        )
        start.id = f"{anchor}-start"
        body.append(start)
        for index, cell in enumerate(nb.cells):
            tags = set(cell.metadata.get("tags", []))
            if tags & REMOVE_CELL_TAGS:
                continue
            cell = _clean_cell(cell, label, path, warnings)
            if cell.cell_type == "code" and not cell.outputs:
                continue  # nothing to show (inputs are never shown): no empty boxes
            cell.id = f"{anchor}-{index}"
            body.append(cell)

    lines = [f"# {html_lib.escape(title)}"]
    if subtitle:
        lines += ["", f'<p class="rk-subtitle">{html_lib.escape(subtitle)}</p>']
    if notice:
        lines += ["", f'<p class="rk-notice">{html_lib.escape(notice)}</p>']
    title_cell = nbformat.v4.new_markdown_cell("\n".join(lines))
    title_cell.id = "rk-title"
    items = "\n".join(
        f'<li><a href="#{anchor}">{html_lib.escape(heading)}</a></li>' for anchor, heading in toc
    )
    toc_cell = nbformat.v4.new_markdown_cell(
        f'<nav class="rk-toc" aria-label="目录">\n<p class="rk-toc-title">目录</p>\n'
        f"<ol>\n{items}\n</ol>\n</nav>"
    )
    toc_cell.id = "rk-toc"
    combined.cells = [title_cell, toc_cell, *body]
    return combined, warnings


# ----------------------------------------------------------------------------- HTML

_PNG = re.compile(r"data:image/png;base64,([A-Za-z0-9+/=]+)")


def compress_png(data: bytes) -> bytes:
    """A chart PNG as an 8-bit palette PNG (256 colours, no dithering, on white): charts have few
    colours, so it looks the same at a third of the size; the original if that is not smaller."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as im:
        im.load()
        rgba = im.convert("RGBA")
    flat = Image.alpha_composite(Image.new("RGBA", rgba.size, "white"), rgba).convert("RGB")
    small = flat.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    buf = io.BytesIO()
    small.save(buf, format="PNG", optimize=True)
    out = buf.getvalue()
    return out if len(out) < len(data) else data


#: bump when :func:`compress_png` changes, so kept charts are made again
PNG_CACHE_VERSION = 1


def _png_key(data: bytes) -> str:
    from PIL import __version__ as pillow

    return hashlib.sha256(f"{PNG_CACHE_VERSION}|{pillow}|".encode() + data).hexdigest()[:32]


def compress_images(html: str, pool: Any = None, cache_dir: str | os.PathLike | None = None) -> str:
    """Every inline chart of ``html`` through :func:`compress_png` (the page is read on phones
    over mobile data); on the threads of ``pool`` when given (Pillow works outside the GIL).

    ``cache_dir``: a folder of one page's compressed charts, by the digest of the chart
    (matplotlib draws the same chart of the same data byte for byte): a chart of the last render
    is read back, not compressed again, and charts the page no longer shows are removed."""
    found = list(_PNG.finditer(html))
    if not found and cache_dir is None:
        return html
    originals = [base64.b64decode(m.group(1)) for m in found]
    folder = Path(cache_dir) if cache_dir is not None else None
    if folder is not None:
        with contextlib.suppress(OSError):
            folder.mkdir(parents=True, exist_ok=True)
    keys = [_png_key(d) for d in originals] if folder is not None else [None] * len(originals)

    def small(data: bytes, key: str | None) -> bytes:
        kept = folder / f"{key}.png" if folder is not None else None
        if kept is not None:
            with contextlib.suppress(OSError):
                return kept.read_bytes()
        out = compress_png(data)
        if kept is not None:
            with contextlib.suppress(OSError):
                atomic_write_bytes(kept, out)
        return out

    done = list(pool.map(small, originals, keys)) if pool is not None else list(map(small, originals, keys))
    if folder is not None:
        with contextlib.suppress(OSError):
            for old in set(folder.glob("*.png")) - {folder / f"{k}.png" for k in keys}:
                old.unlink(missing_ok=True)
    parts, at = [], 0
    for m, data in zip(found, done):
        parts += [html[at:m.start()], "data:image/png;base64,", base64.b64encode(data).decode("ascii")]
        at = m.end()
    return "".join(parts) + html[at:]


class _DropAltTextNotice(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "Alternative text is missing" not in record.getMessage()


def _exporter():
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    c = Config()
    c.TagRemovePreprocessor.enabled = True
    c.TagRemovePreprocessor.remove_cell_tags = set(REMOVE_CELL_TAGS)
    c.TagRemovePreprocessor.remove_input_tags = set(REMOVE_INPUT_TAGS)
    c.TagRemovePreprocessor.remove_all_outputs_tags = set(REMOVE_OUTPUT_TAGS)
    c.HTMLExporter.exclude_input = True
    c.HTMLExporter.exclude_input_prompt = True
    c.HTMLExporter.exclude_output_prompt = True
    c.HTMLExporter.embed_images = True  # markdown images (a logo) become data URIs
    c.HTMLExporter.language_code = "zh"
    c.HTMLExporter.theme = "light"
    logger = logging.getLogger(f"{__name__}.nbconvert")
    if not any(isinstance(f, _DropAltTextNotice) for f in logger.filters):
        logger.addFilter(_DropAltTextNotice())
    return HTMLExporter(
        config=c,
        template_name=TEMPLATE_NAME,
        extra_template_basedirs=[str(TEMPLATES_DIR)],
        log=logger,
    )


def warm_up() -> None:
    """Load what a render needs (nbconvert and its templates, the HTML parser and its selectors,
    Pillow, fontTools) ahead of it: the runner calls this on a thread while the chapters run,
    so the page's render starts warm.  A failure here is left to the render to report."""
    import nbformat
    from fontTools import subset  # noqa: F401
    from PIL import Image  # noqa: F401

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# 预热\n\n说明"),
                nbformat.v4.new_code_cell("x", outputs=[nbformat.v4.new_output(
                    "display_data", data={"text/html": "<table><tr><td>1</td></tr></table>", "text/plain": "1"})])]
    with contextlib.suppress(Exception):
        _exporter().from_notebook_node(nb, resources={"metadata": {"name": "warm-up", "path": str(Path.cwd())}})


def check_self_contained(html: str) -> None:
    """Raise ReportRenderError if the page would request anything from another host
    (``<script src="http…">``, ``<link href="http…">``, ``@import url(http…)``, ``src="//…"``)."""
    found = None
    m = _EXTERNAL_TAG_RE.search(html)
    if m:
        found = (m.start(), m.end())
    else:
        for css in _CSS_RE.finditer(html):
            for group in (1, 2, 3):
                if css.group(group) is None:
                    continue
                hit = _EXTERNAL_CSS_RE.search(css.group(group))
                if hit:
                    offset = css.start(group)
                    found = (offset + hit.start(), offset + hit.end())
                    break
            if found:
                break
    if found:
        start = max(0, found[0] - 80)
        snippet = " ".join(html[start:found[1] + 120].split())
        raise ReportRenderError(
            "the rendered report would load a resource from another host (it must work offline "
            f"and without CDNs): …{snippet}… — use static charts (matplotlib/seaborn PNG) "
            "instead of JavaScript widgets, and local images in markdown"
        )


def render_html(
    executed: Sequence[str | os.PathLike],
    title: str,
    *,
    subtitle: str | None = None,
    warnings: list[NotebookWarning] | None = None,
    notice: str | None = None,
    run_id: str | None = None,
    font_cache: str | os.PathLike | None = None,
    image_cache: str | os.PathLike | None = None,
) -> str:
    """Render executed chapter notebooks as ONE self-contained HTML page.

    ``run_id`` is written as ``<meta name="returns-kit-run">``: the run that made the page,
    the same id ``metrics.json`` records under ``run``; ``font_cache`` a folder where font
    subsets are kept for the next render of the same characters, ``image_cache`` one where this
    page's compressed charts are kept for its next render (:func:`compress_images`).

    ``notice`` (a re-rendered closed month's changes) goes under the subtitle.  No code and no
    prompts; tagged plumbing cells removed; stderr/error outputs dropped (they
    are appended to ``warnings`` when a list is given, else logged); ``metrics.json`` sections
    dropped; charts stay inline ``data:image/png;base64``; ``<html lang="zh">`` and ``<title>`` =
    ``title``; a subset of the Chinese font embedded (:func:`returns_kit.fonts.embed_cjk_font`).
    The page makes no request to another host (checked: ReportRenderError otherwise).
    """
    executed = [Path(p) for p in executed]
    nb, found = combine_notebooks(executed, title, subtitle=subtitle, notice=notice)
    if warnings is not None:
        warnings.extend(found)  # the caller prints them
    else:
        for item in found:
            log.warning("%s", item)

    source_dir = executed[0].parent if executed else Path.cwd()
    with contextlib.suppress(Exception):
        first = read_notebook(executed[0])
        input_path = first.metadata.get("papermill", {}).get("input_path")
        if input_path and Path(input_path).parent.is_dir():
            source_dir = Path(input_path).parent
    resources = {"metadata": {"name": title, "path": str(source_dir)}}
    html, _ = _exporter().from_notebook_node(nb, resources=resources)

    html = html.replace('alt="No description has been provided for this image"', 'alt="图表"')
    head = '<meta charset="utf-8"/>'
    if 'name="viewport"' not in html:
        head += '\n<meta name="viewport" content="width=device-width, initial-scale=1"/>'
    if run_id:
        head += f'\n<meta name="{RUN_META}" content="{html_lib.escape(run_id)}"/>'
    html = html.replace('<meta charset="utf-8"/>', head, 1)
    # the font subset (the page's characters) and the charts are independent: at once
    with ThreadPoolExecutor(max_workers=3) as pool:
        face = pool.submit(cjk_font_face, page_text_chars(html), font_cache)
        html = compress_images(html, pool, image_cache)
        if face.result() is not None:
            html = html.replace("</head>", face.result() + "</head>", 1)
    check_self_contained(html)
    return html
