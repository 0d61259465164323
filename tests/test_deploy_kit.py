"""The deploy kit in ``deploy/`` agrees with the code it deploys.

No Docker engine runs here, so nothing is built into an image. Instead each file is
read as data and checked against the code: the commands it runs exist in the ``notnow``
CLI, the variables it sets are settings, the paths it writes are the ones it keeps. The
check that matters most builds a real wheel, the way the image installs the package,
and runs ``notnow content check`` from it, away from this checkout.
"""

from __future__ import annotations

import inspect
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from click.testing import CliRunner

from adapters.cli import main
from adapters.slack.oauth import oauth_dir
from adapters.slack.server import HEALTH_PATH
from bot.nudges.scheduler import NudgeScheduler
from bot.settings import Settings, default_db_path
from tests.conftest import REPO

DEPLOY = REPO / "deploy"
COMPOSE_ONLY = {"POSTGRES_PASSWORD"}  # read by compose.yml for the postgres service
STOP_PASS_TIMEOUT = inspect.signature(NudgeScheduler.stop).parameters["timeout"].default


# ---- readers ----------------------------------------------------------------------


def dockerfile_stages() -> list[list[tuple[str, str]]]:
    """Instructions per build stage, continuation lines joined, ARG defaults applied."""
    args: dict[str, str] = {}
    stages: list[list[tuple[str, str]]] = []
    pending = ""
    for raw in (DEPLOY / "Dockerfile").read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        word, _, rest = (pending + line).partition(" ")
        pending = ""
        word = word.upper()
        rest = re.sub(r"\$\{(\w+)\}", lambda m: args.get(m[1], m[0]), rest.strip())
        if word == "ARG" and "=" in rest:
            name, _, value = rest.partition("=")
            args[name] = value
        if word == "FROM":
            stages.append([])
        if stages:
            stages[-1].append((word, rest))
    return stages


def env_assignments(text: str) -> dict[str, str]:
    return dict(item.split("=", 1) for item in shlex.split(text))


def unit_entries() -> dict[str, list[str]]:
    """``key -> values`` over all sections of the systemd unit (keys may repeat)."""
    entries: dict[str, list[str]] = {}
    for raw in (DEPLOY / "notnow.service").read_text().splitlines():
        line = raw.strip()
        if line and not line.startswith(("#", ";", "[")):
            key, _, value = line.partition("=")
            entries.setdefault(key.strip(), []).append(value.strip())
    return entries


def env_example() -> list[tuple[int, str, str, bool]]:
    """``(line number, name, value, active)`` for each ``NAME=`` or ``# NAME=`` line."""
    found = []
    for number, line in enumerate((DEPLOY / ".env.example").read_text().splitlines()):
        match = re.fullmatch(r"(# )?([A-Z][A-Z0-9_]*)=(.*)", line)
        if match:
            found.append((number, match[2], match[3], match[1] is None))
    return found


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yml").read_text())


def interpolate(text: str, values: dict[str, str]) -> str:
    return re.sub(r"\$\{(\w+)(?::?[-?][^}]*)?\}", lambda m: values[m[1]], text)


def cli_command_exists(words: list[str]) -> bool:
    """``["db", "migrate"]``: a command of ``notnow``, or of one of its groups."""
    group = main
    for word in words:
        command = group.commands.get(word)  # type: ignore[attr-defined]
        if command is None:
            return False
        if not hasattr(command, "commands"):
            return True
        group = command
    return False


def settings_variables() -> set[str]:
    names = set()
    for field in Settings.model_fields.values():
        names |= {name for name in field.validation_alias.choices if name.isupper()}  # type: ignore[union-attr]
    return names


def seconds(duration: str) -> float:
    match = re.fullmatch(r"(\d+)(ms|s|min|m)?", duration)
    assert match, duration
    return int(match[1]) * {"ms": 0.001, "s": 1, None: 1, "min": 60, "m": 60}[match[2]]


# ---- Dockerfile and .dockerignore -------------------------------------------------


def test_dockerfile_builds_a_venv_and_runs_it_slim_and_unprivileged() -> None:
    *builders, final = dockerfile_stages()
    assert builders, "multi-stage: build in one stage, copy the venv into the next"
    assert all(rest.startswith("python:3.11-slim") for stage in (*builders, final)
               for word, rest in stage if word == "FROM")
    builder = builders[-1][0][1].split()[-1]
    assert any(w == "COPY" and rest.startswith(f"--from={builder} ") for w, rest in final)
    assert not any(w == "RUN" and "pip" in rest for w, rest in final), "build in the builder"
    assert any(w == "RUN" and ".[postgres]" in rest for w, rest in builders[-1])

    words = [word for word, _ in final]
    user = dict(final)["USER"].split(":")[0]
    assert user not in ("root", "0")
    assert words.index("USER") < min(words.index("ENTRYPOINT"), words.index("CMD"))
    assert "3000" in dict(final)["EXPOSE"].split()
    assert json.loads(dict(final)["ENTRYPOINT"]) == ["notnow"]
    assert cli_command_exists(json.loads(dict(final)["CMD"]))

    env = {k: v for word, rest in final if word == "ENV" for k, v in env_assignments(rest).items()}
    volumes = json.loads(dict(final)["VOLUME"])
    assert any(Path(env["NOTNOW_DB"]).is_relative_to(v) for v in volumes), "data on the volume"


def test_image_keeps_slack_installs_in_one_place_whatever_the_database(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With PostgreSQL, Slack installs go under XDG_DATA_HOME; the image points it at the
    same folder as for TinyDB, so switching backends keeps them (and keeps them on the
    volume)."""
    final = dockerfile_stages()[-1]
    env = {k: v for word, rest in final if word == "ENV" for k, v in env_assignments(rest).items()}
    monkeypatch.setenv("XDG_DATA_HOME", env["XDG_DATA_HOME"])
    tinydb = oauth_dir(Settings(db=env["NOTNOW_DB"]))
    postgres = oauth_dir(Settings(db="postgresql://notnow:pw@postgres:5432/notnow"))
    assert tinydb == postgres
    assert default_db_path() == env["NOTNOW_DB"]


class _Health(BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        ok = self.path == HEALTH_PATH and self.status == 200
        self.send_response(200 if ok else self.status if self.path == HEALTH_PATH else 404)
        self.end_headers()
        self.wfile.write(b"ok" if ok else b"no")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def health_server() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def test_image_healthcheck_asks_healthz_with_the_standard_library(
    health_server: ThreadingHTTPServer,
) -> None:
    """The image's HEALTHCHECK command, run as is (our Python, the test server's port)."""
    final = dockerfile_stages()[-1]
    argv = json.loads(dict(final)["HEALTHCHECK"].split(" CMD ", 1)[1])
    assert argv[0] == "/opt/notnow/bin/python"  # the venv the builder made and copied
    port = health_server.server_address[1]
    argv = [sys.executable, *(a.replace(":3000/", f":{port}/") for a in argv[1:])]
    assert f"{HEALTH_PATH}'" in argv[-1]
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_"))}

    def check(**env: str) -> int:
        return subprocess.run(argv, env={**base, **env}, capture_output=True, timeout=20,
                              check=False).returncode

    assert check(SLACK_BOT_TOKEN="xoxb-1") == 0
    assert check(SLACK_CLIENT_ID="1.2") == 0
    assert check(DISCORD_TOKEN="t") == 0, "Discord only: no HTTP server to ask"
    _Health.status = 503
    try:
        assert check(SLACK_BOT_TOKEN="xoxb-1") != 0
    finally:
        _Health.status = 200
    health_server.shutdown()
    health_server.server_close()
    assert check(SLACK_BOT_TOKEN="xoxb-1") != 0, "nothing listening"


def dockerignore_excludes(path: str) -> bool:
    """Docker's rule: the last pattern matching the path or one of its parents wins."""
    parts = path.split("/")
    candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    excluded = False
    for raw in (REPO / ".dockerignore").read_text().splitlines():
        pattern = raw.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negated = pattern.startswith("!")
        pattern = pattern.lstrip("!").strip("/")
        regex = re.escape(pattern).replace(r"\*\*/", "(.*/)?").replace(r"\*\*", ".*")
        regex = regex.replace(r"\*", "[^/]*").replace(r"\?", "[^/]")
        regex = re.sub(r"\\\[(.*?)\\\]", r"[\1]", regex)
        if any(re.fullmatch(regex, c) for c in candidates):
            excluded = not negated
    return excluded


def builder_copy_sources() -> list[str]:
    builder = dockerfile_stages()[0]
    return [s for w, rest in builder if w == "COPY" and not rest.startswith("--")
            for s in rest.split()[:-1]]


def test_build_context_holds_what_the_dockerfile_copies_and_nothing_private() -> None:
    sources = builder_copy_sources()
    assert {"pyproject.toml", "README.md", "bot", "adapters", "content"} <= set(sources)
    for source in sources:
        assert (REPO / source).exists(), source
        assert not dockerignore_excludes(source), source
    assert not dockerignore_excludes("bot/settings.py")
    assert not dockerignore_excludes("content/flows/compose.yaml")
    for private in (".git", ".venv", ".env", "deploy/.env", "tests", "bench", ".mypy_cache",
                    "bot/__pycache__/settings.cpython-311.pyc", "data/db/.lock"):
        assert dockerignore_excludes(private), private


# ---- compose.yml --------------------------------------------------------------------


def test_compose_runs_the_bot_on_postgres_once_it_is_healthy() -> None:
    services = compose()["services"]
    postgres, bot = services["postgres"], services["bot"]
    assert postgres["image"].startswith("postgres:16")
    probe = " ".join(postgres["healthcheck"]["test"])
    assert "pg_isready" in probe and "-h 127.0.0.1" in probe, "over TCP, as the bot connects"
    volume = postgres["volumes"][0].split(":")
    assert volume[1] == "/var/lib/postgresql/data" and volume[0] in compose()["volumes"]
    assert postgres["restart"] == bot["restart"] == "unless-stopped"

    context = (DEPLOY / bot["build"]["context"]).resolve()
    assert context == REPO and (context / bot["build"]["dockerfile"]).is_file()
    assert bot["env_file"] == ".env"
    assert bot["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "3000:3000" in bot["ports"]
    assert cli_command_exists(bot["command"])
    assert seconds(bot["stop_grace_period"]) > STOP_PASS_TIMEOUT

    url = urlsplit(interpolate(bot["environment"]["NOTNOW_DB"], {"POSTGRES_PASSWORD": "pw"}))
    env = postgres["environment"]
    assert (url.scheme, url.hostname, url.port) == ("postgresql", "postgres", 5432)
    assert (url.username, url.password, url.path) == (env["POSTGRES_USER"], "pw",
                                                      f"/{env['POSTGRES_DB']}")


def test_compose_variables_are_all_in_the_env_example() -> None:
    used = set(re.findall(r"\$\{(\w+)", (DEPLOY / "compose.yml").read_text()))
    assert used and used <= {name for _, name, _, _ in env_example()}


# ---- notnow.service -----------------------------------------------------------------


def test_unit_runs_a_real_command_and_keeps_its_data_in_its_state_directory() -> None:
    unit = unit_entries()
    argv = shlex.split(unit["ExecStart"][0])
    assert argv[0] == "/opt/notnow/.venv/bin/notnow"
    assert cli_command_exists([a for a in argv[1:] if not a.startswith("-")])
    assert CliRunner().invoke(main, [*argv[1:], "--help"]).exit_code == 0

    env: dict[str, str] = {}
    for line in unit["Environment"]:
        env.update(env_assignments(line))
    state = Path("/var/lib") / unit["StateDirectory"][0]
    assert Path(env["NOTNOW_DB"]).is_relative_to(state)
    assert str(state) in unit["ReadWritePaths"][0].split()
    assert unit["EnvironmentFile"] == ["/etc/notnow/notnow.env"]
    assert unit["User"] == ["notnow"]
    assert unit["Restart"] == ["on-failure"] and unit["KillSignal"] == ["SIGTERM"]
    assert seconds(unit["TimeoutStopSec"][0]) > STOP_PASS_TIMEOUT
    for key, value in (("NoNewPrivileges", "yes"), ("ProtectSystem", "strict"),
                       ("ProtectHome", "yes"), ("PrivateTmp", "yes")):
        assert unit[key] == [value], key


def test_unit_keeps_slack_installs_in_its_state_directory_on_postgres_too(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """ProtectSystem=strict leaves only the state directory writable: after a move to
    PostgreSQL, Slack installs must still land there."""
    env: dict[str, str] = {}
    for line in unit_entries()["Environment"]:
        env.update(env_assignments(line))
    monkeypatch.setenv("XDG_DATA_HOME", env["XDG_DATA_HOME"])
    tinydb = oauth_dir(Settings(db=env["NOTNOW_DB"]))
    assert tinydb == oauth_dir(Settings(db="postgresql://notnow:pw@db:5432/notnow"))
    assert tinydb.is_relative_to("/var/lib/notnow")


def test_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed")
    notnow = Path(sys.executable).with_name("notnow")  # verify wants ExecStart to exist
    text = (DEPLOY / "notnow.service").read_text()
    unit = tmp_path / "notnow.service"
    unit.write_text(text.replace("/opt/notnow/.venv/bin/notnow", str(notnow)))
    done = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True,
                          text=True, timeout=30, cwd=tmp_path, check=False)
    about_us = [line for line in done.stderr.splitlines() if "notnow" in line]
    assert done.returncode == 0 and not about_us, done.stderr


# ---- .env.example and the guide -----------------------------------------------------


def test_env_example_documents_every_setting_and_nothing_else() -> None:
    lines = (DEPLOY / ".env.example").read_text().splitlines()
    found = env_example()
    names = {name for _, name, _, _ in found}
    assert names - COMPOSE_ONLY == settings_variables()
    variable_lines = {number for number, *_ in found}
    for number, name, value, active in found:
        above = number - 1
        while above in variable_lines:
            above -= 1
        assert lines[above].startswith("# "), f"{name} has no comment above it"
        assert not value.startswith(("'", '"')) and " " not in value, name
        if re.search("TOKEN|SECRET|PASSWORD", name):
            assert value in ("", "xoxb-...", "xapp-...") and (not active or value == ""), name


def test_guide_links_resolve_and_its_commands_exist() -> None:
    guide = (DEPLOY / "README.md").read_text()
    for target in re.findall(r"\]\(([^)#]+)", guide):
        if "://" not in target:
            assert (DEPLOY / target).exists(), target
    for howto in ("slack-howto.md", "discord-howto.md", "slack-manifest.yml"):
        assert f"]({howto})" in guide
    commands = re.findall(r"(?:/bin/notnow|exec bot notnow|run --rm (?:-T )?bot|`notnow)"
                          r"(?: -v)? ([a-z][a-z-]*)(?: ([a-z][a-z-]*))?", guide)
    assert len(commands) > 10
    for words in commands:
        assert cli_command_exists([w for w in words if w]), words


# ---- the package, installed the way the image installs it ---------------------------


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from exactly what the Dockerfile copies, unpacked as site-packages
    would hold it (its dependencies come from this venv)."""
    source = tmp_path_factory.mktemp("source")
    for name in builder_copy_sources():
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, source / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.py[cod]"))
        else:
            shutil.copy2(REPO / name, source / name)
    wheels = tmp_path_factory.mktemp("wheels")
    # As the image does: an isolated build, so pip fetches pyproject's build requirements
    # (setuptools) from the configured package index.
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                           "-w", str(wheels), str(source)], capture_output=True, text=True,
                          timeout=60, check=False,
                          env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
    if done.returncode and re.search(r"No matching distribution found for (setuptools|wheel)",
                                     done.stderr):
        pytest.skip("pip cannot fetch the build requirements (no package index reachable)")
    assert done.returncode == 0, done.stderr
    root = tmp_path_factory.mktemp("site-packages")
    with zipfile.ZipFile(next(wheels.glob("notnow-*.whl"))) as wheel:
        wheel.extractall(root)
    return root


def test_wheel_ships_every_module_and_content_file(installed: Path) -> None:
    def files(root: Path) -> set[str]:
        return {p.relative_to(root).as_posix() for top in ("bot", "adapters", "content")
                for p in (root / top).rglob("*")
                if p.is_file() and "__pycache__" not in p.parts}

    missing = files(REPO) - files(installed)
    assert not missing, (
        f"a regular install lacks {sorted(missing)}: list every package in pyproject.toml "
        "(e.g. [tool.setuptools.packages.find] include = ['bot*', 'adapters*', 'content*'])"
    )


PROBE = """
import sys
from pathlib import Path

# This venv holds notnow as an editable install, whose import hook would fill in from
# the checkout whatever the wheel lacks. Only the unpacked wheel may count here.
sys.meta_path[:] = [f for f in sys.meta_path
                    if "__editable__" not in getattr(f, "__module__", "")]
sys.path_hooks[:] = [h for h in sys.path_hooks
                     if "__editable__" not in getattr(h, "__module__", "")]
sys.path_importer_cache.clear()

import bot.settings
import content
from adapters.cli import main

root = Path(sys.argv[1])
for module in (bot.settings, content):
    assert root in Path(module.__file__).parents, module.__file__
assert bot.settings.Settings().content_dir == root / "content"
main(["content", "check"])
"""


def test_installed_package_finds_its_content_from_anywhere(
    installed: Path, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("NOTNOW_", "SLACK_", "DISCORD_", "PYTHON"))}
    done = subprocess.run([sys.executable, "-c", PROBE, str(installed)], cwd=tmp_path,
                          env={**env, "PYTHONPATH": str(installed)}, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"content OK: {installed / 'content'} ("), done.stdout
