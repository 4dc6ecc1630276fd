"""Which Brussels commune a shared WhatsApp location is probably in.

Loket has no commune boundaries, only the communes (content/communes.yml): a point is
given the commune whose centre (its town hall, roughly) is nearest, if it lies within
the Region's bounding box and near enough to a centre. Near a border that can be the
neighbour, so the answer always says "probably".
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import yaml

from bot.settings import ROOT, Language

COMMUNES_FILE = ROOT / "content" / "communes.yml"
# The Brussels-Capital Region lies within these (degrees, WGS 84).
REGION_LATITUDES = (50.763, 50.914)
REGION_LONGITUDES = (4.244, 4.482)
# Farther than this from every centre is outside the Region (Uccle, the widest commune,
# reaches about 4 km from its centre).
MAX_KM_FROM_CENTRE = 4.5
_EARTH_RADIUS_KM = 6371.0

# Approximate centres (town halls) by the ids of content/communes.yml.
CENTRES: dict[str, tuple[float, float]] = {
    "bruxelles": (50.8467, 4.3525),
    "schaerbeek": (50.8676, 4.3737),
    "etterbeek": (50.8336, 4.3890),
    "ixelles": (50.8275, 4.3697),
    "saint-gilles": (50.8265, 4.3452),
    "anderlecht": (50.8365, 4.3080),
    "molenbeek-saint-jean": (50.8550, 4.3300),
    "koekelberg": (50.8625, 4.3260),
    "berchem-sainte-agathe": (50.8650, 4.2930),
    "ganshoren": (50.8710, 4.3100),
    "jette": (50.8770, 4.3280),
    "evere": (50.8700, 4.4010),
    "woluwe-saint-pierre": (50.8320, 4.4400),
    "auderghem": (50.8150, 4.4330),
    "watermael-boitsfort": (50.7990, 4.4160),
    "uccle": (50.8020, 4.3360),
    "forest": (50.8110, 4.3180),
    "woluwe-saint-lambert": (50.8430, 4.4290),
    "saint-josse-ten-noode": (50.8530, 4.3740),
}


def commune_near(latitude: float, longitude: float, language: Language) -> str | None:
    """The name (in `language`) of the commune the point is probably in; None outside."""
    inside_box = (
        REGION_LATITUDES[0] <= latitude <= REGION_LATITUDES[1]
        and REGION_LONGITUDES[0] <= longitude <= REGION_LONGITUDES[1]
    )
    if not inside_box:
        return None
    distance, nearest = min(
        (_km(latitude, longitude, *centre), commune) for commune, centre in CENTRES.items()
    )
    if distance > MAX_KM_FROM_CENTRE:
        return None
    return str(_names()[nearest][language])


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi, d_lambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * _EARTH_RADIUS_KM * math.asin(math.sqrt(a))


@lru_cache(maxsize=1)
def _names() -> dict[str, dict[str, Any]]:
    communes = yaml.safe_load(COMMUNES_FILE.read_text(encoding="utf-8"))
    return {commune["id"]: commune["name"] for commune in communes}
