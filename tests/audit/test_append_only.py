"""Nobody alters or deletes audit entries: not through the API, not in the admin, not
with the ORM or raw SQL (a database trigger refuses UPDATE and DELETE)."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client

from agents.models import AgentProfile
from audit.models import AuditEntry
from audit.services import record
from tests.conftest import api_client_for
from tests.factories import make_agent

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry(db) -> AuditEntry:
    return record(action="conversation.status", object_type="conversation", object_id=7)


def _refused(operation) -> None:
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        operation()


def test_the_orm_cannot_change_or_delete_an_entry(entry):
    entry.summary = "nothing happened"
    _refused(entry.save)
    _refused(lambda: AuditEntry.objects.filter(pk=entry.pk).update(action="login"))
    _refused(entry.delete)
    _refused(lambda: AuditEntry.objects.all().delete())
    entry.refresh_from_db()
    assert (entry.action, entry.summary) == ("conversation.status", "")


def test_raw_sql_cannot_change_or_delete_an_entry(entry):
    def update() -> None:
        with connection.cursor() as cursor:
            cursor.execute("UPDATE audit_auditentry SET actor_label = 'someone else'")

    def delete() -> None:
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM audit_auditentry")

    _refused(update)
    _refused(delete)
    assert AuditEntry.objects.filter(pk=entry.pk, actor_label="system").exists()


def test_the_api_only_reads(entry, agent):
    supervisor = api_client_for(make_agent(username="sam", role=AgentProfile.Role.SUPERVISOR))
    for method in ("post", "put", "patch", "delete"):
        assert getattr(supervisor, method)("/api/v1/audit/", {}, format="json").status_code == 405
    as_agent = api_client_for(agent)
    for method in ("get", "post", "put", "patch", "delete"):
        assert getattr(as_agent, method)("/api/v1/audit/", {}, format="json").status_code == 403
    assert AuditEntry.objects.filter(pk=entry.pk, action="conversation.status").exists()


def test_the_admin_shows_entries_read_only(entry, admin_user):
    admin_user.is_staff = True
    admin_user.is_superuser = True
    admin_user.save()
    client = Client()
    client.force_login(admin_user)
    change_url = f"/admin/audit/auditentry/{entry.pk}/change/"
    assert client.get("/admin/audit/auditentry/").status_code == 200
    page = client.get(change_url)
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    assert client.post(change_url, {"action": "login", "summary": "x"}).status_code == 403
    assert client.get(f"/admin/audit/auditentry/{entry.pk}/delete/").status_code == 403
    assert (
        client.post(f"/admin/audit/auditentry/{entry.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert client.get("/admin/audit/auditentry/add/").status_code == 403
    bulk = client.post(
        "/admin/audit/auditentry/",
        {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"},
    )
    assert bulk.status_code in (200, 302)
    entry.refresh_from_db()
    assert entry.action == "conversation.status"


def test_an_agent_in_the_admin_is_sent_to_its_login(entry, agent):
    client = Client()
    client.force_login(agent)
    response = client.post(f"/admin/audit/auditentry/{entry.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert AuditEntry.objects.filter(pk=entry.pk).exists()
