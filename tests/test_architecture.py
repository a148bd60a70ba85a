"""The package layers of DESIGN.md and each package's public surface."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("its", "simulation", "signals", "gtfs", "routing", "api")
DOMAIN = ("simulation", "signals", "gtfs", "routing")


def _imports(package: str) -> set[tuple[str, str]]:
    found = set()
    for path in (REPO / package).rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top in PACKAGES and top != package:
                    found.add((str(path.relative_to(REPO)), top))
    return found


def test_core_imports_no_other_package():
    assert _imports("its") == set()


@pytest.mark.parametrize("package", DOMAIN)
def test_domain_packages_import_only_the_core(package):
    assert {top for _, top in _imports(package)} <= {"its"}, _imports(package)


def test_nothing_imports_api():
    for package in ("its", *DOMAIN):
        assert all(top != "api" for _, top in _imports(package))


@pytest.mark.parametrize("package", PACKAGES)
def test_public_surface(package):
    module = importlib.import_module(package)
    assert module.__doc__ and module.__doc__.strip(), f"{package} needs a module docstring"
    for name in module.__all__:
        assert getattr(module, name) is not None, f"{package}.{name}"
