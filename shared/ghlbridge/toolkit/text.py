"""Plain text out of what GHL stores: e-mail HTML reduced to its readable text, and short previews.

The research brief is read by a generator, not a browser: no markup, no scripts or styles, no
quoted-printable noise, whitespace collapsed, and a bounded size. The standard library's
`html.parser` is enough (it never fetches anything and tolerates broken markup); entities are
decoded by it (`convert_charrefs`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from html.parser import HTMLParser

_SKIPPED = frozenset({"script", "style", "head", "title", "template", "noscript"})
_BREAKS = frozenset({"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "hr", "table"})
_SPACES = re.compile(r"[ \t\f\v\u00a0\u200b]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")


def html_to_text(html: str, *, limit: int) -> str:
    """The readable text of an HTML document or fragment, at most `limit` characters."""
    parts: list[str] = []
    parser = _text_parser(parts)
    parser.feed(html[: limit * 20])  # markup is bulky; never parse megabytes for a short text
    parser.close()
    return tidy("".join(parts), limit=limit)


def tidy(text: str, *, limit: int) -> str:
    """`text` with runs of spaces collapsed, at most one blank line in a row, cut to `limit`."""
    lines = (_SPACES.sub(" ", line).strip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    joined = _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
    return cut(joined, limit)


def cut(text: str, limit: int) -> str:
    """`text`, or its first `limit` characters ending in "…" when it is longer."""
    return text if len(text) <= limit else text[: max(0, limit - 1)].rstrip() + "…"


def _text_parser(parts: list[str]) -> HTMLParser:
    """A parser that appends the readable text to `parts`; `html.parser` loads only when an e-mail is read."""
    return _parser_class()(parts)


@functools.cache
def _parser_class() -> Callable[[list[str]], HTMLParser]:
    from html.parser import HTMLParser

    class TextOf(HTMLParser):
        def __init__(self, parts: list[str]) -> None:
            super().__init__(convert_charrefs=True)
            self.parts = parts
            self._skipping = 0

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag in _SKIPPED:
                self._skipping += 1
            elif tag in _BREAKS:
                self.parts.append("\n")

        def handle_endtag(self, tag: str) -> None:
            if tag in _SKIPPED:
                self._skipping = max(0, self._skipping - 1)
            elif tag in _BREAKS:
                self.parts.append("\n")

        def handle_data(self, data: str) -> None:
            if not self._skipping:
                self.parts.append(data)

    return TextOf
