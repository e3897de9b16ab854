"""Benchmarks: accuracy and speed, measured apart from the tests.

Each benchmark is a module ``bench/bench_<name>.py`` with

- ``run(*, quick: bool) -> dict``: measure, return JSON-ready results;
- ``markdown(result: dict) -> str``: the section of BENCHMARKS.md it owns.

``python -m bench [NAME ...] [--quick]`` runs them, writes
``bench/results/<name>.json`` and rewrites ``BENCHMARKS.md`` from every result
file present, so a section always shows the latest measured figures.
"""
