"""The CI files users copy, checked with the tools their platforms' users run: zizmor
(GitHub Actions security) on `action.yml` and on the README's workflow, and
check-jsonschema with the GitHub workflow, GitHub action and GitLab CI schemas it ships."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(BIN)) or shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed (pip install -e '.[test]')")
    return found


def readme_workflow(tmp_path: Path) -> Path:
    """The README's GitHub workflow as a user saves it, with the release's commit filled
    in where the README says to."""
    text = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("GitHub (`.github/workflows/fastaudit.yml`)")
    found = re.search(r"```yaml\n(.*?)```", text[start:], re.S)
    assert found is not None
    workflow = tmp_path / ".github" / "workflows" / "fastaudit.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text(found.group(1).replace("RELEASE_SHA", "a" * 40), encoding="utf-8")
    return workflow


def zizmor(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_tool("zizmor"), "--offline", "--no-progress", str(path)],
        capture_output=True,
        text=True,
        cwd=path.parent,
        timeout=120,
    )


@pytest.mark.parametrize("which", ["action.yml", "README workflow"])
def test_zizmor_finds_nothing(which: str, tmp_path: Path) -> None:
    path = REPO_ROOT / "action.yml" if which == "action.yml" else readme_workflow(tmp_path)
    done = zizmor(path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No findings" in done.stdout + done.stderr


def test_zizmor_would_catch_an_unpinned_workflow(tmp_path: Path) -> None:
    """The check above can fail: the same workflow with a tag instead of a SHA does."""
    workflow = readme_workflow(tmp_path)
    text = workflow.read_text(encoding="utf-8")
    workflow.write_text(re.sub(r"checkout@[0-9a-f]{40}", "checkout@v4", text), encoding="utf-8")
    assert zizmor(workflow).returncode != 0


@pytest.mark.parametrize(
    ("schema", "which"),
    [
        ("vendor.github-workflows", "README workflow"),
        ("vendor.github-actions", "action.yml"),
        ("vendor.gitlab-ci", "ci/gitlab/fastaudit.gitlab-ci.yml"),
    ],
)
def test_check_jsonschema_accepts(schema: str, which: str, tmp_path: Path) -> None:
    path = readme_workflow(tmp_path) if which == "README workflow" else REPO_ROOT / which
    done = subprocess.run(
        [_tool("check-jsonschema"), "--builtin-schema", schema, str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
