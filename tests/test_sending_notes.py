"""A chunk's note is stored as a code and parameters and read in the reader's language (issue 13)."""

from __future__ import annotations

from lib import i18n
from lib.history.store import STOPPED_WHILE_POSTING, STOPPED_WHILE_POSTING_CODE
from lib.messaging.models import SendResult
from lib.sending import notes
from lib.sending.engine import _figures_note


def read_back(note, lang):
    columns = notes.stored(note)
    with i18n.language(lang):
        return notes.note_text(columns["error_message"], columns["error_code"], columns["error_params"])


def test_a_note_written_in_one_language_is_read_in_the_other():
    with i18n.language("el"):  # written by a worker posting a Greek sender's send
        note = i18n.Msg("sending.note.marked_sent", by="maria@example.com")
        columns = notes.stored(note)
    assert columns["error_message"] == "Marked as sent by maria@example.com"  # English for a reader of the database
    assert read_back(note, "el") == "Σημειώθηκε ότι στάλθηκε από maria@example.com"
    assert read_back(note, "en") == "Marked as sent by maria@example.com"


def test_the_platforms_figures_that_do_not_add_up_are_named_in_each_language():
    answer = {"dispatch": 180249, "totalRecipients": 3, "totalRecipientsSent": 1, "invalidRecipients": 1}
    result = SendResult.from_json(answer, posted=2)
    note = _figures_note(result, 2)
    assert read_back(note, "en") == (
        "The platform took the 2 recipients of this part as dispatch 180249, but its own figures do not add up (1 accepted "
        "plus 1 refused is not its total of 3; it counted 3 recipients where the console posted 2); its answer is "
        "kept as it came and its figures are not counted")
    assert read_back(note, "el") == (
        "Η πλατφόρμα δέχτηκε τους 2 παραλήπτες αυτού του μέρους στην παρτίδα 180249, αλλά οι αριθμοί που έδωσε δεν συμφωνούν μεταξύ τους "
        "(αποδεκτοί: 1, απορριφθέντες: 1, που δεν αθροίζουν στο σύνολό της (3)· μέτρησε παραλήπτες: 3, ενώ η κονσόλα "
        "έστειλε: 2)· "
        "η απάντησή της φυλάσσεται όπως ήρθε και οι αριθμοί της δεν προσμετρώνται")


def test_a_note_without_a_code_is_read_as_it_was_written():
    with i18n.language("el"):
        assert notes.note_text("Template 71 is disabled", None, None) == "Template 71 is disabled"
        assert notes.note_text(STOPPED_WHILE_POSTING, STOPPED_WHILE_POSTING_CODE, None) == (
            "Η κονσόλα σταμάτησε την ώρα που στελνόταν αυτό το μέρος· μπορεί να στάλθηκε")
    assert notes.note_text(None, None, None) is None
