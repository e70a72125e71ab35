"""The read-only site: ``kb serve`` runs Datasette (serve.py) with its plugins (plugins/) and the map's
page and scripts (static/)."""
