"""Engine package: tasks (Kedro-free)."""
