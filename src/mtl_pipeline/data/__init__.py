"""Engine package: data (Kedro-free)."""
