"""Rate-limited, latest-wins publishing of the trainer's outputs on the PUB socket.

Only the newest value of each stream is ever sent; anything the trainer produced in between is
dropped, and the PUB socket's send high-water mark drops frames for a slow subscriber, so a
viewer can never slow training down.
"""

from __future__ import annotations

import time
from typing import Callable

import numpy as np
import zmq

from vaestudio import wire

# 10 Hz: a chart needs no more (studio_metrics.gd fills in every step from metrics.history), and
# each message wakes this loop, the I/O thread and every subscriber: at 20 Hz, with training on
# every core, those wakes cost a conv net 2-4 % of its speed (interleaved windows of servers at
# 20 and at 10 Hz beside one bare loop, 2 threads on 2 cores)
METRICS_INTERVAL_S = 0.1
IDLE_TICK_S = 0.025  # the loop's longest wait while no step runs: the trainer's events and frames go out soon
LATENT_PUBLISH_S = 0.1  # at most 10 Hz (frames come 2 to 5.5 times a second: latent_refresh.LATENT_REFRESH_S)
LATENT_REPEAT_S = 1.0  # a late subscriber gets the latent map within a second even when paused
STATUS_INTERVAL_S = 1.0
# The dashboard's snapshots (trainer.latest_<topic>): sent when new, at most this often, and
# repeated while nothing changes (paused) so a late subscriber sees them; None: never repeated.
SNAPSHOTS = {  # topic: (min interval s, repeat s)
    "dims": (0.1, 1.0),
    "recons": (0.1, 1.0),
    "layers": (0.5, None),  # the trainer takes them at most once a second
    "eval": (0.0, None),  # one per evaluation
}


class StreamPublisher:
    def __init__(self, pub: zmq.Socket, status: Callable[[], dict]):
        self.pub = pub
        self.status = status
        self._last_sent: dict[str, float] = {}
        self._last_metrics_step: tuple | None = None
        self._last_latent: object = None
        self._last_snapshot: dict[str, object] = {}  # topic -> the record last sent

    def publish(self, topic: str, run: str, step: int, fields: dict) -> None:
        body = wire.pack(wire.stream_message(run, step, fields))
        try:
            self.pub.send_multipart([topic.encode("ascii"), body], flags=zmq.NOBLOCK)
        except zmq.Again:  # no room: latest-wins means this frame is simply dropped
            pass
        self._last_sent[topic] = time.monotonic()

    def _due(self, topic: str, interval: float) -> bool:
        return time.monotonic() - self._last_sent.get(topic, 0.0) >= interval

    def publish_status(self) -> None:
        st = self.status()
        self.publish("status", st["run"], st["step"], {k: v for k, v in st.items() if k not in ("run", "step")})

    def tick(self, trainer, force_status: bool = False) -> float:
        """Publishes whatever is due. Returns how long the loop may wait for requests before the
        next tick: while steps run, until the next metrics message is due (10 wake-ups a second:
        each one takes the interpreter from the training thread; a reply another thread makes
        wakes the loop at once, wakeup.py), else IDLE_TICK_S."""
        m = trainer.latest_metrics
        if m is not None and (m["run"], m["step"]) != self._last_metrics_step and self._due("metrics", METRICS_INTERVAL_S):
            self._last_metrics_step = (m["run"], m["step"])
            self.publish("metrics", m["run"], m["step"], {k: v for k, v in m.items() if k not in ("run", "step")})
        lat = trainer.latest_latent
        if lat is not None and (
            (lat is not self._last_latent and self._due("latent", LATENT_PUBLISH_S)) or self._due("latent", LATENT_REPEAT_S)
        ):
            self._last_latent = lat
            self.publish("latent", lat["run"], lat["step"], latent_fields(lat))
        for topic, (interval, repeat) in SNAPSHOTS.items():
            record = getattr(trainer, f"latest_{topic}")
            if record is None:
                continue
            new = record is not self._last_snapshot.get(topic)
            if (new and self._due(topic, interval)) or (repeat is not None and self._due(topic, repeat)):
                self._last_snapshot[topic] = record
                self.publish(topic, record["run"], record["step"], snapshot_fields(record))
        if force_status or self._due("status", STATUS_INTERVAL_S):
            self.publish_status()
        since = time.monotonic() - self._last_sent.get("metrics", -METRICS_INTERVAL_S)
        if since < METRICS_INTERVAL_S:  # steps are running: nothing is due before the next metrics message
            return METRICS_INTERVAL_S - since
        return IDLE_TICK_S


def latent_fields(lat: dict) -> dict:
    """The trainer's latent record -> the `latent` stream's fields (protocol/README.md §6)."""
    fields = {
        "coords": wire.array(lat["coords"], "f32"),
        "indices": wire.array(lat["indices"], "i32"),
        "axes": list(lat["axes"]),
        "projection": lat["projection"],
        "basis": wire.array(lat["basis"], "f32"),
        "center": wire.array(lat["center"], "f32"),
        "explained": wire.array(lat["explained"], "f32"),
        "scale": wire.array(lat["scale"], "f32"),
        "kl_per_dim": wire.array(lat["kl_per_dim"], "f32"),
        "color_by": lat["color_by"],
    }
    if lat["labels"] is not None:
        fields["labels"] = wire.array(lat["labels"], "i32")
    if "color" in lat:
        fields["color"] = wire.array(lat["color"], "f32")
    return fields


WIRE_DTYPES = {np.dtype(np.float32): "f32", np.dtype(np.int32): "i32", np.dtype(np.uint8): "u8"}


def snapshot_fields(record: dict) -> dict:
    """A trainer snapshot (dims, recons, layers, eval) -> its stream fields (protocol/README.md §6):
    numpy arrays become wire arrays of their own dtype, everything else goes as it is."""
    return {k: wire.array(v, WIRE_DTYPES[v.dtype]) if isinstance(v, np.ndarray) else v
            for k, v in record.items() if k not in ("run", "step")}
