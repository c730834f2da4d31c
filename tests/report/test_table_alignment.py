from __future__ import annotations

import numpy as np
import pandas as pd

from etr.report.page import Section, Table, render_page


def test_numbers_in_object_columns_render_as_right_aligned_numbers():
    frame = pd.DataFrame({"n": pd.Series([126, 42], dtype=object),
                          "rho": pd.Series([0.5, np.nan], dtype=object),
                          "label": ["<b>x</b>", "y"]})
    html = render_page("t", [Section("S", tables=[Table(frame)])], {})
    assert '<th class="int">n</th>' in html and '<td class="int">126</td>' in html
    assert '<th class="num">rho</th>' in html
    assert '<td class="text">&lt;b&gt;x&lt;/b&gt;</td>' in html
