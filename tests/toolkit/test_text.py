"""E-mail HTML reduced to text for the research brief, and previews cut to their bound."""

from __future__ import annotations

from ghlbridge.toolkit.text import cut, html_to_text, tidy


def test_markup_scripts_and_styles_go_entities_are_decoded() -> None:
    html = (
        "<html><head><title>Offer</title><style>p{color:red}</style></head>"
        "<body><p>Hi&nbsp;Ana,</p><p>Our <b>Q3</b> offer &amp; terms:</p>"
        "<ul><li>10% off</li><li>Free setup</li></ul><script>alert(1)</script></body></html>"
    )
    assert html_to_text(html, limit=500) == "Hi Ana,\n\nOur Q3 offer & terms:\n\n10% off\n\nFree setup"


def test_broken_markup_still_gives_its_text() -> None:
    assert html_to_text("<div>Call me <b>tomorrow<div>at 10", limit=100) == "Call me tomorrow\nat 10"


def test_the_text_is_cut_to_the_limit_with_an_ellipsis() -> None:
    text = html_to_text("<p>" + "word " * 200 + "</p>", limit=50)
    assert len(text) == 50 and text.endswith("…")


def test_whitespace_collapses_and_blank_lines_do_not_pile_up() -> None:
    assert tidy("a  \t b\r\n\r\n\r\n\n c ", limit=100) == "a b\n\nc"


def test_cut_keeps_short_text_as_it_is() -> None:
    assert cut("short", 5) == "short"
    assert cut("longer", 5) == "long…"
