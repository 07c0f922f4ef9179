"""pyproject.toml: every dependency once, each with a range that has an upper bound and holds what is installed."""

from __future__ import annotations

import tomllib
from importlib.metadata import version
from pathlib import Path

from packaging.requirements import Requirement

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def _requirements() -> list[Requirement]:
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    extras = [r for group in project["optional-dependencies"].values() for r in group]
    return [Requirement(r) for r in project["dependencies"] + extras]


def test_each_dependency_is_listed_once():
    names = [r.name.lower() for r in _requirements()]
    assert sorted(n for n in set(names) if names.count(n) > 1) == []


def test_each_dependency_has_an_upper_bound_that_holds_the_installed_version():
    for requirement in _requirements():
        assert any(s.operator in ("<", "<=", "~=", "==") for s in requirement.specifier), requirement
        installed = version(requirement.name)
        assert requirement.specifier.contains(installed, prereleases=True), (str(requirement), installed)
