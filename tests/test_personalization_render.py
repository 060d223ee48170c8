"""Rendering one recipient's message as delivered, and the safe previews of an email."""

import pytest

from lib.personalization.render import html_to_text, render_row, safe_preview_html
from lib.templates import Channel, Template

SMS = Template(id=1, name="sms", channel=Channel.SMS, body="Hi {{Firstname}} & co: <b>{{code}}</b>")
EMAIL = Template(
    id=2,
    name="email",
    channel=Channel.EMAIL,
    subject="{{Firstname}}, your <voucher>",
    body="<html><body><h1>Hello {{Firstname}},</h1><p>Code <strong>{{code}}</strong></p></body></html>",
)


@pytest.mark.parametrize(
    ("template", "payload", "subject", "text"),
    [
        (SMS, {"Firstname": "Tom & <Jerry>", "code": "A&B"}, "", "Hi Tom & <Jerry> & co: <b>A&B</b>"),
        (SMS, {"Firstname": "Ελένη 😀", "code": "’x’"}, "", "Hi Ελένη 😀 & co: <b>’x’</b>"),
        (
            EMAIL,
            {"Firstname": "Tom & <Jerry>", "code": '"A"<script>'},
            "Tom & <Jerry>, your <voucher>",
            "<html><body><h1>Hello Tom &amp; &lt;Jerry&gt;,</h1>"
            "<p>Code <strong>&quot;A&quot;&lt;script&gt;</strong></p></body></html>",
        ),
    ],
)
def test_sms_is_verbatim_and_email_body_escapes_values(template, payload, subject, text):
    message = render_row(template, payload)
    assert (message.subject, message.text) == (subject, text)
    assert message.html == (text if template.channel is Channel.EMAIL else None)


def test_email_plain_text_version_reads_like_the_email():
    message = render_row(EMAIL, {"Firstname": "Tom & <Jerry>", "code": "X1"})
    assert message.plain_text == "Hello Tom & <Jerry>,\nCode X1"


def test_a_missing_value_is_refused():
    with pytest.raises(KeyError):
        render_row(SMS, {"Firstname": "Maria"})


@pytest.mark.parametrize(
    ("html", "absent", "present"),
    [
        ("<p>Hi</p><script>alert(1)</script>", ["<script", "alert"], ["<p>Hi</p>"]),
        ('<body onload="alert(1)"><p onclick="x()">Hi</p></body>', ["onload", "onclick", "alert"], ["<p>Hi</p>"]),
        ('<img src="https://tracker.example/p.gif" alt="Logo">', ["tracker", "src="], ['alt="Logo"']),
        ('<img src="data:image/png;base64,AAAA">', [], ['src="data:image/png;base64,AAAA"']),
        ('<link rel="stylesheet" href="https://cdn.example/a.css"><p>x</p>', ["cdn.example", "<link"], ["<p>x</p>"]),
        (
            "<style>@import url(https://x.example/a.css); p{color:red}</style>",
            ["x.example", "@import", "<style"],  # a sheet that loads anything is dropped whole
            [],
        ),
        ("<style>p{color:red} td{padding:4px}</style><p>x</p>", [], ["<style>p{color:red} td{padding:4px}</style>"]),
        ('<p style="background:url(https://x.example/bg.png);color:red">x</p>', ["x.example"], ["color:red"]),
        ('<iframe src="https://x.example"></iframe><p>after</p>', ["iframe", "x.example"], ["<p>after</p>"]),
        (
            '<a href="javascript:alert(1)">x</a><a href="https://shop.example">Shop</a>',
            ["javascript"],
            ['href="https://shop.example"'],
        ),
        ('<meta http-equiv="refresh" content="0;url=https://x.example">', ["refresh", "x.example"], []),
        ('<object data="https://x.example/f.swf"></object><embed src="https://x.example/e">', ["x.example"], []),
        ('<form action="https://x.example"><input formaction="https://x.example"></form>', ["x.example", "<input"], []),
        # Obfuscated, SVG and CSS image loads that a deny-list lets through:
        ('<a href="java&#x09;script:alert(1)">x</a>', ["script", "href"], [">x</a>"]),
        ('<a href="&#106;avascript:alert(1)">x</a>', ["avascript", "href"], [">x</a>"]),
        ('<svg><use href="https://x.example/s.svg#i"/></svg><p>after</p>', ["x.example", "<svg", "<use"], ["<p>after</p>"]),
        (
            """<p style="background-image:image-set('https://x.example/a.png' 1x);color:red">x</p>""",
            ["x.example", "image-set"],
            ["color:red"],
        ),
        ("""<style>p{background:image-set('https://x.example/a.png' 1x)}</style>""", ["x.example", "<style"], []),
        ('<p style="list-style-image:url(https://x.example/a.png)">x</p>', ["x.example"], []),
        ("<p>Tom &amp; &lt;Jerry&gt;</p>", [], ["<p>Tom &amp; &lt;Jerry&gt;</p>"]),
    ],
)
def test_safe_preview_strips_scripts_and_external_loads(html, absent, present):
    safe = safe_preview_html(html)
    body = safe.split(">", 1)[1]  # after the Content-Security-Policy meta
    for text in absent:
        assert text not in body
    for text in present:
        assert text in body
    assert safe.startswith('<meta http-equiv="Content-Security-Policy" content="default-src \'none\';')


def test_plain_text_keeps_paragraphs_lists_and_link_targets():
    html = (
        "<html><head><title>T</title><style>p{}</style></head><body><h1>Hello</h1><p>One<br>Two</p>"
        '<ul><li>First</li><li>Second</li></ul><p><a href="https://shop.example">Shop now</a></p></body></html>'
    )
    assert html_to_text(html) == "Hello\nOne\nTwo\n- First\n- Second\nShop now (https://shop.example)"
