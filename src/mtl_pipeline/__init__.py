"""mtl_pipeline: does multi-task learning help this pair of text classification tasks, and why?"""

__version__ = "0.1.0"
