"""The inbox's response-times page: each team's figures for whoever works the inbox, a
window picker, breaches that stand out, an empty state, and nothing of another
organization's."""

import pytest

from apps.humans.models import Handoff
from tests.factories import make_service_level_handoffs

pytestmark = pytest.mark.django_db


@pytest.fixture
def figures(world):
    return make_service_level_handoffs(world)


def url(world, query=""):
    return f"/o/{world.org.slug}/inbox/sla/{query}"


def test_a_team_member_sees_each_teams_figures(figures, client):
    client.force_login(figures.people["member"])
    response = client.get(url(figures))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="sla-deal-desk"' in page
    assert 'data-testid="sla-spare"' in page
    assert 'data-testid="sla-no-team"' in page
    assert "No team (owners)" in page
    desk = page[page.index('data-testid="sla-deal-desk"') :]
    desk = desk[: desk.index("</tr>")]
    for shown in ("8 min", "10 min", "26 min", "40 min"):  # median (7.5) and p90, twice
        assert shown in desk
    assert 'class="sla-breach" data-testid="breaches">2<' in desk
    assert 'data-testid="overdue-now" title="1 overdue now">1<' in desk
    assert "33%" in desk
    assert 'aria-current="page">30 days' in page
    assert 'data-testid="tab-sla"' in page


def test_the_window_picker_changes_what_is_counted(figures, client):
    client.force_login(figures.people["member"])
    page = client.get(url(figures, "?days=90")).content.decode()
    assert 'aria-current="page">90 days' in page
    desk = page[page.index('data-testid="sla-deal-desk"') :]
    assert "1 h 30 min" in desk[: desk.index("</tr>")]  # the 40-day-old one, closed in 90 min
    assert client.get(url(figures, "?days=bogus")).status_code == 200


def test_no_handoffs_shows_an_empty_state(world, client):
    Handoff.objects.filter(organization=world.org).delete()
    client.force_login(world.people["member"])
    page = client.get(url(world)).content.decode()
    assert 'data-testid="sla-empty"' in page
    assert "sla-teams" not in page


def test_another_organizations_member_gets_404(figures, client):
    client.force_login(figures.people["owner"])
    theirs = f"/o/{figures.other.slug}/inbox/sla/"
    assert client.get(theirs).status_code == 404
    from apps.accounts.models import User

    client.force_login(User.objects.get(username="outsider"))
    assert client.get(url(figures)).status_code == 404
    page = client.get(theirs).content.decode()
    assert "Other Team" in page
    assert "Deal Desk" not in page


def test_the_inbox_links_to_it(world, client):
    client.force_login(world.people["member"])
    page = client.get(f"/o/{world.org.slug}/inbox/").content.decode()
    assert f'href="/o/{world.org.slug}/inbox/sla/"' in page
