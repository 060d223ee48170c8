"""One recipient's message, rendered exactly as the platform delivers it, plus safe previews.

SMS: the body with values inserted verbatim. Email: the subject with values verbatim (it is
plain text) and the HTML body with values HTML-escaped, so a name like `Tom & <Jerry>` shows
as written and cannot inject markup. The sandbox renders its outbox with the same parser.

For showing an email inside the console: `safe_preview_html` strips scripts, event handlers,
frames and anything that would load from the network (a preview must not ping a tracker or
run the template author's JavaScript), and `html_to_text` gives the plain-text version.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from html.parser import HTMLParser

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

# Whole elements (with their content) that run code or embed other documents.
_DROP_WITH_CONTENT = {"script", "noscript", "iframe", "frame", "frameset", "object", "embed", "applet", "template"}
# Elements dropped on their own: they load resources, redirect, or change where links go.
_DROP_TAG = {"link", "meta", "base"}
# Attributes whose value is a URL the browser would fetch on its own.
_LOADING_ATTRIBUTES = {
    "src",
    "srcset",
    "background",
    "poster",
    "data",
    "lowsrc",
    "dynsrc",
    "xlink:href",
    "action",
    "formaction",
}
_SAFE_INLINE_URL = re.compile(r"^\s*(data:image/|cid:)", re.IGNORECASE)
_SCRIPT_URL = re.compile(r"^\s*(javascript|vbscript|data):", re.IGNORECASE)
_CSS_LOADS = re.compile(r"@import[^;]*;?|url\s*\([^)]*\)|expression\s*\(", re.IGNORECASE)
PREVIEW_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data: cid:; font-src data:"


class _Sanitiser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skipping: list[str] = []  # stack of dropped elements we are inside
        self.in_style = False

    def handle_starttag(self, tag, attrs, closed: bool = False):
        if self.skipping or tag in _DROP_WITH_CONTENT:
            if tag in _DROP_WITH_CONTENT and not closed:
                self.skipping.append(tag)
            return
        if tag in _DROP_TAG:
            return
        kept = []
        for name, value in attrs:
            value = value or ""
            if name.startswith("on") or name in ("srcdoc", "http-equiv"):
                continue
            if name in _LOADING_ATTRIBUTES and not _SAFE_INLINE_URL.match(value):
                continue
            if name == "href" and _SCRIPT_URL.match(value):
                continue
            if name == "style":
                value = _CSS_LOADS.sub("", value)
            kept.append(f' {name}="{html.escape(value, quote=True)}"')
        self.out.append(f"<{tag}{''.join(kept)}{' /' if closed else ''}>")
        self.in_style = tag == "style" and not closed

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs, closed=True)

    def handle_endtag(self, tag):
        if self.skipping:
            if tag == self.skipping[-1]:
                self.skipping.pop()
            return
        if tag in _DROP_WITH_CONTENT or tag in _DROP_TAG:
            return
        self.in_style = False
        self.out.append(f"</{tag}>")

    def handle_data(self, data):
        if self.skipping:
            return
        self.out.append(_CSS_LOADS.sub("", data) if self.in_style else html.escape(data, quote=False))

    def handle_decl(self, decl):
        if decl.lower().startswith("doctype"):
            self.out.append(f"<!{decl}>")


def safe_preview_html(body: str) -> str:
    """`body` with scripts, event handlers, frames and network loads removed, and a
    Content-Security-Policy that blocks anything the sanitiser missed."""
    parser = _Sanitiser()
    parser.feed(body)
    parser.close()
    return f'<meta http-equiv="Content-Security-Policy" content="{PREVIEW_CSP}">' + "".join(parser.out)


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
