"""Engine package: meta (Kedro-free)."""
