"""Engine package: features (Kedro-free)."""
