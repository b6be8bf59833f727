"""The public statistics on the real beta.gouv.fr sample: every indicator computes and renders, and the figures we
can count by hand from the sample's files are the ones published."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from incubateur.transparency import statistics
from tests.utils import SAMPLE


@pytest.fixture
def imported(db):
    call_command("import_betagouv", str(SAMPLE), stdout=StringIO())
    statistics.refresh()


@pytest.mark.sample
def test_every_indicator_renders_on_the_sample(imported):
    client = Client()
    assert client.get("/statistiques/").status_code == 200
    for indicator in statistics.INDICATORS:
        for suffix in ("/", ".csv", ".json"):
            assert client.get(f"/statistiques/{indicator.key}{suffix}").status_code == 200, indicator.key


@pytest.mark.shared_sample  # the team's sample's own figures
def test_accessibility_and_fast_figures_of_the_sample(imported):
    accessibility = {row["label"]: row["values"][0] for row in statistics.published("accessibilite").payload["rows"]}
    # grep -h '^accessibility_status:' _startups/*.md | sort | uniq -c
    assert accessibility["Totalement conforme"] == 1
    assert accessibility["Partiellement conforme"] == 21
    assert accessibility["Non conforme"] == 47
    assert accessibility["Total"] == sum(value for label, value in accessibility.items() if label != "Total")
    fast = statistics.published("fast").payload["rows"]
    assert len(fast) == 17  # the editions (16 files and promotion 15, named by products only)
