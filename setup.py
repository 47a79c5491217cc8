"""The one piece of packaging pyproject.toml cannot say: folders outside the packages.

rubrics/, prompts/, slack/ and examples/ stay at the top of the repository, where people read
and edit them, and are installed as the packages named here, so the editable install and the
wheel both load them with importlib.resources (each folder's __init__.py makes that work in
setuptools' editable mode too). Everything else about the project is in pyproject.toml.
"""

from setuptools import find_namespace_packages, setup

RESOURCE_PACKAGES = {
    "qualifiers.rubrics": "rubrics",
    "qualifiers.rubrics.examples": "rubrics/examples",
    "qualifiers.prompts": "prompts",
    "bot.manifests": "slack",
    "bot.examples": "examples",
}

setup(
    packages=[
        *find_namespace_packages(include=["bot*", "qualifiers*"], exclude=["*.__pycache__"]),
        *RESOURCE_PACKAGES,
    ],
    package_dir=RESOURCE_PACKAGES,
)
