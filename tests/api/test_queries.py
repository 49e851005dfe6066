"""A constant number of SQL queries per list page, whatever its size."""

from __future__ import annotations

# Session + user + role grants + COUNT + page + prefetches (rooms, equipment, hours, uses, roles, sites…).
MAX_QUERIES = 12


LIST_PATHS = [
    "/api/v1/communes",
    "/api/v1/departements",
    "/api/v1/epci",
    "/api/v1/cpts",
    "/api/v1/organisations",
    "/api/v1/sites",
    "/api/v1/professionals",
    "/api/v1/uses",
    "/api/v1/equipment-types",
]


def test_list_queries_do_not_grow_with_page_size(client, crowded, django_assert_max_num_queries):
    # One test over every list: building the crowded directory once keeps the suite fast.
    client.force_login(crowded.coordinator_55)
    client.get(
        LIST_PATHS[0]
    )  # fills the per-process caches (the caller's grants): then only the size may vary
    for path in LIST_PATHS:
        counts = {}
        for page_size in (1, 200):
            with django_assert_max_num_queries(MAX_QUERIES) as captured:
                response = client.get(f"{path}?page_size={page_size}")
            assert response.status_code == 200, path
            counts[page_size] = len(captured.captured_queries)
        if path in {"/api/v1/communes", "/api/v1/sites", "/api/v1/professionals", "/api/v1/organisations"}:
            assert len(response.json()["results"]) == 200, path
        assert counts[1] == counts[200], (path, counts)
