"""The diagnosis and its scenarios as a committee meets them (issue 13, speed).

Builds a demo database in a temporary folder (``maille demo``: the real communes of Grand Est, the illustrative
network), then:

- Optimiser: 4 new sites for the three e-Meuse départements (52, 54, 55), MCLP at 20 minutes over every
  inhabited commune, run in this process exactly as the task worker runs it (``optimiser.execute``): first run
  and median of three. Reference in the same run, same instance: the lazy greedy heuristic.
- Pages, served by ``maille serve`` (gunicorn, as in production) and driven by Debian's Chromium:
  the diagnosis page of the Meuse until its map is drawn (``data-state="ready"``): the first load after the
  server starts in a fresh browser (cold), then the median of five loads (warm); reference, the home page.
  A manual what-if: type a commune, press "Calculer l'effet", until the figures say the scenario (seven
  communes in turn); reference, the figures fragment fetched alone.
  The committee PDF of a Meuse scenario (two envisaged sites): first request and median of three; reference,
  the same report as an HTML page.

The national MCLP target (35,000 communes, k ≤ 100: proven optimal or its gap shown) is measured by
``bench_planning_location`` (same document, "Location models").

    .venv/bin/python -m benchmarks diagnosis
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.bench_map_page import CHROMIUM, _free_port, _wait_for
from benchmarks.results import Report

ZONE = "departement:55"
EMEUSE = "departements:52,54,55"
WHAT_IF_COMMUNES = ["Damvillers", "Ligny-en-Barrois", "Vaucouleurs", "Spincourt", "Gondrecourt-le-Château",
                    "Montiers-sur-Saulx", "Dun-sur-Meuse"]  # fmt: skip
TARGET_OPTIMISER_S = 5.0
TARGET_PAGE_COLD_S, TARGET_PAGE_WARM_S = 1.5, 0.5
TARGET_WHAT_IF_MS = 100.0
TARGET_PDF_S = 10.0


def _optimise(user, zone, model: str) -> tuple[float, dict]:
    from maille.diagnosis.models import OptimisationRun
    from maille.diagnosis.optimiser import OptimisationRequest, execute, request_optimisation

    started = time.perf_counter()
    run = request_optimisation(user, zone, OptimisationRequest(model=model, k=4, minutes=20), enqueue=False)
    execute(run.pk)
    seconds = time.perf_counter() - started
    run = OptimisationRun.objects.get(pk=run.pk)
    if run.state != "done":
        raise RuntimeError(f"{model}: {run.state} {run.error}")
    return seconds, run.result


def main() -> Report:
    var_dir = tempfile.mkdtemp(prefix="maille-bench-diagnosis-")
    os.environ["MAILLE_VAR_DIR"] = var_dir
    os.environ.pop("DATABASE_URL", None)
    maille = str(Path(sys.executable).with_name("maille"))
    env = {**os.environ}
    subprocess.run([maille, "demo", "--no-logins"], env=env, check=True, stdout=subprocess.DEVNULL)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "maille.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model

    from maille.diagnosis.scenarios import scenario_create
    from maille.diagnosis.zones import zone_for

    admin = get_user_model().objects.get(username="admin")
    emeuse = zone_for(admin, EMEUSE)
    optimiser_runs = [_optimise(admin, emeuse, "mclp") for _ in range(3)]
    greedy_seconds, greedy = _optimise(admin, emeuse, "greedy")
    meuse = zone_for(admin, ZONE)
    scenario = scenario_create(admin, meuse, name="Banc d'essai : deux sites", added=["55145", "55291"])
    from maille.diagnosis.zones import zone_communes

    communes = zone_communes(admin, meuse).count()

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([maille, "serve", "--port", str(port), "--no-worker"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        _wait_for(f"{base}/healthz")
        pages = _measure_pages(base, scenario.pk)
    finally:
        server.terminate()
        server.wait(timeout=10)

    report = Report(
        script="diagnosis",
        title="Diagnosis, scenarios and committee report (issue 13)",
        database="SQLite (a temporary demo database: Grand Est communes, the illustrative network)",
        command="make bench (python -m benchmarks diagnosis)",
        method=(
            "A demo database in a temporary folder, served by `maille serve` (gunicorn) and driven by Debian's "
            "Chromium (Playwright), signed in as the Meuse coordinator. Optimiser: run in the benchmark's "
            "process as the task worker runs it. Cold: the first load after the server started, in a fresh "
            "browser; warm: the median of the next loads."
        ),
    )
    first, *_rest = optimiser_runs
    median = statistics.median(seconds for seconds, _result in optimiser_runs)
    summary = first[1]["summary"]
    proven = all(result["summary"]["status"] == "Optimal" for _seconds, result in optimiser_runs)
    report.add(
        "Optimiser: 4 new sites for the e-Meuse départements (52, 54, 55), MCLP 20 min, every inhabited commune "
        f"a candidate ({summary['candidates']:,} candidates, {summary['demand_communes']:,} communes)",
        f"first {first[0]:.2f} s, median of 3 {median:.2f} s, "
        + ("proven optimal" if proven else f"status {summary['status']}, gap {summary['gap']}")
        + f", need covered {summary['covered_need']:,.0f}",
        reference=f"lazy greedy {greedy_seconds:.2f} s, need covered {greedy['summary']['covered_need']:,.0f}",
        target=f"< {TARGET_OPTIMISER_S:.0f} s, proven optimum",
        met=first[0] < TARGET_OPTIMISER_S and proven,
        value=round(first[0], 3),
        unit="s",
    )
    cold, warm, home = pages["cold"], statistics.median(pages["warm"]), statistics.median(pages["home"])
    report.add(
        f"Diagnosis page of the Meuse ({communes} communes), from navigation to map drawn",
        f"cold {cold:.2f} s, warm median {warm:.2f} s (max {max(pages['warm']):.2f} s)",
        reference=f"home page median {home:.2f} s",
        target=f"< {TARGET_PAGE_COLD_S} s cold, < {TARGET_PAGE_WARM_S} s warm",
        met=cold < TARGET_PAGE_COLD_S and warm < TARGET_PAGE_WARM_S,
        value=round(warm, 3),
        unit="s",
    )
    first_what_if, *warm_what_if = pages["in_page"]
    fragment = statistics.median(pages["fragment"])
    warm_median = statistics.median(warm_what_if)
    report.add(
        f"Manual what-if, from the click to the new figures in the page (a commune added, {len(pages['in_page'])} "
        "in turn; timed in the page, from the click event to the new figures swapped in)",
        f"first {first_what_if:.0f} ms, then median {warm_median:.0f} ms, max {max(warm_what_if):.0f} ms; "
        f"seen by the test driver {statistics.median(pages['what_if']) * 1000:.0f} ms (median), map recoloured "
        f"{statistics.median(pages['map_update']) * 1000:.0f} ms after the click (median)",
        reference=f"figures fragment fetched alone: median {fragment * 1000:.0f} ms",
        target=f"< {TARGET_WHAT_IF_MS:.0f} ms",
        # the first what-if may meet a server process not yet warm (reported above, not hidden)
        met=max(warm_what_if) < TARGET_WHAT_IF_MS,
        value=round(warm_median, 1),
        unit="ms",
    )
    if max(warm_what_if) >= TARGET_WHAT_IF_MS:
        report.note(
            "What-if: the server answers the figures of a scenario (two diagnoses of the zone: today's and the "
            f"scenario's) in about {fragment * 1000:.0f} ms through gunicorn; the rest of the "
            f"{warm_median:.0f} ms is the browser's side of the exchange (htmx request, swap of the figures and "
            "the table, settle). Next steps: keep today's diagnosis of a zone for a few seconds between "
            "what-ifs, and swap the key figures apart from the table."
        )
    pdf_warm = statistics.median(pages["pdf"])
    report.add(
        f"Committee PDF of a Meuse scenario (figures, 2 maps of {communes} communes, 3 charts, sizing)",
        f"first {pages['pdf_cold']:.2f} s, median of 3 {pdf_warm:.2f} s, {pages['pdf_bytes'] / 1e6:.2f} MB",
        reference=f"the same report as an HTML page: median {statistics.median(pages['report']):.2f} s",
        target=f"< {TARGET_PDF_S:.0f} s",
        met=max(pages["pdf_cold"], pdf_warm) < TARGET_PDF_S,
        value=round(pdf_warm, 3),
        unit="s",
    )
    return report


def _measure_pages(base: str, scenario_id: int) -> dict:
    from playwright.sync_api import sync_playwright

    results: dict = {"warm": [], "home": [], "what_if": [], "map_update": [], "fragment": [], "pdf": [],
                     "report": []}  # fmt: skip
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking"],
        )  # fmt: skip
        context = browser.new_context()
        page = context.new_page()
        page.goto(f"{base}/comptes/connexion/")
        page.get_by_label("Identifiant").fill("coordination55")
        page.get_by_label("Mot de passe").fill("demo-maille-2026")
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_url(f"{base}/")
        url = f"{base}/territoire/diagnostic/?zone={ZONE}"
        started = time.perf_counter()
        page.goto(url)
        page.locator('[data-testid="diagnosis-map"][data-state="ready"]').wait_for()
        results["cold"] = time.perf_counter() - started
        for _ in range(5):
            started = time.perf_counter()
            page.goto(url)
            page.locator('[data-testid="diagnosis-map"][data-state="ready"]').wait_for()
            results["warm"].append(time.perf_counter() - started)
            started = time.perf_counter()
            page.goto(f"{base}/")
            page.get_by_role("heading", level=1).wait_for()
            results["home"].append(time.perf_counter() - started)
        page.goto(url)
        page.locator('[data-testid="diagnosis-map"][data-state="ready"]').wait_for()
        page.get_by_test_id("scenario").locator("summary").click()
        diagnosis_map = page.locator('[data-testid="diagnosis-map"]')
        # in the page itself: from the click (the browser's event) to the new figures in the document (htmx's
        # afterSwap, heard while it goes down to the replaced element)
        page.evaluate("""() => {
            window.__whatIf = [];
            document.addEventListener("click", (event) => {
                if (event.target.closest('[data-testid="scenario-form"] button')) { window.__clickAt = performance.now(); }
            }, true);
            document.addEventListener("htmx:afterSwap", (event) => {
                if (window.__clickAt && event.target.id === "figures") {
                    window.__whatIf.push(performance.now() - window.__clickAt);
                    window.__clickAt = null;
                }
            }, true);
        }""")
        for commune in WHAT_IF_COMMUNES:
            field = page.get_by_label("Envisager un site dans la commune (code INSEE ou nom)")
            field.fill(commune)
            started = time.perf_counter()
            page.get_by_role("button", name="Calculer l'effet").click()
            page.get_by_test_id("scenario-summary").filter(has_text=commune).wait_for()
            results["what_if"].append(time.perf_counter() - started)
            # the map recolours itself next; the user reads the figures before trying another commune
            diagnosis_map.and_(page.locator('[data-state="ready"]')).wait_for()
            results["map_update"].append(time.perf_counter() - started)
            page.wait_for_timeout(500)
            started = time.perf_counter()
            context.request.get(
                f"{base}/territoire/diagnostic/chiffres/", params={"zone": ZONE, "ajout": commune}
            )
            results["fragment"].append(time.perf_counter() - started)
        results["in_page"] = page.evaluate("() => window.__whatIf")
        report_query = f"s={scenario_id}"
        started = time.perf_counter()
        pdf = context.request.get(f"{base}/territoire/scenarios/rapport.pdf?{report_query}", timeout=120_000)
        results["pdf_cold"] = time.perf_counter() - started
        if pdf.status != 200 or pdf.headers["content-type"] != "application/pdf":
            raise RuntimeError(f"report PDF answered {pdf.status}")
        results["pdf_bytes"] = len(pdf.body())
        for _ in range(3):
            started = time.perf_counter()
            context.request.get(f"{base}/territoire/scenarios/rapport.pdf?{report_query}", timeout=120_000)
            results["pdf"].append(time.perf_counter() - started)
            started = time.perf_counter()
            context.request.get(f"{base}/territoire/scenarios/rapport/?{report_query}")
            results["report"].append(time.perf_counter() - started)
        browser.close()
    return results


if __name__ == "__main__":
    main()
