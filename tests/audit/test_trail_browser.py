"""The audit trail and the evidence downloads in a real browser, on the demo: filter the
trail, open an event from its row, download what is shown, and the evidence package."""

import csv
import io
import zipfile
from io import StringIO

import pytest
from django.core.management import call_command

from tests.browser import shot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo():
    call_command("seed_demo", stdout=StringIO())


def test_the_auditor_filters_opens_and_downloads_the_trail(page, demo):
    sign_in(page, "aude", "mandate-demo")
    page.wait_for_url("**/o/acme/")
    page.goto("/o/acme/activity/")
    page.check("input[name=hide_sign_ins]")
    page.click("[data-testid=audit-filters] button[type=submit]")
    page.wait_for_url("**/activity/?*hide_sign_ins=1*")
    verbs = page.locator("table .verb").all_inner_texts()
    assert verbs
    assert not [v for v in verbs if v.startswith("user.sign")]
    assert "{'" not in page.locator("table").inner_text()  # changes read as JSON
    shot(page, "90-audit-trail-filtered")

    with page.expect_download() as download:
        page.click("[data-testid=export-csv]")
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text())))
    assert rows
    assert not [r for r in rows if r["verb"].startswith("user.sign")]

    page.locator("[data-testid=event-link]").first.click()
    page.wait_for_url("**/audit/events/*/")
    assert page.locator("h1").is_visible()

    page.goto("/o/acme/evidence/")
    shot(page, "91-evidence-package-form")
    with page.expect_download() as download:
        page.click("[data-testid=evidence-download]")
    with zipfile.ZipFile(download.value.path()) as archive:
        assert "summary.html" in archive.namelist()
    assert page.console_errors == []
