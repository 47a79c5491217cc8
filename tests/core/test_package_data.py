"""The top-level folders people edit are the package data leadbot loads: every file in
rubrics/, prompts/, slack/ and examples/ is read through importlib.resources, byte for byte,
so the editable install and the wheel (built and tried by .ci/run) see the same files."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from qualifiers.rubric import bundled_rubric_path, load_rubric

REPO_ROOT = Path(__file__).resolve().parents[2]
RESOURCE_FOLDERS = {
    "rubrics": "qualifiers.rubrics",
    "prompts": "qualifiers.prompts",
    "slack": "bot.manifests",
    "examples": "bot.examples",
}


def resource_files() -> list[tuple[str, str]]:
    return [
        (folder, path.relative_to(REPO_ROOT / folder).as_posix())
        for folder in RESOURCE_FOLDERS
        for path in sorted((REPO_ROOT / folder).rglob("*"))
        if path.is_file() and path.suffix != ".py" and "__pycache__" not in path.parts
    ]


def test_every_folder_has_files():
    assert {folder for folder, _ in resource_files()} == set(RESOURCE_FOLDERS)


@pytest.mark.parametrize(("folder", "relative"), resource_files())
def test_each_file_is_package_data(folder, relative):
    packaged = resources.files(RESOURCE_FOLDERS[folder]).joinpath(relative)
    assert packaged.read_bytes() == (REPO_ROOT / folder / relative).read_bytes()


@pytest.mark.parametrize("name", ["default.yaml", "examples/bank.yaml", "examples/xeducation.yaml"])
def test_bundled_rubrics_load(name):
    assert load_rubric(bundled_rubric_path(name)).criteria
