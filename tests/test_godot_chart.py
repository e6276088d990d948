"""The loss chart follows the step counter, in real Godot against a training backend.

The chart driver (godot_client/tests/drivers/chart_driver.gd) pauses training, runs Step x10 and
waits for the status to show it; then it resumes and resets the run while it trains. Each time it
reports the steps the chart's curve spans beside the step the readouts show. The `metrics` stream
is thinned to 10 Hz, so the first live point of a new run may be step 9 or step 200: the chart must
still start at the run's first step, from the run's history.
"""

from __future__ import annotations

import pytest

from support.scene import connected_scene_report

pytestmark = pytest.mark.godot


def test_the_chart_reaches_the_counter_after_steps_and_starts_at_one_after_a_reset(backend, tmp_path):
    report = connected_scene_report(backend, tmp_path / "chart.png", "--chart-check")
    chart = report["chart"]
    stepped = chart["after_steps"]
    assert stepped["status_step"] >= stepped["expected_step"], stepped
    assert stepped["chart_last"] == stepped["readout_step"] == stepped["status_step"], stepped

    reset = chart["after_reset"]
    assert reset["run"] != stepped["run"] and reset["run"] == report["run"], chart
    assert reset["chart_first"] == 1, f"the new run's curve starts at step {reset['chart_first']}: {reset}"
    assert reset["chart_last"] == reset["readout_step"], reset
