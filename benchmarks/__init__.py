"""Side-by-side benchmarks: ``python -m benchmarks [--quick]`` (see docs/benchmarks.md)."""
