from __future__ import annotations

import io

from maille.diagnosis.progress import ProgressBar


def test_progress_bar_draws_steps_and_clears_the_line():
    stream = io.StringIO()
    bar = ProgressBar(stream, total=2, enabled=True)
    bar.step("lecture")
    bar.step("calcul")
    first, second = stream.getvalue().split("\r")[1:3]
    assert first.startswith("[" + " " * 30 + "] 0/2")
    assert second.startswith("[" + "#" * 15 + " " * 15 + "] 1/2")
    assert "calcul" in second
    bar.close()
    assert stream.getvalue().endswith("\r")


def test_progress_bar_is_silent_when_disabled():
    stream = io.StringIO()
    bar = ProgressBar(stream, total=3, enabled=False)
    bar.step("lecture")
    bar.close()
    assert stream.getvalue() == ""
