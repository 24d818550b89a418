"""Show a built map in the page with streamlit-folium, redrawing only what a filter changes.

streamlit-folium keys its component on a hash of the map's script: when any layer changes, the
component iframe is thrown away and a new one loads Leaflet and its plugins, parses the whole
map (boundaries included) and draws it again, about a second per filter change at a million
records. A :class:`app.maps.folium_map.RecordMap` with an ``overlay`` (the aggregated cell layer and
its
legend) is therefore sent in two parts: the base map (boundaries; the same on every rerun, so
the iframe and the map in it stay) and the overlay as streamlit-folium's ``feature_group_to_add``
with the layer control, which the iframe swaps in place. Maps without an overlay are sent whole.

Panning or zooming never reruns the script (``returned_objects=[]`` unless the caller asks for
something back).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import folium
from streamlit_folium import st_folium

from app.maps.folium_map import RecordMap


def split_overlay(built: RecordMap) -> tuple[folium.Map, folium.FeatureGroup | None]:
    """Detach ``built.overlay`` and the layer control from the map (in place); both are returned.

    After this the map is the base map only; :func:`show_map` sends the overlay apart.

    Examples
    --------
    >>> m = folium.Map(tiles=None)
    >>> g = folium.FeatureGroup(name="cells").add_to(m)
    >>> _ = folium.LayerControl().add_to(m)
    >>> base, overlay = split_overlay(RecordMap(fmap=m, overlay=g))
    >>> overlay is g, len(base._children)
    (True, 0)
    """
    fmap, overlay = built.fmap, built.overlay
    if overlay is None:
        return fmap, None
    children = fmap._children
    for name in [
        n for n, c in children.items() if c is overlay or isinstance(c, folium.LayerControl)
    ]:
        del children[name]
    return fmap, overlay


def show_map(
    built: RecordMap,
    *,
    key: str,
    height: int = 640,
    returned_objects: Sequence[str] = (),
) -> Any:
    """Draw ``built`` with ``st_folium``; its overlay (if any) is sent as a swappable layer.

    ``built.fmap`` is changed (the overlay and layer control are moved); build a new map for
    anything else, such as an export.

    Returns
    -------
    dict
        What ``st_folium`` returns (only ``returned_objects``).
    """
    fmap, overlay = split_overlay(built)
    if overlay is None:
        return st_folium(
            fmap,
            height=height,
            use_container_width=True,
            returned_objects=list(returned_objects),
            key=key,
        )
    return st_folium(
        fmap,
        height=height,
        use_container_width=True,
        returned_objects=list(returned_objects),
        key=key,
        feature_group_to_add=overlay,
        layer_control=folium.LayerControl(collapsed=False),
    )
