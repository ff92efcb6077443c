"""Engine package: text (Kedro-free)."""
