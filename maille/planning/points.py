"""Points on the map (communes, sites) and their validation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from maille.planning.errors import InvalidInputError

EARTH_RADIUS_KM = 6371.0088

# Bounding boxes (lat_min, lat_max, lon_min, lon_max) of metropolitan France and the overseas
# départements and collectivities: a point outside all of them is almost surely a swapped or wrong coordinate.
FRANCE_BOXES: tuple[tuple[float, float, float, float], ...] = (
    (41.2, 51.2, -5.3, 9.7),  # metropolitan France and Corsica
    (15.8, 16.6, -61.9, -60.9),  # Guadeloupe
    (17.8, 18.2, -63.2, -62.7),  # Saint-Martin, Saint-Barthélemy
    (14.3, 14.9, -61.3, -60.7),  # Martinique
    (2.0, 6.0, -54.7, -51.5),  # Guyane
    (-21.5, -20.8, 55.1, 56.0),  # La Réunion
    (-13.1, -12.5, 44.9, 45.4),  # Mayotte
    (46.7, 47.2, -56.5, -56.0),  # Saint-Pierre-et-Miquelon
)


def outside_france(latitude: NDArray[np.float64], longitude: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Mask of the points that are NaN or fall outside every French bounding box."""
    inside = np.zeros(latitude.shape, dtype=bool)
    for lat_min, lat_max, lon_min, lon_max in FRANCE_BOXES:
        inside |= (
            (latitude >= lat_min) & (latitude <= lat_max) & (longitude >= lon_min) & (longitude <= lon_max)
        )
    return ~inside


@dataclass(frozen=True)
class Points:
    """Named points in WGS84 degrees, validated at construction.

    Parameters
    ----------
    latitude, longitude : array_like
        Coordinates in decimal degrees.
    labels : sequence of str, optional
        Names used in error messages (INSEE codes, site ids); positions are used when omitted.
    check_france : bool, default True
        Reject points outside the French territories (a frequent sign of swapped coordinates).

    Examples
    --------
    >>> points = Points([49.16, 48.69], [5.38, 6.18], labels=["55545", "54395"])
    >>> len(points)
    2
    >>> Points([float("nan")], [5.0], labels=["55001"])
    Traceback (most recent call last):
    ...
    maille.planning.errors.InvalidInputError: coordinates missing or outside France: 55001
    """

    latitude: NDArray[np.float64]
    longitude: NDArray[np.float64]
    labels: tuple[str, ...] = field(default=())
    check_france: bool = True

    def __init__(
        self,
        latitude: ArrayLike,
        longitude: ArrayLike,
        labels: Sequence[str] | None = None,
        *,
        check_france: bool = True,
    ) -> None:
        lat = np.ascontiguousarray(latitude, dtype=np.float64).reshape(-1)
        lon = np.ascontiguousarray(longitude, dtype=np.float64).reshape(-1)
        if lat.shape != lon.shape:
            raise InvalidInputError(f"{lat.size} latitudes for {lon.size} longitudes")
        names = tuple(str(label) for label in labels) if labels is not None else ()
        if names and len(names) != lat.size:
            raise InvalidInputError(f"{len(names)} labels for {lat.size} points")
        if check_france:
            bad = outside_france(lat, lon)
        else:
            bad = ~(np.isfinite(lat) & np.isfinite(lon) & (np.abs(lat) <= 90) & (np.abs(lon) <= 180))
        if bad.any():
            where = np.flatnonzero(bad)
            raise InvalidInputError(
                "coordinates missing or outside France",
                [names[i] for i in where] if names else where.tolist(),
            )
        object.__setattr__(self, "latitude", lat)
        object.__setattr__(self, "longitude", lon)
        object.__setattr__(self, "labels", names)
        object.__setattr__(self, "check_france", check_france)

    def __len__(self) -> int:
        return int(self.latitude.size)

    def label(self, position: int) -> str:
        """The label of one point, or its position when the points have no labels."""
        return self.labels[position] if self.labels else str(position)

    def subset(self, positions: ArrayLike) -> Points:
        """The points at the given positions, labels kept."""
        where = np.asarray(positions, dtype=np.int64)
        names = [self.labels[i] for i in where] if self.labels else None
        return Points(self.latitude[where], self.longitude[where], names, check_france=False)

    def unit_vectors(self) -> NDArray[np.float64]:
        """Cartesian coordinates on a sphere of the Earth's radius, in km (for a k-d tree on chords)."""
        lat = np.radians(self.latitude)
        lon = np.radians(self.longitude)
        cos_lat = np.cos(lat)
        return EARTH_RADIUS_KM * np.column_stack((cos_lat * np.cos(lon), cos_lat * np.sin(lon), np.sin(lat)))
