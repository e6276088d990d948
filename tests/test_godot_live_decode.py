"""The decoded image follows the model by itself, in real Godot.

The Studio runs against a training backend with its test driver (multiclient_driver.gd), which
writes what it shows and carries out the test's orders. The image in the inspector is decoded
again as training moves: its step goes up and its pixels change with no pick. Held on the plane,
the pointer keeps the view still while the view otherwise follows the data. With a pin added, the
pin re-decodes too, and never is more than one decode request in flight. Paused, the image is
decoded once more at the step where training stopped and then left alone, and samples/s says
"paused". Reset asks first; confirmed, it brings a new run whose image is decoded at once.
"""

from __future__ import annotations

import time

import pytest

from support.studio_watch import WatchedStudio

pytestmark = pytest.mark.godot

QUIET_S = 2.0  # how long a paused Studio is watched for decodes it should not make


def test_the_decoded_image_follows_training_pause_and_reset(backend, tmp_path):
    studio = WatchedStudio(backend.control, backend.stream, tmp_path, "live")
    try:
        first = studio.wait_until(
            "a decode while training",
            lambda now: now["connected"] and now["state"] == "training" and now["decode"]["images"] >= 1,
        )
        # No pick: the same z is decoded again as the model trains, its image changing with it.
        moved = studio.wait_until(
            "the image decoded again at later steps",
            lambda now: now["decode"]["images"] >= first["decode"]["images"] + 4
            and now["decode"]["step"] > first["decode"]["step"]
            and now["decode"]["hash"] != first["decode"]["hash"],
        )
        assert moved["decode"]["run"] == first["run"]
        assert moved["readouts"]["Samples/s"] not in ("paused", "—"), moved["readouts"]

        # The left button held on an empty spot of the plane: the view stays where it is while
        # frames come in; let go, it follows the data again.
        studio.order("hold 0.03,0.55")
        held = studio.wait_until("the button held", lambda now: now["orders_done"] >= 1)
        time.sleep(QUIET_S)
        still = studio.now()
        assert held["view"]["auto_fit"] and still["step"] > held["step"], still
        assert still["view"] == held["view"], "the view moved under the held pointer"
        studio.order("release")
        studio.wait_until("the view following the data again", lambda now: now["view"] != held["view"])

        # A pin on the Pins tab: it is decoded again as training goes on, beside the image.
        studio.order("tab pins")
        studio.order("pin")
        pinned = studio.wait_until("a decoded pin", lambda now: now["pins"]["redecodes"] >= 1)
        studio.wait_until(
            "the pin decoded again", lambda now: now["pins"]["redecodes"] >= pinned["pins"]["redecodes"] + 3
        )

        # Pause: one more decode at the step where training stopped, then none.
        studio.order("press run")
        paused = studio.wait_until(
            "the pause, and the image of its last step",
            lambda now: now["state"] == "paused" and now["decode"]["step"] == now["step"]
            and now["readouts"]["Samples/s"] == "paused",
        )
        time.sleep(QUIET_S)  # the pin's last decode, which waited for the image's
        settled = studio.now()
        assert settled["pins"]["redecodes"] > pinned["pins"]["redecodes"], settled["pins"]
        time.sleep(QUIET_S)
        quiet = studio.now()
        assert quiet["decode"]["images"] == paused["decode"]["images"], "decoded again while nothing changed"
        assert quiet["pins"]["redecodes"] == settled["pins"]["redecodes"], "the pin too"

        # Reset asks first; nothing happens until it is confirmed.
        studio.order("press reset")
        asked = studio.wait_until("Reset's confirmation", lambda now: now["reset_dialog"])
        assert asked["run"] == paused["run"], "nothing reset before the answer"
        studio.order("confirm_reset")
        reset = studio.wait_until(
            "the new run's image",
            lambda now: now["run"] != paused["run"] and now["decode"]["run"] == now["run"]
            and now["decode"]["hash"] != quiet["decode"]["hash"],
        )
        assert not reset["reset_dialog"]
        assert "Reset" in reset["controls_message"] and reset["run"] in reset["controls_message"], reset
        assert reset["decodes_in_flight_max"] == 1, "at most one decode request out at a time"
        studio.finish()
    finally:
        studio.kill()
