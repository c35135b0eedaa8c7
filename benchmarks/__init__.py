"""Benchmarks: each area measures its targets as ratios against a baseline in the same run and
writes its figures (with date and machine) to ``docs/benchmarks/<area>.md``; ``python -m
benchmarks`` runs the store benchmark and merges every area's figures into docs/benchmarks.md."""
