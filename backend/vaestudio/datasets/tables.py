"""CSV / TSV tables: numeric data columns, an optional label column, an optional header row.

Errors point at the file's own line numbers (as an editor shows them), not at array rows, and say
how to pass an option both ways a user can: `--data-opt KEY=VALUE` on the command line, `data.KEY`
in a run.new request.
"""

from __future__ import annotations

import csv
import gzip
import io
from pathlib import Path

import numpy as np

from vaestudio.datasets.base import DataError
from vaestudio.datasets.paths import max_data_bytes

DELIMITERS = (",", ";", "\t")
LABEL_COLUMN_HOW = ("pass it as --data-opt label_column=NAME_OR_INDEX on the command line, or as data.label_column "
                    "in run.new")


def _is_number(cell: str) -> bool:
    try:
        float(cell)
        return True
    except ValueError:
        return False


def _sniff(first_line: str) -> str:
    # The delimiter that occurs most on the first line; a one-column file has none and any will do.
    return max(DELIMITERS, key=first_line.count)


def read_csv(path: Path, shown: str, *, label_column: int | str | None, header: bool | str,
             delimiter: str | None) -> tuple[np.ndarray, np.ndarray | None]:
    """(data (N, D) float64, raw labels (N,) str or None). `header` is True, False or "auto" (a first
    row with a non-numeric data cell is a header). `label_column`: index (negative from the end) or,
    with a header, a column name."""
    try:
        if path.name.lower().endswith(".gz"):
            with gzip.open(path, "rb") as f:
                raw = f.read(max_data_bytes() + 1)  # the limit holds for what the file unpacks to, too
            if len(raw) > max_data_bytes():
                raise DataError(f"{shown} unpacks to more than the data size limit of {max_data_bytes()} bytes; "
                                "to raise it, start vaestudio with --max-data-bytes SIZE (bytes, or e.g. 4G).")
        else:
            raw = path.read_bytes()
        text = raw.decode("utf-8-sig")  # tolerate the byte-order mark spreadsheets write
    except (OSError, EOFError) as e:
        raise DataError(f"{shown} cannot be read ({e}).") from None
    except UnicodeDecodeError as e:
        raise DataError(f"{shown} is not UTF-8 text ({e}); save the CSV as UTF-8.") from None
    lines = text.splitlines()
    first = next((ln for ln in lines if ln.strip()), "")
    reader = csv.reader(io.StringIO(text), delimiter=delimiter or _sniff(first))
    rows, line_nums = [], []
    try:
        for row in reader:
            if any(c.strip() for c in row):  # skip blank lines
                rows.append([c.strip() for c in row])
                line_nums.append(reader.line_num)
    except csv.Error as e:
        raise DataError(f"{shown}: line {reader.line_num} is not valid CSV ({e}).") from None
    if not rows:
        raise DataError(f"{shown} is empty: it has no rows of data.")

    width = len(rows[0])
    if isinstance(label_column, str) and header is False:
        raise DataError(f"{shown}: label_column {label_column!r} is a column name, which needs a header row; "
                        "give the column's index instead (--data-opt label_column=INDEX), or header=true.")
    names = rows[0]
    label_idx = None
    if isinstance(label_column, int):
        if not -width <= label_column < width:
            raise DataError(f"{shown}: label_column {label_column} is out of range; the file has {width} "
                            f"columns (0 to {width - 1}, or negative from the end).")
        label_idx = label_column % width
    if header == "auto":
        header = isinstance(label_column, str) or any(not _is_number(c) for j, c in enumerate(names) if j != label_idx)
    if isinstance(label_column, str):
        if label_column not in names:
            raise DataError(f"{shown}: there is no column named {label_column!r}; the header names "
                            f"{', '.join(map(repr, names))}.")
        label_idx = names.index(label_column)
    if header:
        rows, line_nums = rows[1:], line_nums[1:]
        if not rows:
            raise DataError(f"{shown} is empty: it has a header row but no rows of data.")
    for row, ln in zip(rows, line_nums):
        if len(row) != width:
            raise DataError(f"{shown}: line {ln} has {len(row)} cells but the first row has {width}; every row "
                            "needs the same number of columns.")
    data_cols = [j for j in range(width) if j != label_idx]
    if not data_cols:
        raise DataError(f"{shown} has no data columns besides the label column.")

    cells = np.array(rows, dtype=str)  # (N, width)
    labels = cells[:, label_idx] if label_idx is not None else None
    cells = cells[:, data_cols]
    try:
        x = cells.astype(np.float64)  # fast path: numpy parses every cell in C
    except ValueError:
        for i, row in enumerate(cells):
            for j, c in enumerate(row):
                if not _is_number(c):
                    col = f"column {data_cols[j]}" + (f" ({names[data_cols[j]]!r})" if header else "")
                    what = "is empty" if c == "" else f"holds {str(c)!r}, which is not a number"
                    raise DataError(f"{shown}: line {line_nums[i]}, {col} {what}; data columns must be numeric. "
                                    f"If it is the labels column, name it with the option label_column: "
                                    f"{LABEL_COLUMN_HOW}.") from None
        raise
    bad = ~np.isfinite(x)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise DataError(f"{shown}: line {line_nums[i]}, column {data_cols[j]} is {str(cells[i, j])!r}; NaN and "
                        f"infinite values are not accepted ({int(bad.sum())} such cells), fill or drop them.")
    if labels is not None and (labels == "").any():
        i = int(np.argmax(labels == ""))
        raise DataError(f"{shown}: line {line_nums[i]} has an empty label in column {label_idx}; every row needs one.")
    if labels is not None and all(_is_number(c) for c in labels):
        labels = labels.astype(np.float64)  # numeric labels: checked for being whole numbers later
    return x, labels
