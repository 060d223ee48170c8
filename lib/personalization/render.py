"""One recipient's message, rendered exactly as the platform delivers it, plus safe previews.

SMS: the body with values inserted verbatim. Email: the subject with values verbatim (it is
plain text) and the HTML body with values HTML-escaped, so a name like `Tom & <Jerry>` shows
as written and cannot inject markup. The sandbox renders its outbox with the same parser.

For showing an email inside the console: `safe_preview_html` keeps only an allowlist of markup
(nh3), so no script, event handler, frame or network load survives (a preview must not ping a
tracker or run the template author's JavaScript), and `html_to_text` gives the plain-text version.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from html.parser import HTMLParser

import nh3

from lib.personalization.tags import parse_template
from lib.templates import Channel, Template


@dataclass(frozen=True)
class RenderedMessage:
    subject: str  # "" for SMS
    text: str  # exactly what is delivered: the SMS text, or the email's HTML body
    html: str | None  # the email's HTML body; None for SMS

    @property
    def plain_text(self) -> str:
        """What a reader sees: the SMS itself, or the email body without markup."""
        return self.text if self.html is None else html_to_text(self.html)


def render_row(template: Template, payload: Mapping[str, str]) -> RenderedMessage:
    """The message for one payload (defaults already written in). KeyError names a missing tag."""
    if template.channel is Channel.SMS:
        return RenderedMessage(subject="", text=parse_template(template.body).render(payload), html=None)
    body = parse_template(template.body).render(payload, escape_html=True)
    subject = parse_template(template.subject).render(payload)
    return RenderedMessage(subject=subject, text=body, html=body)


# ---- safe preview -------------------------------------------------------------------------
# An allowlist (nh3, the Rust `ammonia` sanitiser): only the tags, attributes, URL schemes and CSS
# properties below survive; everything else (scripts, handlers, SVG, frames, forms, obfuscated
# `java&#x09;script:` links) is dropped because it is not on the list. Images may only be inline
# (data:image/, cid:), so a preview never pings a tracker. The Content-Security-Policy stays as the
# second wall: nothing in the preview may load from the network even if something slipped through.

PREVIEW_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data: cid:; font-src data:"
_TAGS = (nh3.ALLOWED_TAGS | {"html", "head", "body", "font"}) - {"area", "map"}
_LAYOUT_ATTRIBUTES = {"align", "valign", "width", "height", "bgcolor", "border", "cellpadding", "cellspacing",
                      "colspan", "rowspan", "dir", "lang", "title", "class", "id", "style"}
_ATTRIBUTES = {
    "*": _LAYOUT_ATTRIBUTES,
    "a": {"href", "name", "target"},
    "img": {"src", "alt"},
    "font": {"color", "face", "size"},
    "ol": {"start", "type"},
    "ul": {"type"},
}
_URL_SCHEMES = {"http", "https", "mailto", "tel", "data", "cid"}
# CSS properties that style text and boxes; none of them can take an image or a URL.
_CSS_PROPERTIES = {
    "color", "background-color", "font", "font-family", "font-size", "font-style", "font-weight", "font-variant",
    "line-height", "letter-spacing", "word-spacing", "text-align", "text-decoration", "text-transform",
    "text-indent", "vertical-align", "white-space", "direction", "display", "width", "height", "max-width",
    "min-width", "max-height", "min-height", "margin", "margin-top", "margin-right", "margin-bottom",
    "margin-left", "padding", "padding-top", "padding-right", "padding-bottom", "padding-left", "border",
    "border-top", "border-right", "border-bottom", "border-left", "border-color", "border-style", "border-width",
    "border-radius", "border-collapse", "border-spacing", "table-layout", "float", "clear", "overflow",
}  # fmt: skip
# nh3 filters CSS only in style attributes. A <style> sheet is kept (put back first) only if it is plain
# rules from a small alphabet: no '<' to close the element, no @import/@font-face, url(), image-set(),
# escapes or comments that could hide them; otherwise it is dropped whole.
_PLAIN_STYLE_SHEET = re.compile(r"[\w\s{}:;,.#%()!*>+~=\[\]'\"-]*")
_STYLE_LOADS = re.compile(r"url|image|@|expression|binding|behavior", re.IGNORECASE)
_STYLE_BLOCK = re.compile(r"<style[^>]*>(.*?)</style\s*>", re.IGNORECASE | re.DOTALL)


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src":
        return value if re.match(r"^(data:image/|cid:)", value, re.IGNORECASE) else None
    if attribute == "href" and value.lower().startswith(("data:", "cid:")):
        return None
    return value


def _plain_style_sheets(body: str) -> str:
    sheets = (m.group(1) for m in _STYLE_BLOCK.finditer(body))
    return "".join(f"<style>{css}</style>" for css in sheets
                   if _PLAIN_STYLE_SHEET.fullmatch(css) and not _STYLE_LOADS.search(css))


def safe_preview_html(body: str) -> str:
    """`body` reduced to an allowlist of markup (no scripts, handlers, frames, SVG or network loads),
    behind a Content-Security-Policy that blocks anything the sanitiser might have missed."""
    cleaned = nh3.clean(
        body,
        tags=_TAGS,
        clean_content_tags={"script", "style", "noscript", "iframe", "object", "embed", "template", "svg", "math",
                            "textarea"},
        attributes=_ATTRIBUTES,
        attribute_filter=_attribute_filter,
        url_schemes=_URL_SCHEMES,
        filter_style_properties=_CSS_PROPERTIES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )
    return f'<meta http-equiv="Content-Security-Policy" content="{PREVIEW_CSP}">' + _plain_style_sheets(body) + cleaned


# ---- plain-text version -------------------------------------------------------------------

_BLOCK = {
    "p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "table", "tr", "blockquote",
    "section", "article", "header", "footer", "hr", "pre", "address", "center", "dl", "dt", "dd",
}  # fmt: skip
_INVISIBLE = {"head", "title", "script", "style", "noscript", "template"}


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = [""]
        self.hidden = 0
        self.links: list[str | None] = []

    def _break(self) -> None:
        if self.lines[-1].strip():
            self.lines.append("")

    def handle_starttag(self, tag, attrs):
        if tag in _INVISIBLE:
            self.hidden += 1
        elif tag == "br":
            self.lines.append("")
        elif tag in _BLOCK:
            self._break()
            if tag == "li":
                self.lines[-1] = "- "
        elif tag == "a":
            self.links.append(dict(attrs).get("href"))
        elif tag == "img":
            alt = dict(attrs).get("alt")
            if alt:
                self.handle_data(alt)

    def handle_endtag(self, tag):
        if tag in _INVISIBLE:
            self.hidden = max(0, self.hidden - 1)
        elif tag in _BLOCK:
            self._break()
        elif tag == "a" and self.links:
            href = self.links.pop()
            if href and re.match(r"^(https?:|mailto:)", href) and href not in self.lines[-1]:
                self.lines[-1] += f" ({href})"

    def handle_data(self, data):
        if not self.hidden:
            self.lines[-1] += re.sub(r"\s+", " ", data)


def html_to_text(body: str) -> str:
    """The readable text of an HTML email: paragraphs as lines, links as `text (url)`."""
    parser = _TextExtractor()
    parser.feed(body)
    parser.close()
    lines = [line.strip() for line in parser.lines]
    text = "\n".join(line if line != "-" else "" for line in lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()
