"""The OSRM table engine against a small fake OSRM server started on loopback by the test."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest

from maille.planning.errors import TravelTimeServiceError, TravelTimeServiceUnreachableError
from maille.planning.osrm import OsrmTableEngine
from maille.planning.points import Points
from maille.planning.travel import GreatCircleEngine

# The fake server's "road" is the great circle at 1.4 detour and 50 km/h.
ROAD = GreatCircleEngine(detour_factor=1.4, speed_kmh=50.0)


class FakeOsrm(BaseHTTPRequestHandler):
    requests: list[tuple[int, int]] = []
    refuse = False

    def do_GET(self):
        url = urlsplit(self.path)
        parts = url.path.split("/")
        assert parts[1:4] == ["table", "v1", "driving"]
        coordinates = [tuple(map(float, pair.split(","))) for pair in parts[4].split(";")]
        query = parse_qs(url.query)
        sources = [int(k) for k in query["sources"][0].split(";")]
        targets = [int(k) for k in query["destinations"][0].split(";")]
        assert len(coordinates) <= 10
        assert query["annotations"] == ["duration"]
        type(self).requests.append((len(sources), len(targets)))
        if type(self).refuse:
            body, status = {"code": "TooBig", "message": "Too many table coordinates"}, 400
        else:
            lon = np.array([c[0] for c in coordinates])
            lat = np.array([c[1] for c in coordinates])
            points = Points(lat, lon)
            minutes = ROAD.minutes_between(points.subset(sources), points.subset(targets))
            durations = (minutes * 60).tolist()
            durations[0][0] = None  # OSRM gives null for an unroutable pair
            body, status = {"code": "Ok", "durations": durations}, 200
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def osrm_url():
    FakeOsrm.requests = []
    FakeOsrm.refuse = False
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeOsrm)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_chunked_requests_rebuild_the_road_matrix(osrm_url, lorraine, tmp_path):
    communes = lorraine.points.subset(np.arange(0, 60))
    engine = OsrmTableEngine(osrm_url, max_coordinates=10, cache_dir=tmp_path)
    times = engine.travel_times(communes, communes, cutoff_minutes=25)
    dense = ROAD.minutes_between(communes, communes)
    expected = dense <= 25
    got = times.to_csr().toarray()
    present = np.zeros_like(expected)
    present[times.origin_of_each_pair(), times.indices] = True
    # every first pair of a request is unroutable (null): those are absent, all others match
    assert (present <= expected).all()
    assert 0 < int(expected.sum() - present.sum()) <= len(FakeOsrm.requests)
    assert np.allclose(got[present], dense[present], rtol=1e-9)
    assert len(FakeOsrm.requests) > 1
    assert all(s <= 5 and t <= 5 for s, t in FakeOsrm.requests)


def test_cache_answers_the_second_time_without_requests(osrm_url, lorraine, tmp_path):
    communes = lorraine.points.subset(np.arange(0, 30))
    first = OsrmTableEngine(osrm_url, max_coordinates=10, cache_dir=tmp_path).travel_times(
        communes, communes, 20
    )
    made = len(FakeOsrm.requests)
    second_engine = OsrmTableEngine(osrm_url, max_coordinates=10, cache_dir=tmp_path)
    second = second_engine.travel_times(communes, communes, 20)
    assert made > 0
    assert len(FakeOsrm.requests) == made
    assert second_engine.requests_made_ == 0
    assert np.array_equal(first.minutes, second.minutes)
    assert np.array_equal(first.indices, second.indices)


def test_far_apart_blocks_are_not_requested(osrm_url):
    # Verdun and Nice: nothing between them is within 20 minutes, so only same-town blocks are asked.
    points = Points([49.16, 43.70], [5.38, 7.27])
    engine = OsrmTableEngine(osrm_url, max_coordinates=2)
    engine.travel_times(points, points, cutoff_minutes=20)
    assert FakeOsrm.requests == [(1, 1), (1, 1)]


def test_unreachable_server_is_a_clear_error():
    url = f"http://127.0.0.1:{closed_port()}"
    engine = OsrmTableEngine(url, timeout_seconds=2)
    with pytest.raises(TravelTimeServiceUnreachableError) as error:
        engine.travel_times(Points([49.16], [5.38]), Points([49.16], [5.38]), 20)
    assert error.value.rows == [url]


def test_unreachable_server_falls_back_when_asked():
    engine = OsrmTableEngine(
        f"http://127.0.0.1:{closed_port()}", timeout_seconds=2, fallback=GreatCircleEngine()
    )
    points = Points([49.16, 49.20], [5.38, 5.38])
    times = engine.travel_times(points, points, 20)
    assert engine.used_fallback_
    assert times.nnz == 4


def test_server_refusal_is_reported_not_hidden_by_the_fallback(osrm_url):
    FakeOsrm.refuse = True
    engine = OsrmTableEngine(osrm_url, fallback=GreatCircleEngine())
    with pytest.raises(TravelTimeServiceError, match="TooBig"):
        engine.travel_times(Points([49.16], [5.38]), Points([49.16], [5.38]), 20)
    assert not engine.used_fallback_
