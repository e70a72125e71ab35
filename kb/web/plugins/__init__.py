"""Datasette plugins of the site: the read-only guard and the metrics chart page."""
