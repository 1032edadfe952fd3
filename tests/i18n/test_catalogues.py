"""Every string the agent UI marks for translation (the inbox's templates and scripts we
wrapped, the tabs and statuses) has a real translation in each catalogue, the compiled
catalogues are current, and the JavaScript catalogue is served in the agent's language."""

from __future__ import annotations

import re
from pathlib import Path

import polib
import pytest
from django.conf import settings

from agents.models import AgentProfile
from tests.factories import make_agent
from tests.inbox.conftest import client_for

ROOT = Path(settings.BASE_DIR)
LANGUAGES = ["es", "de", "fr", "pt"]
TEMPLATES = [
    "templates/conversations/inbox.html",
    "templates/conversations/_composer.html",
    "templates/conversations/_header.html",
    "templates/agents/_preferences.html",
    "templates/conversations/_bulk_bar.html",
]
SCRIPTS = ["static/js/notifications.js", "static/js/bulk.js", "static/js/inbox.js"]
FROM_PYTHON = ["Mine", "Unassigned", "My teams", "All", "Open", "Pending", "Snoozed", "Resolved"]


def template_strings() -> set[str]:
    found = set(FROM_PYTHON)
    for name in TEMPLATES:
        text = (ROOT / name).read_text()
        found |= {m.group(2) for m in re.finditer(r"""{% translate (["'])(.*?)\1""", text)}
        found |= set(re.findall(r"{% blocktranslate %}(.*?){% endblocktranslate %}", text))
    return found


def script_strings() -> set[str]:
    found = set()
    for name in SCRIPTS:
        text = (ROOT / name).read_text()
        found |= set(re.findall(r'\bt\("(.*?)"\)', text))
        found |= set(re.findall(r'\bnt\("(.*?)", "', text))
    return found


def catalogue(language: str, domain: str) -> polib.POFile:
    return polib.pofile(str(ROOT / "locale" / language / "LC_MESSAGES" / f"{domain}.po"))


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    ("domain", "strings"), [("django", template_strings), ("djangojs", script_strings)]
)
def test_every_wrapped_string_is_translated(language, domain, strings):
    entries = {entry.msgid: entry for entry in catalogue(language, domain)}
    wanted = strings()
    assert wanted, "no strings found: the extraction pattern is stale"
    missing = sorted(wanted - set(entries))
    assert not missing, f"{language}/{domain}.po lacks {missing}"
    for msgid in wanted:
        entry = entries[msgid]
        assert entry.translated(), f"{language}: {msgid!r} untranslated"
        forms = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        for form in forms:  # placeholders survive translation
            assert sorted(re.findall(r"%\(\w+\)s|%s", form)) == sorted(
                re.findall(r"%\(\w+\)s|%s", msgid)
            ), (language, msgid, form)


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalogues_exist_and_are_current(language):
    for domain in ("django", "djangojs"):
        po = ROOT / "locale" / language / "LC_MESSAGES" / f"{domain}.po"
        mo = po.with_suffix(".mo")
        assert mo.exists(), f"{mo} missing: run scripts/compile-messages"
        compiled = polib.mofile(str(mo))
        assert {e.msgid for e in compiled} == {e.msgid for e in catalogue(language, domain)}


@pytest.mark.django_db
def test_the_inbox_and_its_script_catalogue_are_in_the_agents_language():
    ann = make_agent(username="ann")
    AgentProfile.objects.filter(user=ann).update(language="es")
    client = client_for(ann)
    page = client.get("/inbox/").content.decode()
    assert '<html lang="es">' in page
    for spanish in ("Preferencias", "Mías", "Sin asignar", "Abiertas", "Buscar conversaciones"):
        assert spanish in page
    assert "Sign out" not in page and "Cerrar sesión" in page
    catalogue_js = client.get("/jsi18n/").content.decode()
    assert "Asignada a ti: %(name)s" in catalogue_js


@pytest.mark.django_db
def test_an_english_agent_sees_english():
    ann = make_agent(username="ann")
    page = client_for(ann).get("/inbox/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Sign out" in page and "My teams" in page
