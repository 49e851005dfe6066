"""Travel time from a patient to sites: a great-circle estimate until the planning library provides
road travel times. Replace ``travel_minutes`` (same signature) to plug a better model in."""

from __future__ import annotations

import numpy as np

EARTH_RADIUS_KM = 6371.0
ROAD_DETOUR_FACTOR = 1.3  # roads are longer than the straight line
RURAL_SPEED_KMH = 60.0


def great_circle_km(lat: float, lon: float, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    """Haversine distance from one point to many, in kilometres."""
    phi1, phi2 = np.radians(lat), np.radians(np.asarray(lats, dtype=float))
    dphi = phi2 - phi1
    dlmb = np.radians(np.asarray(lons, dtype=float) - lon)
    a = np.sin(dphi / 2) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def travel_minutes(lat: float, lon: float, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    """Estimated driving minutes from one origin to many sites."""
    return great_circle_km(lat, lon, lats, lons) * ROAD_DETOUR_FACTOR / RURAL_SPEED_KMH * 60.0
