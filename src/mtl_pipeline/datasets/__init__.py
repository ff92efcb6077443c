"""Custom Kedro datasets kedro-datasets lacks (the one engine-side folder that may import Kedro)."""
