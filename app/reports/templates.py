"""Jinja2 templates of the reports (autoescape on: hostile text is shown, never run)."""

from __future__ import annotations

from typing import Final

import jinja2

from geo.places.datasets import ATTRIBUTION_LINES

_STYLE: Final[str] = """
<style>
 body { font-family: Arial, Helvetica, sans-serif; margin: 2em; color: #222; }
 h1 { font-size: 1.5em; } h2 { font-size: 1.15em; margin-top: 1.6em; }
 table { border-collapse: collapse; margin: 0.5em 0; font-size: 0.85em; }
 th, td { border: 1px solid #bbb; padding: 3px 6px; text-align: left; vertical-align: top; }
 th { background: #eee; }
 .note { color: #555; font-size: 0.85em; }
 .banner { background: #fff3cd; border: 1px solid #e0c36c; padding: 0.5em 1em; }
 img.map { max-width: 100%; border: 1px solid #ccc; }
 @media print { h2 { page-break-after: avoid; } table { page-break-inside: auto; } }
</style>
"""

_TABLE: Final[str] = """
{% macro table(frame) -%}
{% if frame is none or frame|length == 0 %}<p class="note">(none)</p>{% else %}
<table><thead><tr>{% for c in frame.columns %}<th>{{ c }}</th>{% endfor %}</tr></thead>
<tbody>{% for row in frame.itertuples(index=False) %}<tr>
{% for v in row %}<td>{{ "" if v is none else v }}</td>{% endfor %}</tr>{% endfor %}
</tbody></table>{% endif %}
{%- endmacro %}
{% macro attribution_footer(lines) -%}
<h2>Data sources and attribution</h2>
<footer class="note attribution">{% for line in lines %}<div>{{ line }}</div>{% endfor %}</footer>
{%- endmacro %}
"""


def _document(body: str) -> str:
    """An HTML page: table/footer macros, CSP, style, title, synthetic banner, then ``body``."""
    return (
        _TABLE
        + """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy"
 content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<title>{{ title }}</title>"""
        + _STYLE
        + """</head><body>
<h1>{{ title }}</h1>
{% if synthetic %}<p class="banner"><strong>Synthetic demo data.</strong>
No real child or event is represented.</p>{% endif %}
"""
        + body
    )


BRIEFING: Final[str] = _document(
    """\
<p>Period: {{ period }} · Hotspot method: {{ method }} · Venues within {{ radius }} m of a hotspot ·
Concerns linked to a venue within {{ link_radius }} m (agreeing location type where recorded) ·
Generated {{ generated }}.</p>
<p class="note">OFFICIAL-SENSITIVE. For disruption planning by police and licensing partners.
Contains no child identifiers and no individual records.</p>
<h2>Map</h2>
<img class="map" alt="Map of hotspots and venues" src="{{ map_uri }}">
<h2>Hotspots, in priority order</h2>
<p class="note">Priority = mean of the ranks by number of events, significance (z) and most
recent event.</p>
{{ table(hotspots) }}
<h2>Venues near each hotspot</h2>
{{ table(nearby) }}
<h2>Venue watchlist</h2>
<p class="note">Linked concerns in the last 3, 6 and 12 months up to {{ as_of }}, change against
the previous period of equal length, and by category (last 12 months).</p>
{{ table(watchlist) }}
<h2>Caveats</h2><ul>{% for c in caveats %}<li>{{ c }}</li>{% endfor %}</ul>
{{ attribution_footer(attribution) }}
</body></html>
"""
)

ASSESSMENT: Final[str] = _document(
    """\
<p>Location: {{ location }} · Radius {{ radius }} m · Period {{ period }} ·
Generated {{ generated }}.</p>
<h2>Summary</h2>
{{ table(summary) }}
<h2>Map</h2>
<img class="map" alt="Map of the area around the location" src="{{ map_uri }}">
<h2>Concerns by category</h2>
{{ table(by_category) }}
<h2>Concerns by year</h2>
{{ table(by_year) }}
<h2>Hotspots intersecting the radius</h2>
{{ table(hotspots) }}
<h2>Venues by type</h2>
{{ table(venues_by_type) }}
<h2>Venues within the radius</h2>
{{ table(venues) }}
<h2>Schools within the radius</h2>
{{ table(schools) }}
<h2>Data caveats</h2><ul>{% for c in caveats %}<li>{{ c }}</li>{% endfor %}</ul>
{{ attribution_footer(attribution) }}
</body></html>
"""
)

_ENV = jinja2.Environment(
    loader=jinja2.DictLoader({"briefing.html": BRIEFING, "assessment.html": ASSESSMENT}),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)


def render(name: str, **context: object) -> str:
    """Render template ``name`` (``briefing.html`` or ``assessment.html``) with autoescape.

    Both end with the attribution lines (``attribution``, default
    :data:`geo.places.datasets.ATTRIBUTION_LINES`); ``synthetic`` adds the synthetic-data banner.

    Examples
    --------
    >>> import pandas as pd
    >>> html = render("assessment.html", title="<script>x</script>", synthetic=False,
    ...     location="", radius=500, period="", generated="", summary=pd.DataFrame(),
    ...     map_uri="", by_category=None, by_year=None, hotspots=None, venues_by_type=None,
    ...     venues=None, schools=None, caveats=[])
    >>> "<script>x" in html, "&lt;script&gt;x" in html
    (False, True)
    """
    context.setdefault("attribution", ATTRIBUTION_LINES)
    return _ENV.get_template(name).render(**context)
