"""The maturity dashboard: the scale, each site's level from its assessments and label, the most frequent gaps
and their trend, the scope, the CSV exports, and a number of queries that does not grow with the sites."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from maille.accounts.models import Role
from maille.quality.labels import label_decide, label_request
from maille.quality.maturity import maturity_level, territory_maturity
from maille.quality.models import LabelStatus
from maille.quality.selectors import quality_sites_visible_to
from tests.factories import SiteFactory, user_with_role
from tests.quality.helpers import closed_assessment

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("score", "mandatory_met", "label", "level"),
    [(None, False, False, 0), (Decimal(40), False, False, 1), (Decimal(60), False, False, 2),
     (Decimal(59.9), True, False, 3), (Decimal(95), True, True, 4), (None, False, True, 4)],
)  # fmt: skip
def test_the_scale(score, mandatory_met, label, level):
    assert maturity_level(score=score, mandatory_met=mandatory_met, label_in_force=label) == level


def _site(code: str, departement: str = "55"):
    return SiteFactory(
        host_organisation__commune__code=code, host_organisation__commune__departement__code=departement
    )


@pytest.fixture
def territory():
    """Five Meuse sites, one per level, and one Haute-Marne site."""
    sites = {name: _site(code) for name, code in
             (("new", "55001"), ("weak", "55002"), ("progressing", "55003"), ("compliant", "55004"), ("labelled", "55005"))}  # fmt: skip
    weak_gaps = ("ORG-01", "ORG-02", "LIEU-01", "LIEU-02", "LIEU-03", "LIEU-05", "EQP-01", "EQP-02", "EQP-03", "PERS-01",
                 "PERS-02", "PAT-01", "PAT-02", "PAT-03")  # fmt: skip
    closed_assessment(sites["weak"], not_met=weak_gaps)
    closed_assessment(sites["progressing"], not_met=("LIEU-02",))
    closed_assessment(sites["compliant"], not_met=("ACC-02",))
    staff = user_with_role(Role.SITE_STAFF, site=sites["labelled"])
    assessment = closed_assessment(sites["labelled"], staff=staff, not_met=("ACC-02",))
    label = label_request(staff, site=sites["labelled"], assessment_id=assessment.pk)
    label_decide(
        user_with_role(Role.COORDINATOR, departement_id="55"), label=label, status=LabelStatus.GRANTED
    )
    sites["elsewhere"] = _site("52121", "52")
    closed_assessment(sites["elsewhere"], not_met=("LIEU-02",))
    return sites


def test_each_site_gets_its_level_and_the_counts_add_up(territory):
    coordinator = user_with_role(Role.COORDINATOR, departement_id="55")
    dashboard = territory_maturity(quality_sites_visible_to(coordinator))
    levels = {site.site_id: site.level for site in dashboard.sites}
    assert levels == {
        territory["new"].pk: 0,
        territory["weak"].pk: 1,
        territory["progressing"].pk: 2,
        territory["compliant"].pk: 3,
        territory["labelled"].pk: 4,
    }  # the Haute-Marne site is out of the coordinator's scope
    assert [count for _level, _label, count in dashboard.level_counts] == [1, 1, 1, 1, 1]
    assert dashboard.assessed == 4


def test_the_most_frequent_gaps_come_first_with_their_share_and_trend(territory):
    admin = user_with_role(Role.PLATFORM_ADMIN)
    dashboard = territory_maturity(quality_sites_visible_to(admin))
    first = dashboard.gaps[0]
    # LIEU-02: weak, progressing, elsewhere; ACC-02: compliant, labelled (and weak's? no: weak met it)
    assert (first.code, first.sites, first.mandatory) == ("LIEU-02", 3, True)
    assert first.share == round(3 / 5, 3)
    assert dashboard.gaps[1].code == "ACC-02"
    assert dashboard.gaps[1].mandatory is False
    # every assessment was closed this quarter: the trend's last point is the same share; older quarters empty
    assert first.trend[-1] == round(3 / 5, 3)
    assert first.trend[:-1] == [None] * 7
    assert dashboard.quarter_assessments[-1] == 5
    assert len(dashboard.quarters) == 8


def test_the_number_of_queries_does_not_grow_with_the_sites(territory, django_assert_max_num_queries):
    sites = quality_sites_visible_to(user_with_role(Role.PLATFORM_ADMIN))
    with django_assert_max_num_queries(12) as few:
        territory_maturity(sites)
    for code in ("55010", "55011", "55012"):
        closed_assessment(_site(code), not_met=("LIEU-02",))
    with django_assert_max_num_queries(12) as more:
        territory_maturity(sites)
    assert len(few.captured_queries) == len(more.captured_queries)


def test_the_page_and_its_csv_for_a_coordinator(client, territory):
    coordinator = user_with_role(Role.COORDINATOR, departement_id="55")
    client.force_login(coordinator)
    page = client.get(reverse("quality:maturity")).content.decode()
    assert page.count('data-testid="maturity-site"') == 5
    assert territory["elsewhere"].name not in page
    response = client.get(reverse("quality:maturity_csv"))
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:4] == ["site", "commune", "département", "niveau"]
    by_name = {row[0]: row for row in rows[1:]}
    assert by_name[territory["labelled"].name][3] == "4"
    assert by_name[territory["new"].name][3:6] == ["0", "Non évalué", ""]
    gaps = list(csv.reader(io.StringIO(client.get(reverse("quality:maturity_gaps_csv")).content.decode("utf-8-sig")),
                           delimiter=";"))  # fmt: skip
    # in the Meuse: LIEU-02 (weak, progressing) and ACC-02 (compliant, labelled), two sites each
    assert {row[0]: row[3] for row in gaps[1:3]} == {"ACC-02": "2", "LIEU-02": "2"}


def test_a_departement_filter_and_the_roles_that_see_the_dashboard(client, territory):
    admin = user_with_role(Role.PLATFORM_ADMIN)
    client.force_login(admin)
    page = client.get(reverse("quality:maturity"), {"departement": "52"}).content.decode()
    assert page.count('data-testid="maturity-site"') == 1
    page = client.get(reverse("quality:maturity"), {"departement": "99"}).content.decode()  # unknown: all
    assert page.count('data-testid="maturity-site"') == 6
    client.force_login(user_with_role(Role.SITE_STAFF, site=territory["weak"]))
    assert client.get(reverse("quality:maturity")).status_code == 403
