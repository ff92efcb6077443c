"""Engine package: reporting (Kedro-free)."""
