"""Pictures, drawn at the edge: chart values in (``bot/engine/charts.py``), PNG files out."""
