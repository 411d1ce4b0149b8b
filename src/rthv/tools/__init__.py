"""User-facing tools: the command line, reports and benchmarks."""
