"""Printable reports: the disruption briefing pack and the Regulation 46 location assessment.

HTML is rendered with Jinja2 (autoescape on: every text value is escaped) and carries its map as
an embedded PNG; PDF is drawn with matplotlib (``PdfPages``: a map page, then table pages), so no
system packages or browsers are needed. Neither report holds child identifiers or record points.
"""
