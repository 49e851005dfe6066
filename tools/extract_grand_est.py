"""Dev-only: build the shipped Grand Est dataset (maille/data/grand_est/) from the reference data folder.

    .venv/bin/python tools/extract_grand_est.py [/work/shared/data]

The project never reads the reference folder at run time: this script copies what the demo needs, in the
same formats as the published files (so the same importers read both), gzipped where it helps.
- COG: regions and départements in full (tiny); the current communes (``commune-actuelle``) of région 44
  plus the communes of other regions that share an EPCI with them; the EPCI with a member in région 44.
- DREES APL workbook: same sheets and header rows, rows of the 10 Grand Est départements only.
- IGN polygons: COG 2018 outlines re-keyed to COG 2024 (a commune merged since 2018 gets the union of the
  outlines of its former communes), pre-simplified, one FeatureCollection per département.
- Fallback coordinates (CSV) only for communes that have no IGN polygon at all.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import sys
from pathlib import Path

import openpyxl
import shapely
from shapely.geometry import mapping, shape

REGION = "44"
DEPARTEMENTS = ("08", "10", "51", "52", "54", "55", "57", "67", "68", "88")
# Half of the import's display tolerance: centroids stay within a few metres of the IGN outline's.
PRESIMPLIFY_DEGREES = 0.0005
OUT = Path(__file__).resolve().parent.parent / "maille" / "data" / "grand_est"


def say(message: str) -> None:
    sys.stdout.write(message + "\n")


def write_gzip_json(path: Path, data: object) -> None:
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    # mtime=0: the same input gives byte-identical files (no spurious git diffs).
    path.write_bytes(gzip.compress(text.encode(), compresslevel=9, mtime=0))


def rounded(coordinates: object) -> object:
    if isinstance(coordinates, list | tuple) and coordinates and isinstance(coordinates[0], float | int):
        return [round(coordinates[0], 6), round(coordinates[1], 6)]
    assert isinstance(coordinates, list | tuple)
    return [rounded(part) for part in coordinates]


def extract_cog(source: Path) -> tuple[list[dict], dict[str, list[str]]]:
    """Returns the région's communes and, for each, the codes whose 2018 outline makes it up."""
    (OUT / "cog").mkdir(parents=True, exist_ok=True)
    for name in ("regions", "departements"):
        write_gzip_json(
            OUT / "cog" / f"{name}.json.gz", json.loads((source / f"cog/{name}.json").read_text())
        )
    communes = [
        c for c in json.loads((source / "cog/communes.json").read_text()) if c["type"] == "commune-actuelle"
    ]
    in_region = {c["code"] for c in communes if c.get("region") == REGION}
    epcis = [
        e
        for e in json.loads((source / "cog/epci.json").read_text())
        if any(m["code"] in in_region for m in e["membres"])
    ]
    neighbours = {m["code"] for e in epcis for m in e["membres"]} - in_region
    kept = [c for c in communes if c["code"] in in_region or c["code"] in neighbours]
    write_gzip_json(OUT / "cog" / "communes.json.gz", kept)
    write_gzip_json(OUT / "cog" / "epci.json.gz", epcis)
    say(
        f"COG: {len(in_region)} communes in région {REGION} (+{len(neighbours)} neighbours), {len(epcis)} EPCI"
    )
    region_communes = [c for c in communes if c["code"] in in_region]
    parts = {c["code"]: [c["code"], *c.get("anciensCodes", [])] for c in region_communes}
    return region_communes, parts


def extract_apl(source: Path) -> None:
    (OUT / "apl").mkdir(parents=True, exist_ok=True)
    original = openpyxl.load_workbook(
        source / "drees_apl_medecins_generalistes_2022_2023.xlsx", read_only=True
    )
    reduced = openpyxl.Workbook()
    reduced.remove(reduced.active)
    for sheet in original.worksheets:
        target = reduced.create_sheet(sheet.title)
        header_seen = False
        kept = 0
        for row in sheet.iter_rows(values_only=True):
            values = list(row)
            while values and values[-1] is None:
                values.pop()
            first = values[0] if values else None
            if (
                sheet.title.startswith("APL ")
                and header_seen
                and isinstance(first, str)
                and first[:1].isdigit()
            ):
                if not first.startswith(DEPARTEMENTS):
                    continue
                kept += 1
            if first == "Code commune INSEE":
                header_seen = True
            target.append(values)
        say(f"APL: sheet {sheet.title!r}: {kept} commune rows kept")
    buffer = io.BytesIO()
    reduced.save(buffer)
    (OUT / "apl" / "drees_apl_medecins_generalistes_grand_est.xlsx").write_bytes(buffer.getvalue())


def extract_polygons(source: Path, communes: list[dict], parts: dict[str, list[str]]) -> list[str]:
    """Writes one FeatureCollection per département; returns the codes left without any outline."""
    (OUT / "geo").mkdir(parents=True, exist_ok=True)
    outlines = {}
    for path in sorted((source / "geo").glob("ign2018_communes-*.geojson")):
        for feature in json.loads(path.read_text())["features"]:
            outlines[feature["properties"]["code"]] = shape(feature["geometry"])
    without, merged = [], 0
    by_departement: dict[str, list[dict]] = {d: [] for d in DEPARTEMENTS}
    for commune in communes:
        pieces = [outlines[code] for code in parts[commune["code"]] if code in outlines]
        if not pieces:
            without.append(commune["code"])
            continue
        merged += len(pieces) > 1
        geometry = shapely.union_all(pieces) if len(pieces) > 1 else pieces[0]
        simplified = geometry.simplify(PRESIMPLIFY_DEGREES, preserve_topology=True)
        geojson = mapping(simplified)
        by_departement[commune["departement"]].append(
            {
                "type": "Feature",
                "properties": {"code": commune["code"], "nom": commune["nom"]},
                "geometry": {"type": geojson["type"], "coordinates": rounded(geojson["coordinates"])},
            }
        )
    for departement, features in by_departement.items():
        write_gzip_json(
            OUT / "geo" / f"communes-{departement}.geojson.gz",
            {"type": "FeatureCollection", "features": features},
        )
    say(
        f"Polygons: {len(communes) - len(without)} communes, {merged} merged since 2018, {len(without)} without"
    )
    return without


def extract_fallback_coordinates(source: Path, codes: list[str]) -> None:
    path = OUT / "centroids_fallback.csv"
    if not codes:
        path.unlink(missing_ok=True)
        return
    wanted = set(codes)
    with (source / "communes_france_2024.csv").open(newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if row["code_insee"] in wanted]
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["code_insee", "lat", "lon"])
        writer.writerows([row["code_insee"], row["lat"], row["lon"]] for row in rows)
    say(f"Fallback coordinates from the CSV: {len(rows)} of {len(codes)} communes")


def main() -> None:
    source = Path(sys.argv[1] if len(sys.argv) > 1 else "/work/shared/data")
    communes, parts = extract_cog(source)
    extract_apl(source)
    without = extract_polygons(source, communes, parts)
    extract_fallback_coordinates(source, without)
    total = sum(p.stat().st_size for p in OUT.rglob("*") if p.is_file())
    say(f"Dataset: {total / 1e6:.2f} MB in {OUT}")


if __name__ == "__main__":
    main()
