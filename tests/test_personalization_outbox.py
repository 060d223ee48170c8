"""The promise: what the preview shows is, byte for byte, what the platform delivers.

A recipient file goes through the real reader, the preview renders every row, the same payloads
are sent to the sandbox over HTTP, and the sandbox's outbox must equal the preview row for row.
"""

import pytest

from lib.messaging.models import Recipient
from lib.personalization.preview import payload_values, preview_row_json, tag_values, template_tags
from lib.recipients.recipient_list import load_recipient_list
from lib.settings import Settings
from lib.templates import Channel, load_catalog

CATALOG = {t.id: t for t in load_catalog()}

CSV = (
    "uniqueId,mobilePhone,email,Firstname,voucherCode,voucherAmount,expirationDate,cardNumber,points\n"
    "C1,6936862201,maria@example.com,Μαρία,SPRING19,100 €,28/09/2026,1000001,120\n"
    "C2,6936862202,tom@example.com,Tom & <Jerry>,VIP-{A}|[B],200€,31/12/2026,1000002,5\n"
    'C3,6936862203,nikos@example.com, Nikos’ 😀 ,"Q""1",~5 €,1/1/2027,1000003,0\n'
    "C4,6936862204,eleni@example.com,,ELENI,€5,2/2/2027,1000004,77\n"
    "C5,6936862205,zoe@example.com,Ζωή «Κ»,X" + "x" * 150 + ",9 €,3/3/2027,1000005,9\n"
)


@pytest.mark.parametrize(
    ("template_id", "gsm_greek"),
    [(71, False), (72, False), (73, False), (73, True), (81, False)],
)
def test_the_sandbox_outbox_equals_the_preview(sandbox, client, template_id, gsm_greek):
    template = CATALOG[template_id]
    defaults = {"Firstname": "φίλε"}
    tags = template_tags(template)
    recipients = load_recipient_list(
        CSV.encode(), "list.csv", channel=template.channel, template_tags=tags, settings=Settings()
    )
    assert recipients.valid_count == 5
    frame = recipients.frame
    values = tag_values(frame, tags, recipients.payload_columns)
    payloads = payload_values(template, values, defaults, gsm_greek)
    view = frame[["uniqueId", "mobilePhone", "email"]].join(values)
    previews = {row: preview_row_json(template, view, row, defaults, gsm_greek) for row in frame.index}
    assert all(p["error"] is None for p in previews.values())

    address = "mobilePhone" if template.channel is Channel.SMS else "email"
    client.send_messages(
        template.id,
        [
            Recipient(
                unique_id=frame.at[row, "uniqueId"],
                mobile_phone=frame.at[row, "mobilePhone"] if address == "mobilePhone" else None,
                email=frame.at[row, "email"] if address == "email" else None,
                payload={tag: payloads.at[row, tag] for tag in payloads.columns},
            )
            for row in frame.index
        ],
    )
    outbox = {message["uniqueId"]: message for message in sandbox.wait_for_outbox(len(frame), timeout=15)}

    assert len(outbox) == len(previews)
    for preview in previews.values():
        delivered = outbox[preview["uniqueId"]]
        assert delivered["text"] == preview["text"]
        if template.channel is Channel.EMAIL:
            assert delivered["subject"] == preview["subject"]
    assert "{{" not in "".join(m["text"] for m in outbox.values())
