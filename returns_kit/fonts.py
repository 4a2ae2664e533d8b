"""Chinese fonts, in the charts and in the HTML page — the one font module.

Chinese text must render on a fresh machine with only pip (no system CJK font), on Windows and on
macOS, with no missing-glyph boxes and no ``Glyph … missing from font(s)`` warnings (those land as
stderr blocks in the report).

Charts (matplotlib), :func:`setup_fonts`:

- the OFL font from the pinned ``noto-cjk-sans-otc`` package is registered at run time with
  ``fontManager.addfont`` (matplotlib >= 3.11 registers every face of the ``.ttc``, so the family
  "Noto Sans CJK SC" exists); without that package a system CJK font is looked up instead
  (Noto/Source Han/PingFang/Microsoft YaHei/SimHei/WenQuanYi/Hiragino/Heiti …);
- ``font.family = ["DejaVu Sans", <CJK family>]`` gives real per-glyph fallback: Latin text,
  digits and the minus sign come from DejaVu Sans, Han characters from the CJK font, so
  ``axes.unicode_minus`` can stay True;
- :func:`returns_kit.plots.theme` re-applies the fonts after ``sns.set_theme()``, which would
  otherwise reset them.

The HTML page, :func:`embed_cjk_font`: a subset of the same OFL font holding exactly the page's
Chinese characters is embedded as a ``data:`` URI, for readers whose machine has no Chinese font.

Imports only third-party libraries, each on first use: the report runner embeds the page font
without loading matplotlib, and ``noto_cjk_sans_otc`` / fontTools are optional.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import html as html_lib
import io
import os
import re
from pathlib import Path

__all__ = [
    "CJK_FAMILIES",
    "EMBEDDED_FONT_FAMILY",
    "LATIN_FAMILY",
    "cjk_font_file",
    "cjk_font_face",
    "embed_cjk_font",
    "font_families",
    "missing_glyphs",
    "page_text_chars",
    "setup_fonts",
]

LATIN_FAMILY = "DejaVu Sans"  # ships with matplotlib; has U+2212 MINUS SIGN

# Simplified-Chinese families in order of preference.  Noto/Source Han are the same design
# (OFL); the rest are the usual OS fonts (macOS: PingFang/Hiragino/Heiti; Windows: YaHei/SimHei;
# Linux: WenQuanYi).  JP/TC faces are a last resort: they render Chinese with some
# non-mainland glyph shapes, which beats boxes.
CJK_FAMILIES: tuple[str, ...] = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "思源黑体",
    "思源黑体 CN",
    "Noto Sans SC",
    "PingFang SC",
    "Microsoft YaHei",
    "微软雅黑",
    "Hiragino Sans GB",
    "Heiti SC",
    "STHeiti",
    "SimHei",
    "黑体",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Sarasa Gothic SC",
    "Droid Sans Fallback",
    "Noto Sans CJK TC",
    "Source Han Sans TC",
    "Noto Sans CJK JP",
    "Source Han Sans",
)

# File names of system CJK fonts, used only when matplotlib's font cache does not know any CJK
# family (a font installed after the cache was built).  Keeps the scan to a handful of files.
_CJK_FILE_RE = re.compile(
    r"(notosanscjk|notosanssc|sourcehansans|思源|pingfang|msyh|simhei|wqy|wenquanyi|hiragino"
    r"|stheiti|heiti|sarasa|droidsansfallback)",
    re.IGNORECASE,
)

# Characters every report uses; a candidate font must have all of them.
_PROBE = "退货率数据新疆维吾尔自治区顺丰速运"

#: CSS family name of the font subset embedded in the HTML page
EMBEDDED_FONT_FAMILY = "rk-noto-sc"

_state: dict[str, object] = {}


# ----------------------------------------------------------------------------- charts


def _registered_families() -> dict[str, str]:
    """Lower-cased family name -> family name as registered, for every font matplotlib knows."""
    from matplotlib import font_manager

    return {entry.name.lower(): entry.name for entry in font_manager.fontManager.ttflist}


def _add_font(path: str | os.PathLike) -> None:
    from matplotlib import font_manager

    path = str(path)
    known = {str(entry.fname) for entry in font_manager.fontManager.ttflist}
    if path not in known:
        font_manager.fontManager.addfont(path)


def _pip_font() -> str | None:
    """Register the OFL font of the ``noto-cjk-sans-otc`` package; its path, or None."""
    try:
        import noto_cjk_sans_otc  # type: ignore[import-not-found]
    except ImportError:
        return None
    path = getattr(noto_cjk_sans_otc, "FONT_PATH", None)
    if not path or not Path(path).exists():
        return None
    try:
        _add_font(path)
    except Exception:  # a broken/partial download: fall back to system fonts
        return None
    return str(path)


def _covers(family: str, text: str = _PROBE) -> bool:
    from matplotlib import ft2font

    try:
        path, index = cjk_font_file(family)
        face = ft2font.FT2Font(path, face_index=index)
    except Exception:
        return False
    return all(face.get_char_index(ord(ch)) != 0 for ch in text)


def _pick_registered() -> str | None:
    registered = _registered_families()
    for family in CJK_FAMILIES:
        name = registered.get(family.lower())
        if name and _covers(name):
            return name
    return None


def _scan_system_fonts() -> None:
    """Register system fonts whose file names look CJK (the font cache may predate them)."""
    from matplotlib import font_manager

    try:
        files = font_manager.findSystemFonts(fontext="ttf") + font_manager.findSystemFonts(
            fontext="otf"
        )
    except Exception:
        return
    for path in sorted(set(files)):
        if _CJK_FILE_RE.search(Path(path).name):
            try:
                _add_font(path)
            except Exception:
                continue


def _resolve_cjk_family() -> str:
    if _pip_font() is not None:
        registered = _registered_families()
        name = registered.get("noto sans cjk sc")
        if name and _covers(name):
            return name
    family = _pick_registered()
    if family is None:
        _scan_system_fonts()
        family = _pick_registered()
    if family is None:
        raise RuntimeError(
            "No Chinese (CJK) font found, so charts would show boxes instead of Chinese text.\n"
            "Fix one of these ways:\n"
            "  - pip install noto-cjk-sans-otc==0.0.1   (OFL Noto Sans CJK, what returns_kit "
            "installs by default; needs matplotlib>=3.11)\n"
            "  - Debian/Ubuntu: sudo apt-get install fonts-noto-cjk\n"
            "  - Windows/macOS: Microsoft YaHei / PingFang SC normally ship with the OS\n"
            "then delete ~/.cache/matplotlib if the font was installed after matplotlib first "
            f"ran.  Families tried: {', '.join(CJK_FAMILIES)}"
        )
    return family


def _apply(family: str) -> None:
    import matplotlib

    rc = matplotlib.rcParams
    rc["font.family"] = [LATIN_FAMILY, family]
    # Code that asks for the generic "sans-serif" gets a single font: make it the CJK one
    # (it has Latin glyphs too), so that path never shows boxes either.
    sans = [f for f in rc["font.sans-serif"] if f != family]
    rc["font.sans-serif"] = [family, *sans]
    rc["axes.unicode_minus"] = True


def setup_fonts() -> str:
    """Make matplotlib render Chinese; return the CJK family name in use.

    Registers the pip-installed Noto Sans CJK font (else finds a system CJK font), then sets
    ``rcParams["font.family"] = ["DejaVu Sans", <CJK family>]`` for per-glyph fallback and keeps
    ``axes.unicode_minus`` True.  Idempotent: the font lookup runs once per process, later calls
    only re-apply the rcParams (cheap; use it after anything that resets fonts).

    Raises RuntimeError with installation advice when no CJK font exists at all.

    >>> import matplotlib
    >>> family = setup_fonts()
    >>> matplotlib.rcParams["font.family"] == ["DejaVu Sans", family]
    True
    """
    family = _state.get("family")
    if not isinstance(family, str):
        family = _resolve_cjk_family()
        _state["family"] = family
    _apply(family)
    return family


def font_families() -> list[str]:
    """The ``font.family`` list the kit uses: ``["DejaVu Sans", <CJK family>]``."""
    return [LATIN_FAMILY, setup_fonts()]


def cjk_font_file(family: str | None = None) -> tuple[str, int]:
    """(file path, face index) of the font matplotlib uses for ``family`` (default: the kit's).

    The face index matters for ``.ttc`` collections: ``FT2Font(path, face_index=index)``.
    """
    from matplotlib import font_manager

    if family is None:
        family = setup_fonts()
    found = font_manager.findfont(
        font_manager.FontProperties(family=[family]), fallback_to_default=False
    )
    return str(getattr(found, "path", found)), int(getattr(found, "face_index", 0))


def missing_glyphs(text: str) -> set[str]:
    """Characters of ``text`` that neither DejaVu Sans nor the CJK font can draw (whitespace and
    control characters ignored).  Handy to check product names or labels before plotting."""
    from matplotlib import ft2font

    faces = []
    for family in font_families():
        path, index = cjk_font_file(family)
        faces.append(ft2font.FT2Font(path, face_index=index))
    return {
        ch
        for ch in set(text)
        if ch.isprintable() and not ch.isspace()
        and all(face.get_char_index(ord(ch)) == 0 for face in faces)
    }


# ----------------------------------------------------------------------------- the HTML page

_TAGS = re.compile(r"<style.*?</style>|<script.*?</script>|<[^>]+>", re.DOTALL)


def page_text_chars(html: str) -> set[str]:
    """The CJK and full-width characters a reader sees on the page (tags, CSS and scripts out)."""
    text = html_lib.unescape(_TAGS.sub(" ", html))
    return {ch for ch in text if ord(ch) >= 0x2E80}


def embed_cjk_font(html: str, cache_dir: str | os.PathLike | None = None) -> str:
    """Embed a subset of the OFL Noto Sans CJK SC font holding exactly the page's Chinese
    characters, as a ``data:`` URI ``@font-face`` (:func:`cjk_font_face`)."""
    face = cjk_font_face(page_text_chars(html), cache_dir)
    return html if face is None else html.replace("</head>", face + "</head>", 1)


#: subsets kept in a cache folder (the newest; one per distinct set of characters)
FONT_CACHE_KEEP = 16


def cjk_font_face(chars: set[str], cache_dir: str | os.PathLike | None = None) -> str | None:
    """The ``<style>`` block of an ``@font-face`` with a subset of the OFL Noto Sans CJK SC font
    holding exactly ``chars``, as a ``data:`` URI (about 0.25 KB per character, WOFF2; WOFF
    without brotli; no hinting; the copyright and licence names kept); None without the font
    or characters.

    A phone or PC uses its own Chinese font first (the page's font list starts with the system
    fonts); this one fills in wherever the reader's machine has none — a bare Linux desktop,
    a kiosk browser — so Chinese text renders everywhere, offline.  Only the pip-installed OFL
    font is embedded (its licence allows it); without it the page relies on system fonts.

    Subsetting takes seconds; with ``cache_dir`` the subset of the same characters (the same
    month rendered again) is read back, byte for byte what subsetting gives.
    """
    try:
        import noto_cjk_sans_otc  # type: ignore[import-not-found]
        from fontTools import subset
    except ImportError:
        return None
    if not chars:
        return None
    flavor = _font_flavor()
    text = "".join(sorted(chars))
    cached = None
    if cache_dir is not None:
        st = os.stat(noto_cjk_sans_otc.FONT_PATH)
        key = hashlib.sha256(f"{FONT_CACHE_VERSION}|{noto_cjk_sans_otc.FONT_PATH}|{st.st_size}|{st.st_mtime_ns}|"
                             f"{flavor}|{text}".encode("utf-8")).hexdigest()[:32]
        cached = Path(cache_dir) / f"{key}.{flavor}"
    if cached is not None and cached.is_file():
        data = cached.read_bytes()
        with contextlib.suppress(OSError):
            os.utime(cached)  # the newest are kept
    else:
        options = subset.Options()
        options.font_number = _ttc_face_index(noto_cjk_sans_otc.FONT_PATH, "Noto Sans CJK SC")
        options.flavor = flavor
        options.layout_features = ["*"]
        options.hinting = False  # screens ignore CFF hints at text sizes; a sixth smaller
        options.name_IDs = [0, 1, 2, 3, 4, 5, 6, 13, 14]  # names, copyright and the OFL licence notice
        options.name_languages = ["*"]
        options.notdef_outline = True
        buf = io.BytesIO()
        with subset.load_font(noto_cjk_sans_otc.FONT_PATH, options) as font:  # lazy: closes the file
            subsetter = subset.Subsetter(options)
            subsetter.populate(text=text)
            subsetter.subset(font)
            subset.save_font(font, buf, options)
        data = buf.getvalue()
        if cached is not None:
            with contextlib.suppress(OSError):
                _keep_subset(cached, data)
    encoded = base64.b64encode(data).decode("ascii")
    return (f'<style type="text/css">@font-face {{ font-family: "{EMBEDDED_FONT_FAMILY}"; '
            f'src: url(data:font/{flavor};base64,{encoded}) format("{flavor}"); font-display: swap; }}</style>\n')


#: bump when the subsetting options change, so cached subsets are made again
FONT_CACHE_VERSION = 1


def _keep_subset(path: Path, data: bytes) -> None:
    """Write a subset to the cache (atomically) and drop all but the newest :data:`FONT_CACHE_KEEP`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    kept = sorted(path.parent.glob(f"*{path.suffix}"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
    for old in kept[FONT_CACHE_KEEP:]:
        with contextlib.suppress(OSError):
            old.unlink()


def _font_flavor() -> str:
    """``woff2`` (Brotli-compressed, about a quarter smaller) when brotli is installed, else ``woff``."""
    try:
        import brotli  # noqa: F401
    except ImportError:
        return "woff"
    return "woff2"


def _ttc_face_index(path: str, family: str) -> int:
    """Index of the face named ``family`` in a ``.ttc``/``.otc`` collection (0 for other files)."""
    from fontTools.ttLib import TTCollection

    if not str(path).lower().endswith((".ttc", ".otc")):
        return 0
    with TTCollection(path, lazy=True) as collection:
        for i, face in enumerate(collection.fonts):
            if face["name"].getDebugName(1) == family:
                return i
    return 0
