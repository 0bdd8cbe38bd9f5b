"""Steps: what one array element does for one run spec (or once per sweep).

A task's step is a short list of the shared blocks beside it (``fit``, ``filter_analysis``,
``attribution_analysis``, ``saliency_analysis``, ``distributed_fit``, ``record``); which step
runs which task is the task's record in :mod:`toolkit.tasks` (``Task.step``), and a
re-analysis's the same (``Analysis.step``). Nothing here is imported by the config.
"""
