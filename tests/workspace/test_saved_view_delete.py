"""Deleting a saved view from the inbox (the tab's delete button, confirmed first): the owner's view
goes and the tabs come back without it; a view a colleague shared with the team is
theirs to delete (403, kept); one the user cannot see is a 404."""

from __future__ import annotations

import pytest

from tests.inbox.conftest import build_desk, client_for, htmx
from workspace.models import SavedView

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(db):
    return build_desk()


def _view(owner, name, team=None):
    return SavedView.objects.create(
        owner=owner, name=name, team=team, filters={"status": "open", "channel": "email"}
    )


def test_the_tabs_offer_a_confirmed_delete_for_the_agents_own_views_only(desk):
    mine = _view(desk.bob, "Mine")
    shared = _view(desk.carol, "Carol's", team=desk.messaging)
    html = htmx(client_for(desk.bob), "get", "/inbox/workspace/saved-views/").content.decode()
    assert f'hx-post="/inbox/workspace/saved-views/{mine.pk}/delete/' in html
    assert 'hx-confirm="Delete the saved view “Mine”?' in html
    assert f"/inbox/workspace/saved-views/{shared.pk}/delete/" not in html
    assert "Carol&#x27;s" in html  # shown as a tab all the same


def test_the_owner_deletes_a_view_and_gets_the_tabs_without_it(desk):
    keep = _view(desk.bob, "Keep")
    gone = _view(desk.bob, "Gone")
    response = htmx(
        client_for(desk.bob),
        "post",
        f"/inbox/workspace/saved-views/{gone.pk}/delete/?view=teams&saved={gone.pk}",
    )
    assert response.status_code == 200
    assert not SavedView.objects.filter(pk=gone.pk).exists()
    html = response.content.decode()
    assert 'id="saved-views"' in html
    assert "Keep" in html and "Gone" not in html
    assert "clear-saved-view" not in html  # the deleted view was the active one
    assert SavedView.objects.filter(pk=keep.pk).exists()


def test_a_view_shared_by_a_colleague_cannot_be_deleted_by_the_team(desk):
    shared = _view(desk.carol, "Carol's", team=desk.messaging)
    response = htmx(
        client_for(desk.bob), "post", f"/inbox/workspace/saved-views/{shared.pk}/delete/"
    )
    assert response.status_code == 403
    assert SavedView.objects.filter(pk=shared.pk).exists()


def test_another_agents_private_view_is_not_found(desk):
    private = _view(desk.alice, "Alice's")
    response = htmx(
        client_for(desk.bob), "post", f"/inbox/workspace/saved-views/{private.pk}/delete/"
    )
    assert response.status_code == 404
    assert SavedView.objects.filter(pk=private.pk).exists()


def test_delete_needs_a_post(desk):
    view = _view(desk.bob, "Mine")
    assert (
        client_for(desk.bob).get(f"/inbox/workspace/saved-views/{view.pk}/delete/").status_code
        == 405
    )
    assert SavedView.objects.filter(pk=view.pk).exists()
