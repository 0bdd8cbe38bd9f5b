"""expact: reproduce Koo & Ploenzke (2021) at cluster scale.

The data flows one way: config -> run specs -> steps -> run records -> report.
See docs/architecture.md for where each paper step lives.
"""

__version__ = "0.1.0"
