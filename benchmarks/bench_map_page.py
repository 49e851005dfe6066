"""Territory map of a département: GeoJSON size (raw and gzip) and time until the page is interactive.

Builds its own demo database in a temporary folder (`maille demo`), serves it with `maille serve` on a free
loopback port, and drives Debian's Chromium with Playwright: log in, open the map of Meuse (55), wait until the
map says it is drawn (`data-state="ready"`). Reference measured in the same run: the home page (no map, no GeoJSON).
Target (issue 3): GeoJSON under 1 MB, page interactive in under 2 s.
"""

from __future__ import annotations

import gzip
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from benchmarks.results import Report

CHROMIUM = os.environ.get("MAILLE_CHROMIUM", "/usr/bin/chromium")
RUNS = 7
DEPARTEMENT = "55"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"server did not answer at {url}")


def main() -> Report:
    from playwright.sync_api import sync_playwright

    maille = str(Path(sys.executable).with_name("maille"))
    with tempfile.TemporaryDirectory(prefix="maille-bench-map-") as var_dir:
        env = {**os.environ, "MAILLE_VAR_DIR": var_dir}
        env.pop("DATABASE_URL", None)
        subprocess.run([maille, "demo"], env=env, check=True, stdout=subprocess.DEVNULL)
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [maille, "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait_for(f"{base}/healthz")
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM,
                    headless=True,
                    args=[
                        "--no-sandbox",
                        "--disable-gpu",
                        "--disable-dev-shm-usage",
                        "--disable-background-networking",
                    ],
                )
                context = browser.new_context()
                page = context.new_page()
                page.goto(f"{base}/comptes/connexion/")
                page.get_by_label("Identifiant").fill("coordination55")
                page.get_by_label("Mot de passe").fill("demo-maille-2026")
                page.get_by_role("button", name="Se connecter").click()
                page.wait_for_url(f"{base}/")

                geojson = context.request.get(
                    f"{base}/territoire/departements/{DEPARTEMENT}/communes.geojson"
                )
                raw = geojson.body()
                compressed = len(gzip.compress(raw, compresslevel=6))

                map_times, home_times = [], []
                for _ in range(RUNS):
                    started = time.perf_counter()
                    page.goto(f"{base}/territoire/carte/?departement={DEPARTEMENT}")
                    page.locator('[data-state="ready"]').wait_for()
                    map_times.append(time.perf_counter() - started)
                    started = time.perf_counter()
                    page.goto(f"{base}/")
                    page.get_by_role("heading", level=1).wait_for()
                    home_times.append(time.perf_counter() - started)
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=10)

    map_median, home_median = statistics.median(map_times), statistics.median(home_times)
    report = Report(
        script="map_page",
        title="Territory map page (issue 3)",
        database="SQLite (a temporary demo database)",
        command="make bench (python -m benchmarks map_page)",
        method=(
            "A demo database in a temporary folder (`maille demo`) served by `maille serve`; Debian's Chromium "
            f"(Playwright) signs in, then opens the map of département {DEPARTEMENT} {RUNS} times and waits "
            'until it says it is drawn (`data-state="ready"`). Reference in the same run, loaded the same '
            "way: the home page."
        ),
    )
    report.add(
        f"GeoJSON of the communes of département {DEPARTEMENT}",
        f"{len(raw) / 1e6:.3f} MB raw, {compressed / 1e6:.3f} MB gzip",
        target="< 1 MB",
        met=compressed < 1e6,
        value=round(compressed / 1e6, 4),
        unit="MB",
    )
    report.add(
        f"Map page, from navigation to map drawn ({RUNS} loads)",
        f"median {map_median:.2f} s, max {max(map_times):.2f} s",
        reference=f"home page median {home_median:.2f} s → map/home {map_median / home_median:.1f}×",
        target="< 2 s",
        met=max(map_times) < 2,
        value=round(map_median, 3),
        unit="s",
    )
    return report


if __name__ == "__main__":
    main()
