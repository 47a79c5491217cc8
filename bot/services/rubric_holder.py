"""The rubric in force, shared by the Slack listeners and the worker.

Managers reload or replace the rubric while the app runs, so nothing keeps its own copy:
every qualification asks the holder with `get()`. A broken file never replaces a working
rubric: `reload()` and `replace()` validate first and raise `RubricError` otherwise.
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from qualifiers.rubric import Rubric, load_rubric, parse_rubric

# Extra rules a rubric must meet to go in force here (e.g. every tier has a channel); it
# raises `RubricError` naming the file it is given.
RubricCheck = Callable[[Rubric, str], None]


class RubricHolder:
    def __init__(self, rubric: Rubric, path: Path, text: str = ""):
        self.path = Path(path)
        self._rubric = rubric
        self._text = text
        self._lock = threading.Lock()

    @classmethod
    def from_file(cls, path: Path) -> RubricHolder:
        """Load and validate `path`; raises `RubricError` with every issue found."""
        rubric, text = _read(Path(path))
        return cls(rubric, path, text)

    def get(self) -> Rubric:
        with self._lock:
            return self._rubric

    def text(self) -> str:
        """The YAML of the rubric in force, as last read or written (for diffs)."""
        with self._lock:
            return self._text

    def reload(self, check: RubricCheck | None = None) -> tuple[Rubric, Rubric]:
        """Re-read the file; returns (old, new). On `RubricError` the old rubric stays."""
        rubric, text = _read(self.path)
        if check:
            check(rubric, str(self.path))
        return self._swap(rubric, text)

    def replace(self, text: str, check: RubricCheck | None = None) -> tuple[Rubric, Rubric]:
        """Validate `text`, write it to the rubric file atomically, then put it in force.

        Returns (old, new). Raises `RubricError` for invalid YAML and `OSError` when the
        file cannot be written; in both cases the file and the rubric in force are unchanged.
        """
        rubric = parse_rubric(text, str(self.path))
        if check:
            check(rubric, str(self.path))
        write_atomically(self.path, text)
        return self._swap(rubric, text)

    def _swap(self, rubric: Rubric, text: str) -> tuple[Rubric, Rubric]:
        with self._lock:
            old, self._rubric, self._text = self._rubric, rubric, text
            return old, rubric


def write_atomically(path: Path, text: str) -> None:
    """Readers see the old file or the new one, never half of one (temp file + os.replace)."""
    path = Path(path)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            os.chmod(temporary, path.stat().st_mode & 0o777)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _read(path: Path) -> tuple[Rubric, str]:
    rubric = load_rubric(path)
    return rubric, path.read_text(encoding="utf-8")
