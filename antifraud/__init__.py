"""反诈研判指挥看板 — anti-telecom-fraud command-center dashboard."""

__version__ = "0.1.0"
