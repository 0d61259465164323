"""Lower bounds in pyproject.toml never admit a release with a known hole the bot is
exposed to: a bound that silently drops back (a merge, a "simplify the deps" edit) fails
here, and so does an installed environment older than the floor."""

from __future__ import annotations

import tomllib
from importlib.metadata import version
from typing import NamedTuple

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

from tests.conftest import REPO


class Floor(NamedTuple):
    package: str
    minimum: str
    why: str


SECURITY_FLOORS = [
    Floor("jinja2", "3.1.6",
          "admins' content templates run in the sandbox; 3.1.5 (CVE-2024-56326, "
          "CVE-2024-56201) and 3.1.6 (CVE-2025-27516, |attr) fixed ways for template text "
          "to run Python"),
    Floor("aiohttp", "3.14.3",
          "the Slack and health HTTP servers: request smuggling (CVE-2025-53643, 3.12.14), "
          "the 2026 denial-of-service batches (3.13.3, 3.13.4), CookieJar.load code "
          "execution (CVE-2026-34993, 3.14.0), unbounded pipelined requests "
          "(GHSA-4fvr-rgm6-gqmc, 3.14.1), smuggling through a WebSocket upgrade "
          "(GHSA-mfx4-hv73-q22v, 3.14.2), a heap over-read in the parser (CVE-2026-69244, "
          "3.14.3)"),
    Floor("python-json-logger", "3.3",
          "GHSA-wmxh-pxcx-9w24: 3.2.x named a claimable package as a dependency"),
    Floor("pyyaml", "6.0", "CVE-2020-14343: full_load ran arbitrary code before 5.4"),
    Floor("pydantic", "2.6", "CVE-2024-3772: email validation ReDoS before 2.4"),
    Floor("icalendar", "7.3.0",
          "calendar files and feeds: CVE-2026-55099 (GHSA-cv84-9p8j-fj68, quadratic "
          "component equality, 7.1.3) and GHSA-j72g-xg6j-fq68 (a str given to from_ical "
          "read as a file path, 7.0.2 to 7.2.2)"),
    Floor("google-re2", "1.1",
          "admin-supplied safety patterns are matched in linear time (no backtracking)"),
]


def requirements() -> dict[str, Requirement]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    found = [Requirement(line) for line in project["dependencies"]]
    return {req.name.lower(): req for req in found}


def lowest_allowed(requirement: Requirement) -> Version | None:
    """The highest ``>=``/``==``/``~=`` bound: the oldest release pip may pick."""
    bounds = [Version(spec.version) for spec in requirement.specifier
              if spec.operator in (">=", "==", "~=", "===")]
    return max(bounds, default=None)


@pytest.mark.parametrize("floor", SECURITY_FLOORS, ids=lambda floor: floor.package)
def test_the_lower_bound_keeps_out_known_holes(floor: Floor) -> None:
    requirement = requirements().get(floor.package)
    assert requirement is not None, f"{floor.package} is no longer a dependency"
    lowest = lowest_allowed(requirement)
    assert lowest is not None and lowest >= Version(floor.minimum), (
        f"{requirement} admits releases before {floor.minimum}: {floor.why}")


@pytest.mark.parametrize("floor", SECURITY_FLOORS, ids=lambda floor: floor.package)
def test_what_is_installed_is_above_the_floor(floor: Floor) -> None:
    installed = Version(version(floor.package))
    assert installed >= Version(floor.minimum), (
        f"{floor.package} {installed} is installed; run pip install -e '.[test]'")
