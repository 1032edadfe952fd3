"""File uploads: type from the content's magic bytes, size limit, stored as attachments,
readable by the visitor through a signed link only."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from channels_app.adapters.webchat import attachment_url
from channels_app.webchat_identity import issue_visitor_token
from conversations.models import Attachment, Message
from tests.widget.conftest import SHOP_ORIGIN

pytestmark = pytest.mark.django_db(transaction=True)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
ZIP = b"PK\x03\x04" + b"\x00" * 40


def upload(client, endpoint, *, name: str, content: bytes, client_id: str = "f1", token=None):
    token = token or issue_visitor_token(endpoint_key=endpoint.key, visitor_id="v_uploader")
    return client.post(
        f"/widget/{endpoint.key}/upload",
        {
            "file": SimpleUploadedFile(name, content, content_type="text/plain"),
            "client_id": client_id,
            "token": token,
        },
        headers={"Origin": SHOP_ORIGIN},
    )


def test_an_image_is_stored_by_its_content_type_not_its_name(client, widget_endpoint):
    response = upload(client, widget_endpoint, name="notes.txt", content=PNG)
    assert response.status_code == 201, response.content
    assert response["Access-Control-Allow-Origin"] == SHOP_ORIGIN
    attachment = Attachment.objects.select_related("message").get()
    assert attachment.content_type == "image/png"
    assert attachment.filename == "notes.png"
    assert attachment.size == len(PNG)
    assert attachment.message.channel == "webchat"
    assert attachment.message.metadata["client_id"] == "f1"

    again = upload(client, widget_endpoint, name="notes.txt", content=PNG)
    assert again.json() == {"client_id": "f1", "duplicate": True}
    assert Message.objects.count() == 1


def test_a_disallowed_type_is_refused_whatever_its_name(client, widget_endpoint):
    response = upload(client, widget_endpoint, name="holiday.png", content=ZIP)
    assert response.status_code == 415
    assert response.json()["error"]["fields"]["code"] == ["file_type"]
    assert not Attachment.objects.exists()


def test_a_file_over_the_size_limit_is_refused(client, widget_endpoint):
    widget_endpoint.config = {**widget_endpoint.config, "max_upload_bytes": 20}
    widget_endpoint.save()
    response = upload(client, widget_endpoint, name="big.png", content=PNG)
    assert response.status_code == 413
    assert not Attachment.objects.exists()


def test_an_upload_needs_a_valid_visitor_token(client, widget_endpoint):
    response = upload(client, widget_endpoint, name="a.png", content=PNG, token="forged:token")
    assert response.status_code == 403
    assert not Message.objects.exists()


def test_the_visitor_reads_the_file_through_its_signed_link_only(client, widget_endpoint):

    upload(client, widget_endpoint, name="a.png", content=PNG)
    attachment = Attachment.objects.get()
    url = attachment_url(widget_endpoint, attachment.pk)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert client.get(url[:-3] + "xyz").status_code == 404
    assert client.get(url.replace(widget_endpoint.key, "otherkey12")).status_code == 404
