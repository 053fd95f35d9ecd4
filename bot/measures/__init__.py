"""Measures: scoring, reliable change, statistics, the trial dataset, its export, report and charts.

Everything here except ``store`` is pure (values in, values out); ``store`` meets the database.
"""
