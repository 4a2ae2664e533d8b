"""What a file really is, from its bytes (never its name).

A merchant's folder holds exports saved every way Excel, WPS and a browser can save them: an
XLSX named ``.xls``, a CSV named ``.xlsx``, Excel's "Unicode text" (UTF-16, tabs), an HTML table
a web page offered as ``.xls``, a ZIP the backend delivered, a screenshot.  :func:`sniff` says
which one a file is; readers read what they can and :func:`refusal` words the refusal for what
they cannot: what the file was recognised as, and what to do.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["FileType", "sniff", "sniff_bytes", "HEAD_BYTES"]

#: bytes read to decide (enough for a ZIP's local header and an HTML page's first tags)
HEAD_BYTES = 64 << 10

_EXPORT_AGAIN = "export it again from 抖店 (XLSX or CSV) and put that file in the folder"
_SAVE_AS = "open it in Excel or WPS and 另存为 (save as) .xlsx, or " + _EXPORT_AGAIN


@dataclass(frozen=True)
class FileType:
    """``reader`` is ``"workbook"`` (calamine), ``"text"`` (CSV in ``encoding``) or ``None``
    (not readable: ``advice`` says what to do); ``name`` is what a person calls the format."""

    name: str
    reader: str | None
    encoding: str | None = None
    advice: str = ""

    def refusal(self) -> str:
        """The message for a file no reader takes: what it is, what to do."""
        return f"this is {self.name}, not a 抖店 export: {self.advice}"


def _zip_type(path: Path) -> FileType:
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
            mimetype = zf.read("mimetype")[:100] if "mimetype" in names else b""
    except (zipfile.BadZipFile, OSError, EOFError, KeyError, ValueError):
        return FileType("a damaged workbook (its ZIP structure is cut off or broken: an interrupted "
                        "download?)", None, advice=_EXPORT_AGAIN)
    if "xl/workbook.bin" in names:
        return FileType("an Excel binary workbook (.xlsb)", "workbook")
    if "xl/workbook.xml" in names:
        return FileType("an Excel workbook (XLSX)", "workbook")
    if mimetype.startswith(b"application/vnd.oasis.opendocument.spreadsheet"):
        return FileType("an OpenDocument spreadsheet (.ods)", "workbook")
    if "word/document.xml" in names:
        return FileType("a Word document", None, advice=_EXPORT_AGAIN)
    shown = ", ".join(names[:5]) + (" …" if len(names) > 5 else "")
    return FileType(f"a ZIP archive holding {len(names)} file(s) ({shown or 'nothing'})", None,
                    advice="unzip it and put the exports it holds into the folder instead of the archive")


def _utf16(head: bytes) -> str | None:
    """``utf-16`` (with BOM), ``utf-16-le``/``-be`` (without: every other byte NUL), else None."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    sample = head[:4096]
    if len(sample) >= 8:
        even, odd = sample[0::2], sample[1::2]
        if odd.count(0) > 0.3 * len(odd) and even.count(0) < 0.05 * len(even):
            return "utf-16-le"
        if even.count(0) > 0.3 * len(even) and odd.count(0) < 0.05 * len(odd):
            return "utf-16-be"
    return None


def _markup_type(text: str) -> FileType | None:
    lead = text.lstrip("\ufeff \t\r\n")[:2048].lower()
    if not lead.startswith("<"):
        return None
    if "urn:schemas-microsoft-com:office:spreadsheet" in text[:HEAD_BYTES].lower():
        return FileType("an Excel 2003 XML spreadsheet", None, advice=_SAVE_AS)
    if any(tag in lead for tag in ("<html", "<!doctype html", "<table", "<meta", "<head", "<body")):
        return FileType("an HTML web page (a table saved from a browser, or a page offered as an "
                        "Excel download)", None, advice=_SAVE_AS)
    return FileType("an XML or markup file", None, advice=_EXPORT_AGAIN)


def _text_encoding(head: bytes) -> str | None:
    """``utf-8`` if the head decodes as UTF-8 (a character cut at the end is fine), or mostly
    does (more valid multi-byte characters than bad bytes: UTF-8 with rows of another encoding
    pasted in, which the CSV reader quarantines row by row); else ``gb18030`` if it decodes as
    that; else None (binary)."""
    import codecs

    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    text = head.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    if sum(ch > "\u07ff" for ch in text) - bad > bad:
        return "utf-8"
    try:
        codecs.getincrementaldecoder("gb18030")().decode(head, final=False)
        return "gb18030"
    except UnicodeDecodeError:
        return None


_UNPACK = "unpack it and put the exports it holds in the folder"
_MAGIC: tuple[tuple[bytes, FileType], ...] = (
    (b"%PDF", FileType("a PDF document", None, advice=_EXPORT_AGAIN)),
    (b"\x89PNG", FileType("a PNG image (a screenshot?)", None, advice=_EXPORT_AGAIN)),
    (b"\xff\xd8\xff", FileType("a JPEG image (a screenshot?)", None, advice=_EXPORT_AGAIN)),
    (b"GIF8", FileType("a GIF image", None, advice=_EXPORT_AGAIN)),
    (b"\x1f\x8b", FileType("a gzip archive", None, advice=_UNPACK)),
    (b"Rar!", FileType("a RAR archive", None, advice=_UNPACK)),
    (b"7z\xbc\xaf", FileType("a 7-Zip archive", None, advice=_UNPACK)),
)


def sniff_bytes(head: bytes, path: Path | None = None) -> FileType:
    """The type of a file from its first :data:`HEAD_BYTES` bytes (``path`` lets a ZIP be
    looked into)."""
    if not head.strip():
        return FileType("an empty file" if not head else "a file of blank space", None,
                        advice=_EXPORT_AGAIN)
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        if path is None:
            return FileType("a ZIP-based workbook", "workbook")
        return _zip_type(path)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        if "EncryptedPackage".encode("utf-16-le") in head:
            return FileType("a password-protected workbook", None,
                            advice="remove the password (文件 → 信息 → 保护工作簿) and save it again")
        return FileType("an Excel 97–2003 workbook (.xls)", "workbook")
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    wide = _utf16(head)
    if wide:
        text = head.decode(wide, errors="replace")
        markup = _markup_type(text)
        return markup or FileType("a UTF-16 text file (Excel's \"Unicode text\" save)", "text", wide)
    encoding = _text_encoding(head)
    if encoding is None or b"\x00" in head:
        return FileType("a binary file of an unknown format", None, advice=_EXPORT_AGAIN)
    markup = _markup_type(head.decode(encoding, errors="replace"))
    if markup:
        return markup
    name = "a UTF-8 text (CSV) file" if encoding == "utf-8" else "a GBK/GB18030 text (CSV) file"
    return FileType(name, "text", encoding)


def sniff(path: str | Path) -> FileType:
    """The type of the file at ``path`` (OSError if it cannot be opened)."""
    path = Path(path)
    with open(path, "rb") as fh:
        head = fh.read(HEAD_BYTES)
    return sniff_bytes(head, path)
