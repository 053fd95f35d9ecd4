"""The staff side: therapists answer participants from a staff group (one forum topic each).

Values cross the boundary (``model``), pure decisions decide (``access``, ``sla``, ``assign``,
``format``, ``commands``), and one service meets storage (``service``). The participant engine only
emits relay records; this package consumes them.
"""
