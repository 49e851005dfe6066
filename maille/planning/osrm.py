"""Travel times from an OSRM server's ``table`` service, chunked, cached on disk, with a fallback.

Only origin/destination blocks that could be within the cut-off at ``max_speed_kmh`` as the crow flies are
requested, so a regional matrix needs a few hundred requests rather than the full square.
"""

from __future__ import annotations

import hashlib
import json
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from maille.planning.errors import TravelTimeServiceError, TravelTimeServiceUnreachableError
from maille.planning.points import Points
from maille.planning.travel import GreatCircleEngine, TravelTimeEngine, TravelTimes


@dataclass
class OsrmTableEngine:
    """Road travel times from OSRM (``/table/v1/{profile}``), within a cut-off.

    Parameters
    ----------
    base_url : str
        The server, e.g. ``http://127.0.0.1:5000`` (``MAILLE_OSRM_URL`` in the settings).
    profile : str, default "driving"
    max_coordinates : int, default 100
        Coordinates per request (OSRM's default ``--max-table-size`` is 100).
    timeout_seconds : float, default 10
    cache_dir : path, optional
        Where finished matrices are kept (one ``.npz`` per set of points, cut-off and server).
    max_speed_kmh : float, default 130
        Pairs farther apart than this speed allows within the cut-off are not requested.
    fallback : TravelTimeEngine, optional
        Used when the server cannot be reached (``used_fallback_`` then becomes True); without one, a
        ``TravelTimeServiceError`` names the server.

    Examples
    --------
    >>> engine = OsrmTableEngine("http://127.0.0.1:9", timeout_seconds=0.5, fallback=GreatCircleEngine())
    >>> towns = Points([49.16, 48.69], [5.38, 6.18])
    >>> engine.travel_times(towns, towns, cutoff_minutes=30).nnz, engine.used_fallback_
    (2, True)
    """

    base_url: str
    profile: str = "driving"
    max_coordinates: int = 100
    timeout_seconds: float = 10.0
    cache_dir: Path | None = None
    max_speed_kmh: float = 130.0
    fallback: TravelTimeEngine | None = None
    used_fallback_: bool = field(default=False, init=False)
    requests_made_: int = field(default=0, init=False)

    def _cache_path(self, origins: Points, destinations: Points, cutoff_minutes: float) -> Path | None:
        if self.cache_dir is None:
            return None
        digest = hashlib.sha256()
        for array in (origins.latitude, origins.longitude, destinations.latitude, destinations.longitude):
            digest.update(np.round(array, 6).tobytes())
        digest.update(f"{self.base_url}|{self.profile}|{cutoff_minutes!r}".encode())
        return Path(self.cache_dir) / f"osrm-{digest.hexdigest()[:32]}.npz"

    def travel_times(self, origins: Points, destinations: Points, cutoff_minutes: float) -> TravelTimes:
        """Sparse road minutes within the cut-off."""
        self.used_fallback_ = False
        cache = self._cache_path(origins, destinations, cutoff_minutes)
        if cache is not None and cache.exists():
            with np.load(cache) as stored:
                return TravelTimes(
                    stored["indptr"],
                    stored["indices"],
                    stored["minutes"],
                    (len(origins), len(destinations)),
                    float(cutoff_minutes),
                )
        try:
            times = self._query(origins, destinations, cutoff_minutes)
        except TravelTimeServiceUnreachableError:
            if self.fallback is None:
                raise
            self.used_fallback_ = True
            return self.fallback.travel_times(origins, destinations, cutoff_minutes)
        if cache is not None:
            cache.parent.mkdir(parents=True, exist_ok=True)
            np.savez(cache, indptr=times.indptr, indices=times.indices, minutes=times.minutes)
        return times

    def _query(self, origins: Points, destinations: Points, cutoff_minutes: float) -> TravelTimes:
        reachable = GreatCircleEngine(detour_factor=1.0, speed_kmh=self.max_speed_kmh).travel_times(
            origins, destinations, cutoff_minutes
        )
        half = max(self.max_coordinates // 2, 1)
        found_origins: list[NDArray[np.int64]] = []
        found_destinations: list[NDArray[np.int64]] = []
        found_minutes: list[NDArray[np.float64]] = []
        for start in range(0, len(origins), half):
            block = np.arange(start, min(start + half, len(origins)))
            span = reachable.indices[reachable.indptr[block[0]] : reachable.indptr[block[-1] + 1]]
            wanted = np.unique(span).astype(np.int64)
            for d_start in range(0, wanted.size, half):
                chosen = wanted[d_start : d_start + half]
                minutes = self._table(origins, block, destinations, chosen)
                rows, cols = np.nonzero(np.isfinite(minutes) & (minutes <= cutoff_minutes))
                found_origins.append(block[rows])
                found_destinations.append(chosen[cols])
                found_minutes.append(minutes[rows, cols])
        if not found_minutes:  # nothing within reach at all
            found_origins, found_destinations = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
            found_minutes = [np.zeros(0)]
        return TravelTimes.from_pairs(
            np.concatenate(found_origins),
            np.concatenate(found_destinations),
            np.concatenate(found_minutes),
            (len(origins), len(destinations)),
            cutoff_minutes,
        )

    def _table(
        self, origins: Points, rows: NDArray[np.int64], destinations: Points, cols: NDArray[np.int64]
    ) -> NDArray[np.float64]:
        coordinates = ";".join(
            [f"{origins.longitude[i]:.6f},{origins.latitude[i]:.6f}" for i in rows]
            + [f"{destinations.longitude[j]:.6f},{destinations.latitude[j]:.6f}" for j in cols]
        )
        sources = ";".join(str(k) for k in range(rows.size))
        targets = ";".join(str(rows.size + k) for k in range(cols.size))
        url = (
            f"{self.base_url.rstrip('/')}/table/v1/{self.profile}/{coordinates}"
            f"?sources={sources}&destinations={targets}&annotations=duration"
        )
        self.requests_made_ += 1
        try:
            with urllib.request.urlopen(url, timeout=self.timeout_seconds) as response:
                answer = json.loads(response.read())
        except urllib.error.HTTPError as error:
            try:
                answer = json.loads(error.read())
            except ValueError:
                raise TravelTimeServiceError(f"OSRM answered HTTP {error.code}", [self.base_url]) from error
        except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as error:
            raise TravelTimeServiceUnreachableError("OSRM server unreachable", [self.base_url]) from error
        if answer.get("code") != "Ok":
            raise TravelTimeServiceError(
                f"OSRM refused the request ({answer.get('code')}: {answer.get('message', '')})",
                [self.base_url],
            )
        seconds = np.array(
            [[np.nan if value is None else value for value in row] for row in answer["durations"]],
            dtype=np.float64,
        )
        result: NDArray[np.float64] = seconds / 60.0
        return result
