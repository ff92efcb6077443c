"""Engine package: training (Kedro-free)."""
