"""Supervisors edit rules, policies and hours in the admin with condition and action
rows, get validation errors in plain words, and every change lands in the audit log."""

from __future__ import annotations

from agents.models import AgentProfile, BusinessHours, Team
from routing.models import RoutingRule, RuleChange, RuleCondition, SlaPolicy
from routing.selectors import active_rules
from tests.factories import UserFactory


def formset(prefix: str, rows: list[dict[str, str]], initial: int = 0) -> dict[str, str]:
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        data |= {f"{prefix}-{index}-{key}": value for key, value in row.items()}
    return data


def rule_form(conditions, actions, **fields) -> dict[str, str]:
    return {
        "name": "Refunds",
        "position": "10",
        "is_active": "on",
        "match": "all",
        "description": "",
        **fields,
        **formset("conditions", conditions),
        **formset("actions", actions),
    }


def test_invalid_rows_are_refused_in_plain_words(supervisor_client):
    response = supervisor_client.post(
        "/admin/routing/routingrule/add/",
        rule_form(
            conditions=[{"field": "text", "operator": "regex", "value": "(refund"}],
            actions=[{"kind": "assign_team", "team": ""}],
        ),
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "This is not a valid regular expression" in body
    assert "Pick the team to assign to." in body
    assert not RoutingRule.objects.exists()

    response = supervisor_client.post(
        "/admin/routing/routingrule/add/",
        rule_form(
            conditions=[{"field": "channel", "operator": "regex", "value": "sms"}],
            actions=[{"kind": "set_priority", "priority": ""}],
        ),
    )
    body = response.content.decode()
    assert "Channel kind can only be compared with" in body
    assert "Pick the priority to set." in body


def test_a_saved_rule_is_audited_and_used_at_once(supervisor_client):
    team = Team.objects.create(name="Billing")
    assert active_rules() == []
    response = supervisor_client.post(
        "/admin/routing/routingrule/add/",
        rule_form(
            conditions=[{"field": "text", "operator": "any_keyword", "value": "refund, invoice"}],
            actions=[{"kind": "assign_team", "team": str(team.pk)}],
        ),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    rule = RoutingRule.objects.get()
    assert [r.name for r in active_rules()] == ["Refunds"]
    created = RuleChange.objects.get()
    assert (created.actor, created.action, created.object_name) == (
        supervisor_client.user,
        "created",
        "Refunds",
    )
    assert any("added rule condition" in change for change in created.changes)

    condition = RuleCondition.objects.get()
    edit = rule_form(
        conditions=[],
        actions=[],
        name="Refunds and invoices",
    )
    edit |= formset(
        "conditions",
        [
            {
                "id": str(condition.pk),
                "rule": str(rule.pk),
                "field": "text",
                "operator": "contains",
                "value": "refund",
            }
        ],
        initial=1,
    )
    response = supervisor_client.post(f"/admin/routing/routingrule/{rule.pk}/change/", edit)
    assert response.status_code == 302, response.content.decode()[:2000]
    changed = RuleChange.objects.order_by("-id").first()
    assert changed.action == "changed"
    assert "changed name" in changed.changes
    assert any("changed rule condition" in c for c in changed.changes)
    assert active_rules()[0].rule.conditions[0].operator == "contains"

    supervisor_client.post(f"/admin/routing/routingrule/{rule.pk}/delete/", {"post": "yes"})
    assert RuleChange.objects.order_by("-id").first().action == "deleted"
    page = supervisor_client.get("/admin/routing/rulechange/")
    assert page.status_code == 200
    assert "Refunds and invoices" in page.content.decode()


def test_rules_are_ordered_by_number_in_the_list(supervisor_client):
    later = RoutingRule.objects.create(name="later", position=20)
    RoutingRule.objects.create(name="sooner", position=10)
    page = supervisor_client.get("/admin/routing/routingrule/").content.decode()
    assert page.index("sooner") < page.index("later")
    assert later.pk


def test_policy_and_hours_forms_explain_mistakes(supervisor_client):
    response = supervisor_client.post(
        "/admin/routing/slapolicy/add/",
        {
            "name": "Empty",
            "position": "1",
            "is_active": "on",
            "warning_percentage": "150",
            **formset("escalations", []),
        },
    )
    body = response.content.decode()
    assert "Set at least one target" in body
    assert "between 1 and 100 percent" in body
    assert not SlaPolicy.objects.exists()

    response = supervisor_client.post(
        "/admin/agents/businesshours/add/",
        {
            "name": "Office",
            "timezone": "Mars/Olympus",
            **formset("intervals", [{"weekday": "0", "opens": "17:00", "closes": "09:00"}]),
            **formset("holidays", []),
        },
    )
    body = response.content.decode()
    assert "is not a known timezone" in body
    assert "Closing time must be after opening time" in body
    assert not BusinessHours.objects.exists()


def test_agent_skills_are_edited_as_words_not_json(supervisor_client):
    agent = UserFactory(username="ann")
    profile = AgentProfile.objects.create(user=agent, skills=["billing"])
    page = supervisor_client.get(f"/admin/agents/agentprofile/{profile.pk}/change/")
    assert 'value="billing"' in page.content.decode()
    response = supervisor_client.post(
        f"/admin/agents/agentprofile/{profile.pk}/change/",
        {
            "user": str(agent.pk),
            "role": "agent",
            "capacity": "4",
            "skills": "billing, returns",
            "languages": "en, pt",
            "presence": "offline",
            **formset("channel_capacities", []),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    profile.refresh_from_db()
    assert profile.skills == ["billing", "returns"]
    assert profile.languages == ["en", "pt"]


def test_every_routing_admin_page_opens(supervisor_client):
    for url in (
        "/admin/routing/routingrule/",
        "/admin/routing/routingrule/add/",
        "/admin/routing/routingrule/dry-run/",
        "/admin/routing/slapolicy/add/",
        "/admin/agents/businesshours/add/",
        "/admin/agents/team/add/",
        "/admin/agents/agentprofile/add/",
        "/admin/routing/rulechange/",
    ):
        response = supervisor_client.get(url)
        assert response.status_code == 200, url
    listing = supervisor_client.get("/admin/routing/routingrule/").content.decode()
    assert "/admin/routing/routingrule/dry-run/" in listing
