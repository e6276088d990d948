"""A run's metric history in memory, by column, for `metrics.history` (protocol/README.md §5).

Every metrics record (one per step) becomes one row: `steps` (int64) and one float32 column per
numeric field, NaN where a record lacks the field (test_loss between evaluations, a term that
appeared later). Columns grow by doubling, so `append` costs O(1) amortised on the trainer thread.

Readers on other threads see a consistent prefix without a lock: the row count, the steps and the
columns are published together as one tuple, and the writer only writes rows past the published
count. Growth, a new column and a rewind build new arrays and publish a new tuple, so an array a
reader holds is never shrunk or reused. (The one exception: a second record for the newest step
merges its fields into that row in place; each field changes from NaN to its value in one store.)

`bucket` summarises the rows into at most `max_points` equal step-width buckets with numpy
reductions over whole columns (np.add/np.fmin/np.fmax.reduceat): no Python loop over rows.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import numpy as np

INITIAL_ROWS = 1024

# (rows, steps (capacity,) int64, columns: name -> (capacity,) float32): one reader's view.
View = tuple[int, np.ndarray, dict[str, np.ndarray]]


@dataclass
class Buckets:
    """What `metrics.history` answers (before wire encoding); m is the number of non-empty buckets."""

    first_step: int  # the first and last step of all the records (0 and 0 when there are none)
    last_step: int
    bucket: int  # steps per bucket
    steps: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # (m,) last step of each bucket
    series: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)  # name -> {mean, min, max} (m,)


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


class MetricsHistory:
    def __init__(self) -> None:
        self._view: View = (0, np.zeros(INITIAL_ROWS, np.int64), {})

    def __len__(self) -> int:
        return self._view[0]

    @property
    def names(self) -> list[str]:
        """The metric columns, in the order their fields first appeared."""
        return list(self._view[2])

    def column(self, name: str) -> np.ndarray:
        """A copy of one column's rows, (n,) float32 with NaN where a record lacked it."""
        n, _, columns = self._view
        return columns[name][:n].copy()

    def steps(self) -> np.ndarray:
        n, steps, _ = self._view
        return steps[:n].copy()

    # ----- writing (one thread: the trainer's, or a loader before anyone reads) ------------------
    def append(self, record: Mapping[str, Any]) -> None:
        """Adds one metrics record (a map with an int `step`; its numeric fields become columns,
        anything else is ignored). A record for the newest step merges into that row; a record for
        an older step (a resumed run rewriting steps it had run before) drops the rows from that
        step on, so the history always holds each step once, in order."""
        step = int(record["step"])
        n, steps, columns = self._view
        if n and step <= steps[n - 1]:
            if step == steps[n - 1]:
                self._write_row(n - 1, record)
                return
            n = int(np.searchsorted(steps[:n], step, side="left"))
            self._publish(n, max(INITIAL_ROWS, len(steps)))
            n, steps, columns = self._view
        if n == len(steps):
            self._publish(n, 2 * len(steps))
            n, steps, columns = self._view
        steps[n] = step
        self._write_row(n, record)
        self._view = (n + 1, *self._view[1:])

    def extend(self, records: list[Mapping[str, Any]]) -> None:
        """append() for each record, in order. Records of strictly increasing steps past the newest
        row are written column by column (a training step's record costs ~1 µs here instead of
        ~15 µs through append): the trainer hands its records over in batches."""
        start = 0
        while start < len(records):
            end = self._block(records, start)
            if end == start:  # a rewind, a repeated step or an odd field: the careful way
                self.append(records[start])
                end = start + 1
            start = end

    def _block(self, records: list[Mapping[str, Any]], start: int) -> int:
        """Writes records[start:end], the longest run from `start` with the same fields in the same
        order, numbers throughout, and steps increasing past the newest row; returns `end`."""
        n, steps, columns = self._view
        first = records[start]
        keys = tuple(first)
        names = [k for k in keys if k != "step" and is_number(first[k])]
        others = [k for k in keys if k != "step" and k not in names]
        if any(name not in columns for name in names) or any(not isinstance(first[k], str) for k in others):
            return start  # a new column, or a field that is neither a number nor a string (the run's name)
        end, last = start, steps[n - 1] if n else None
        while end < len(records) and tuple(records[end]) == keys:
            record = records[end]
            step = record["step"]
            if type(step) is not int or (last is not None and step <= last):
                break
            if others and any(not isinstance(record[k], str) for k in others):
                break
            last, end = step, end + 1
        if end == start:
            return start
        block = records[start:end]
        values = {}
        for name in names:
            column = [r[name] for r in block]
            if not {type(v) for v in column} <= {float, int}:  # None, a bool, a numpy number...: append()
                return start
            values[name] = np.array(column, np.float32)
        if n + len(block) > len(steps):
            self._publish(n, max(2 * len(steps), 1 << (n + len(block) - 1).bit_length()))
            n, steps, columns = self._view
        for name, column in values.items():
            columns[name][n : n + len(block)] = column
        steps[n : n + len(block)] = [r["step"] for r in block]
        self._view = (n + len(block), steps, columns)
        return end

    def _write_row(self, row: int, record: Mapping[str, Any]) -> None:
        columns = self._view[2]
        for name, value in record.items():
            if name == "step" or not is_number(value):
                continue
            column = columns.get(name)
            if column is None:  # a field seen for the first time: NaN in every row before
                column = np.full(len(self._view[1]), np.nan, np.float32)
                columns = {**columns, name: column}
                self._view = (self._view[0], self._view[1], columns)
            column[row] = value

    def _publish(self, rows: int, capacity: int) -> None:
        """Copies the first `rows` rows into new arrays of `capacity` rows and publishes them."""
        _, steps, columns = self._view
        new_steps = np.zeros(capacity, np.int64)
        new_steps[:rows] = steps[:rows]
        new_columns = {}
        for name, column in columns.items():
            new_columns[name] = np.full(capacity, np.nan, np.float32)
            new_columns[name][:rows] = column[:rows]
        self._view = (rows, new_steps, new_columns)

    # ----- reading (any thread) ------------------------------------------------------------------
    def bucket(self, since_step: int = 0, max_points: int = 1000) -> Buckets:
        """The records after `since_step` in at most `max_points` buckets of equal step width over
        (since_step, last_step]: per non-empty bucket its last step and, per column, the mean, min
        and max of the values it holds (NaN where it holds none)."""
        if max_points < 1:
            raise ValueError("max_points must be at least 1")
        n, all_steps, columns = self._view  # one read: a consistent prefix of n rows
        if n == 0:
            return Buckets(0, 0, 1)
        steps = all_steps[:n]
        first, last = int(steps[0]), int(steps[-1])
        if since_step >= last:
            empty = np.zeros(0, np.float32)
            return Buckets(first, last, 1, np.zeros(0, np.int64),
                           {name: {"mean": empty, "min": empty, "max": empty} for name in columns})
        width = -(-(last - since_step) // max_points)  # ceil: at most max_points buckets
        count = -(-(last - since_step) // width)
        lo = int(np.searchsorted(steps, since_step, side="right"))  # first row after since_step
        # steps are ascending, so each bucket's rows are one run: find its end by binary search
        ends = np.searchsorted(steps, since_step + width * np.arange(1, count + 1), side="right")  # (count,)
        begins = np.concatenate(([lo], ends[:-1]))
        full = ends > begins
        starts, sizes = begins[full] - lo, (ends - begins)[full]  # (m,) first row (from lo), rows
        series = {name: _reduce(column[lo:n], starts, sizes) for name, column in columns.items()}
        return Buckets(first, last, int(width), steps[ends[full] - 1].copy(), series)

    # ----- a run's file ----------------------------------------------------------------------------
    @classmethod
    def load(cls, path: Path, up_to_step: int | None = None) -> MetricsHistory:
        """The history in a run's metrics.jsonl (missing file: empty), keeping steps ≤ `up_to_step`
        (a resumed run continues from its checkpoint; records written after it are not its past).
        Lines that are not a JSON object with an integer `step` (e.g. cut by a kill) are skipped."""
        records = _read_records(Path(path))
        if up_to_step is not None:
            records = [r for r in records if r["step"] <= up_to_step]
        history = cls()
        steps = np.fromiter((r["step"] for r in records), np.int64, len(records))
        if len(steps) and np.all(np.diff(steps) > 0):
            history._fill(steps, records)
        else:  # rewinds or repeated steps: replay them as the trainer wrote them
            for record in records:
                history.append(record)
        return history

    def _fill(self, steps: np.ndarray, records: list[dict]) -> None:
        """Builds the columns of strictly increasing records at once (the common case, fast)."""
        n = len(steps)
        capacity = max(INITIAL_ROWS, 1 << (n - 1).bit_length())
        names = set().union(*records) - {"step"}
        built = {}
        for name in names:
            values = [r.get(name) for r in records]
            if not is_number(next(v for v in values if v is not None)):
                continue  # e.g. a string field
            try:
                numbers = np.array(values, dtype=np.float64)  # None -> NaN
            except (TypeError, ValueError):  # a column that is not numbers throughout
                continue
            column = np.full(capacity, np.nan, np.float32)
            column[:n] = numbers
            built[name] = column
        first_row = {name: int(np.argmax(~np.isnan(c[:n]))) for name, c in built.items()}
        all_steps = np.zeros(capacity, np.int64)
        all_steps[:n] = steps
        # the order append would give: by first appearance, then by place in that record
        order = sorted(built, key=lambda k: (first_row[k], list(records[first_row[k]]).index(k)))
        self._view = (n, all_steps, {name: built[name] for name in order})


def _reduce(column: np.ndarray, starts: np.ndarray, sizes: np.ndarray) -> dict[str, np.ndarray]:
    """Mean, min and max of one column's rows per bucket, ignoring NaN: (r,) -> 3 × (m,) float32."""
    missing = np.isnan(column)
    if missing.any():
        counts = np.add.reduceat(~missing, starts, dtype=np.int64)
        sums = np.add.reduceat(np.where(missing, 0.0, column), starts, dtype=np.float64)
    else:
        counts, sums = sizes, np.add.reduceat(column, starts, dtype=np.float64)
    mean = np.divide(sums, counts, out=np.full(len(starts), np.nan), where=counts > 0)  # NaN: no values
    return {"mean": mean.astype(np.float32), "min": np.fmin.reduceat(column, starts),
            "max": np.fmax.reduceat(column, starts)}


def _read_records(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    lines = [line for line in path.read_text(errors="replace").splitlines() if line.strip()]
    try:  # one parse for the whole file is ~3x faster than one per line
        parsed = json.loads("[" + ",".join(lines) + "]")
    except json.JSONDecodeError:  # a line cut by a kill, or worse: parse line by line, skip bad ones
        parsed = [_parse(line) for line in lines]
    records = []
    for record in parsed:
        step = _whole(record.get("step")) if isinstance(record, dict) else None
        if step is not None:
            record["step"] = step
            records.append(record)
    return records


def _parse(line: str) -> Any:
    try:
        return json.loads(line)
    except json.JSONDecodeError:
        return None


def _whole(value: Any) -> int | None:
    """An integer step (JSON may write 12 as 12.0), else None."""
    if isinstance(value, float) and math.isfinite(value) and value == int(value):
        return int(value)
    return value if isinstance(value, int) and not isinstance(value, bool) else None
