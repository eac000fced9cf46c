"""How much an import may read and how long it may take, checked before the work is done.

The defaults take any real LA export (a million-row CSV; a workbook as large as Excel allows)
and refuse what only a broken or hostile file needs: a zip that unpacks a thousandfold, a sheet
declaring sixteen thousand columns, a cell longer than Excel can hold. Every refusal names the
file (and the row and column where known) and what to do.
"""

from __future__ import annotations

import time
import zipfile
from dataclasses import dataclass
from itertools import chain

from threshold.model import InputError

MSG_FILE_SIZE = (
    "{file}: is {size:,} bytes, over the limit of {limit:,}; split the export (for example by "
    "date) into smaller files"
)
MSG_UNCOMPRESSED = (
    "{file}: the workbook unpacks to {size:,} bytes, over the limit of {limit:,}; save only the "
    "sheets needed, or export them as CSV"
)
MSG_RATIO = (
    "{file}: the workbook's {member} unpacks {ratio:,.0f} times larger than it is stored (at "
    "most {limit:,} for a real workbook); open it in Excel and save it again, or export as CSV"
)
MSG_DIMENSION = (
    "{file}: the sheet declares the range {ref} ({rows:,} rows by {columns:,} columns), over the "
    "limit of {limit_rows:,} rows by {limit_columns:,} columns; delete the unused rows and "
    "columns after the data, save, and import again"
)
MSG_ROWS = (
    "{file}: has more than {limit:,} rows after the header (row {row:,}); split the export by date"
)
MSG_COLUMNS = (
    "{file}: row {row:,} has a value in column {column:,}, over the limit of {limit:,} "
    "columns; delete the unused columns"
)
MSG_CELL = (
    "{file}: row {row:,}, column {column!r} holds {length:,} characters, over the limit of "
    "{limit:,} for one cell; correct the value at source (a cell this long is usually a missing "
    "closing quote)"
)
MSG_DEADLINE = (
    "{file}: the import was stopped after {seconds:g} s (the time limit) and nothing was "
    "changed; split the export into smaller files"
)
MSG_LIMITS = "import limits must be positive, not {name}={value!r}"

XLSX_ROWS = 1_048_576
"""The most rows an Excel sheet can have."""
XLSX_COLUMNS = 16_384
"""The most columns an Excel sheet can have (A to XFD)."""


@dataclass(frozen=True)
class Limits:
    """What an import may read: file size, a workbook's unpacked size and compression ratio,
    records, columns, characters in a cell, and (when set) seconds of wall-clock time."""

    file_bytes: int = 512 * 2**20
    uncompressed_bytes: int = 2 * 2**30
    compression_ratio: int = 100
    rows: int = 2_000_000
    columns: int = 1_000
    cell_chars: int = 32_767
    seconds: float | None = None

    def __post_init__(self) -> None:
        for name in ("file_bytes", "uncompressed_bytes", "compression_ratio", "rows", "columns"):
            if getattr(self, name) <= 0:
                raise InputError(MSG_LIMITS.format(name=name, value=getattr(self, name)))
        if not 0 < self.cell_chars <= 131_072:  # the csv module reads no longer field
            raise InputError(MSG_LIMITS.format(name="cell_chars", value=self.cell_chars))
        if self.seconds is not None and not self.seconds > 0:
            raise InputError(MSG_LIMITS.format(name="seconds", value=self.seconds))

    def start(self, file: str) -> Budget:
        """The budget of one import of `file`, its clock started now."""
        end = None if self.seconds is None else time.monotonic() + self.seconds
        return Budget(self, file, end)


LIMITS = Limits()
"""The default limits."""


@dataclass(frozen=True)
class Budget:
    """The limits of one import, with the moment (time.monotonic) by which it must end."""

    limits: Limits
    file: str
    end: float | None = None

    def check_time(self) -> None:
        """Raise InputError if the import has run past its time limit."""
        if self.end is not None and time.monotonic() > self.end:
            raise InputError(MSG_DEADLINE.format(file=self.file, seconds=self.limits.seconds))

    def check_size(self, file: str, size: int) -> None:
        """Refuse a file larger than the limit before it is read."""
        if size > self.limits.file_bytes:
            raise InputError(
                MSG_FILE_SIZE.format(file=file, size=size, limit=self.limits.file_bytes)
            )

    def check_zip(self, file: str, archive: zipfile.ZipFile) -> None:
        """Refuse a workbook whose central directory promises more than the limits allow."""
        total = 0
        for member in archive.infolist():
            total += member.file_size
            ratio = member.file_size / max(member.compress_size, 1)
            if member.file_size > 2**20 and ratio > self.limits.compression_ratio:
                raise InputError(
                    MSG_RATIO.format(
                        file=file,
                        member=member.filename,
                        ratio=ratio,
                        limit=self.limits.compression_ratio,
                    )
                )
        if total > self.limits.uncompressed_bytes:
            raise InputError(
                MSG_UNCOMPRESSED.format(file=file, size=total, limit=self.limits.uncompressed_bytes)
            )

    def check_dimension(self, file: str, ref: str, rows: int, columns: int) -> None:
        """Refuse a sheet whose declared range is larger than the limits."""
        limit_rows = min(self.limits.rows + 1, XLSX_ROWS)  # the header is a row
        if rows > limit_rows or columns > self.limits.columns:
            raise InputError(
                MSG_DIMENSION.format(
                    file=file,
                    ref=ref,
                    rows=rows,
                    columns=columns,
                    limit_rows=limit_rows,
                    limit_columns=self.limits.columns,
                )
            )

    def check_row(self, file: str, row: int, *, most: int | None = None) -> None:
        """Refuse a file with more rows after its header than the limit (or `most`, if fewer);
        every 1,024 rows, check the clock too."""
        limit = self.limits.rows if most is None else min(most, self.limits.rows)
        if row - 1 > limit:
            raise InputError(MSG_ROWS.format(file=file, limit=limit, row=row))
        if row % 1024 == 0:
            self.check_time()

    def check_columns(self, file: str, row: int, column: int) -> None:
        """Refuse a value in a column beyond the limit."""
        if column > self.limits.columns:
            raise InputError(
                MSG_COLUMNS.format(file=file, row=row, column=column, limit=self.limits.columns)
            )

    def check_cells(self, file: str, row: int, header: list[str], values: list[str]) -> None:
        """Refuse a record with a cell longer than the limit, naming its row and column."""
        limit = self.limits.cell_chars
        if max(map(len, values), default=0) > limit:
            position = next(i for i, value in enumerate(values) if len(value) > limit)
            column = header[position] if position < len(header) else str(position + 1)
            raise InputError(
                MSG_CELL.format(
                    file=file, row=row, column=column, length=len(values[position]), limit=limit
                )
            )

    def check_table(
        self, file: str, header: list[str], rows: list[list[str]], numbers: list[int]
    ) -> None:
        """`check_cells` for every row (numbered by `numbers`), in one pass when all is well."""
        if max(map(len, chain.from_iterable(rows)), default=0) > self.limits.cell_chars:
            for number, row in zip(numbers, rows, strict=True):
                self.check_cells(file, number, header, row)
