"""Tags: parsing (including malformed tags, named by position) and rendering (verbatim or escaped)."""

import pytest

from lib.personalization.tags import TemplateSyntaxError, parse_template


@pytest.mark.parametrize(
    ("text", "tags"),
    [
        ("No tags at all", ()),
        ("Hi {{Firstname}}!", ("Firstname",)),
        ("Hi {{ Firstname }}!", ("Firstname",)),
        ("{{a}}{{b}}", ("a", "b")),
        ("{{b}} then {{a}} then {{b}}", ("b", "a")),
        ("Γεια σου {{Όνομα}}", ("Όνομα",)),
        ("{{voucher code}}", ("voucher code",)),
        ("single { and } braces are text", ()),
        ("", ()),
    ],
)
def test_tags_in_order_of_first_use(text, tags):
    assert parse_template(text).tags == tags


@pytest.mark.parametrize(
    ("text", "position", "wording"),
    [
        ("Hi {{Firstname", 4, "never closed"),
        ("Hi {{}} there", 4, "Empty tag"),
        ("Hi {{   }} there", 4, "Empty tag"),
        ("Hi {{a {{b}} }}", 8, "inside another tag"),
        ("Hi Firstname}} there", 13, "never opened"),
        ("{{a}} and {{b", 11, "never closed"),
        ("{{a{b}}", 1, "brace"),
    ],
)
def test_malformed_tags_are_refused_naming_the_position(text, position, wording):
    with pytest.raises(TemplateSyntaxError) as caught:
        parse_template(text)
    assert caught.value.position == position
    assert wording in str(caught.value)
    assert f"at character {position}" in str(caught.value)


@pytest.mark.parametrize(
    ("template", "values", "escape", "expected"),
    [
        ("Hi {{Firstname}}!", {"Firstname": "Maria"}, False, "Hi Maria!"),
        ("Hi {{ Firstname }}!", {"Firstname": "Maria"}, False, "Hi Maria!"),
        ("Hi {{Firstname}}!", {"Firstname": "Tom & <Jerry>"}, False, "Hi Tom & <Jerry>!"),
        ("<p>{{Firstname}}</p>", {"Firstname": "Tom & <Jerry>"}, True, "<p>Tom &amp; &lt;Jerry&gt;</p>"),
        ("<p>{{q}}</p>", {"q": "\"quoted\" 'single'"}, True, "<p>&quot;quoted&quot; &#x27;single&#x27;</p>"),
        ("{{a}}{{a}}", {"a": "x"}, False, "xx"),
        ("{{code}}", {"code": "{{not a tag}}"}, False, "{{not a tag}}"),
        ("Γεια {{n}} 😀", {"n": "Ελένη"}, False, "Γεια Ελένη 😀"),
        ("{{a}}", {"a": "  spaced  "}, False, "  spaced  "),
    ],
)
def test_rendering_inserts_values_verbatim_or_escaped(template, values, escape, expected):
    assert parse_template(template).render(values, escape_html=escape) == expected


def test_rendering_without_a_value_refuses_rather_than_leaving_a_hole():
    with pytest.raises(KeyError):
        parse_template("Dear {{Firstname}}").render({})
