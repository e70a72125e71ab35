"""Questions asked of a built knowledge base: the graphs (graph.py), the queries (queries.py), exports
and the map (export.py), metric plots (plot.py) and one document's display (display.py)."""
