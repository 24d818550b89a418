"""Light folium elements for large map layers: GeoJSON sent as prepared text, styled in the browser.

``folium.GeoJson`` re-serialises its data, calls the Python style function once per feature,
builds a per-feature style table and walks every coordinate for the bounds each time the map is
rendered; streamlit-folium renders a map three times per script run, so at a few thousand cells
that alone took most of a second. The elements here do that work once:

* :class:`TextGeoJson` takes the GeoJSON already serialised (:func:`geojson_text`, compact and
  safe inside ``<script>``) with its bounds, and styles features in the browser: one constant
  style, or a fill colour looked up from a numeric property against class upper bounds; its
  tooltip is a small table built from the feature's properties (the caller escapes text
  properties; aliases are escaped here).
* :class:`LayerLegend` is a legend drawn as a Leaflet control that is shown and hidden with the
  layer it belongs to (it is a child of that layer's feature group), so it is replaced together
  with the layer when streamlit-folium swaps a feature group without reloading the map.

The JavaScript templates are compiled once, at import. Pure folium (no Streamlit).
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from typing import Any

from branca.element import Element, Figure, MacroElement
from folium.template import Template


def geojson_text(obj: Any) -> str:
    """Compact JSON of ``obj``, safe to embed in a ``<script>`` (``<``, ``>``, ``&`` escaped).

    Examples
    --------
    >>> geojson_text({"name": "</script>", "n": [1, 2.5]})
    '{"name":"\\\\u003c/script\\\\u003e","n":[1,2.5]}'
    """
    text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def geojson_bounds(obj: Mapping[str, Any]) -> list[list[float | None]]:
    """``[[south, west], [north, east]]`` of a FeatureCollection of (Multi)Polygons/Points.

    Examples
    --------
    >>> fc = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},
    ...     "geometry": {"type": "Polygon", "coordinates": [[[0, 1], [2, 1], [2, 3], [0, 1]]]}}]}
    >>> geojson_bounds(fc)
    [[1.0, 0.0], [3.0, 2.0]]
    """
    lons: list[float] = []
    lats: list[float] = []

    def walk(coords: Any) -> None:
        if coords and isinstance(coords[0], int | float):
            lons.append(float(coords[0]))
            lats.append(float(coords[1]))
            return
        for part in coords:
            walk(part)

    for feature in obj.get("features", []):
        geometry = feature.get("geometry") or {}
        walk(geometry.get("coordinates") or [])
    if not lons:
        return [[None, None], [None, None]]
    return [[min(lats), min(lons)], [max(lats), max(lons)]]


class _RawScript(Element):
    """Script text added to the map's figure as it is.

    branca wraps each rendered script in ``Element(text)``, which compiles the text as a Jinja
    template: for a layer of several hundred kilobytes that alone took a tenth of a second per
    render (and streamlit-folium renders a map more than once per rerun).
    """

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def render(self, **kwargs: Any) -> str:
        return self.text


class _ScriptOnly(MacroElement):
    """A macro element whose only output is its ``script`` macro, added without recompiling."""

    def render(self, **kwargs: Any) -> None:  # type: ignore[override]  # as MacroElement
        figure = self.get_root()
        if not isinstance(figure, Figure):
            raise TypeError(f"{type(self).__name__} must be on a map to be rendered")
        script = self._template.module.__dict__["script"]
        figure.script.add_child(_RawScript(script(self, kwargs)), name=self.get_name())
        for child in self._children.values():
            child.render(**kwargs)


class TextGeoJson(_ScriptOnly):
    """A GeoJSON layer from prepared text, styled and labelled in the browser.

    Parameters
    ----------
    text : str
        The FeatureCollection as :func:`geojson_text` wrote it.
    bounds : list
        ``[[south, west], [north, east]]`` of the data (:func:`geojson_bounds`).
    style : mapping
        Leaflet path options of every feature (e.g. ``{"color": "#333", "weight": 1}``).
    colour_field : str, optional
        A numeric property; when given, ``fillColor`` and ``color`` of a feature are the entry
        of ``colours`` of the first class upper bound in ``breaks`` that is >= the value (the
        last colour above every bound).
    breaks, colours : sequence
        Class upper bounds (ascending) and their colours (same length).
    tooltip_fields, tooltip_aliases : sequence of str
        Properties shown in the tooltip and their labels (labels are escaped here; text
        property values must already be escaped).
    n_features : int
        Number of features (reported, not used to draw).

    Examples
    --------
    >>> import folium
    >>> fc = {"type": "FeatureCollection", "features": []}
    >>> layer = TextGeoJson(geojson_text(fc), bounds=geojson_bounds(fc), style={"weight": 1})
    >>> m = folium.Map(tiles=None)
    >>> _ = layer.add_to(m)
    >>> "L.geoJson(" in m.get_root().render()
    True
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.geoJson({{ this.text }}, {
            style: function(feature) {
                var s = Object.assign({}, {{ this.style_js }});
                {%- if this.colour_field %}
                var v = Number(feature.properties[{{ this.colour_field_js }}]);
                var b = {{ this.breaks_js }}, c = {{ this.colours_js }};
                var i = 0;
                while (i < b.length - 1 && v > b[i]) { i += 1; }
                s.fillColor = c[i]; s.color = c[i];
                {%- endif %}
                return s;
            }
        });
        {%- if this.tooltip_fields %}
        {{ this.get_name() }}.bindTooltip(function(layer) {
            var fields = {{ this.tooltip_fields_js }}, aliases = {{ this.tooltip_aliases_js }};
            var p = layer.feature.properties, rows = "";
            for (var i = 0; i < fields.length; i++) {
                var v = p[fields[i]];
                rows += "<tr><th>" + aliases[i] + "</th><td>"
                    + (v === null || v === undefined ? "" : v) + "</td></tr>";
            }
            return "<table>" + rows + "</table>";
        }, {sticky: true});
        {%- endif %}
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(
        self,
        text: str,
        *,
        bounds: list[list[float | None]],
        style: Mapping[str, Any],
        colour_field: str | None = None,
        breaks: Sequence[int] = (),
        colours: Sequence[str] = (),
        tooltip_fields: Sequence[str] = (),
        tooltip_aliases: Sequence[str] | None = None,
        n_features: int = 0,
    ) -> None:
        super().__init__()
        self._name = "TextGeoJson"
        aliases = list(tooltip_aliases) if tooltip_aliases is not None else list(tooltip_fields)
        if len(aliases) != len(tooltip_fields):
            raise ValueError("tooltip_aliases must match tooltip_fields")
        if len(breaks) != len(colours):
            raise ValueError("breaks and colours must have the same length")
        self.text = text
        self.bounds = bounds
        self.n_features = n_features
        self.style_js = geojson_text(dict(style))
        self.colour_field = colour_field
        self.colour_field_js = geojson_text(colour_field)
        self.breaks_js = geojson_text([int(b) for b in breaks])
        self.colours_js = geojson_text([str(c) for c in colours])
        self.tooltip_fields = list(tooltip_fields)
        self.tooltip_fields_js = geojson_text(self.tooltip_fields)
        self.tooltip_aliases_js = geojson_text([html.escape(a) for a in aliases])

    def _get_self_bounds(self) -> list[list[float | None]]:
        return self.bounds


class LayerLegend(_ScriptOnly):
    """A legend (trusted HTML) shown as a Leaflet control while its parent layer is on the map.

    Add it to the ``folium.FeatureGroup`` it describes. The HTML is the caller's and must already
    escape any text it contains.

    Examples
    --------
    >>> import folium
    >>> m = folium.Map(tiles=None)
    >>> group = folium.FeatureGroup(name="cells").add_to(m)
    >>> _ = LayerLegend('<div class="csmap-legend">x</div>').add_to(group)
    >>> "csmap-legend" in m.get_root().render()
    True
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.control({position: "bottomleft"});
        {{ this.get_name() }}.onAdd = function() {
            var div = L.DomUtil.create("div", "csmap-legend-control");
            div.innerHTML = {{ this.html_js }};
            return div;
        };
        (function(group, legend) {
            group.on("add", function() { legend.addTo(group._map); });
            group.on("remove", function() { legend.remove(); });
            if (group._map) { legend.addTo(group._map); }
        })({{ this._parent.get_name() }}, {{ this.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, html_text: str) -> None:
        super().__init__()
        self._name = "LayerLegend"
        self.html = html_text
        self.html_js = geojson_text(html_text)
