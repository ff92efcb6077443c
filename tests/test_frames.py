import pandas as pd
import pytest

from mtl_pipeline.frames import require_columns


def test_require_columns_names_the_table_and_the_missing_columns():
    frame = pd.DataFrame({"a": [1], "b": [2]})
    require_columns(frame, ["a", "b"], "t")
    with pytest.raises(
        ValueError, match=r"table 't' lacks column\(s\) \['c'\]; it has \['a', 'b'\]"
    ):
        require_columns(frame, ["a", "c"], "t")
