"""The detect-secrets plugin with the real detect-secrets: same verdicts as fastaudit's
engine, a baseline entry, and the portable baseline path."""

from __future__ import annotations

import json
import random
import shutil
import string
import subprocess
import sys
from pathlib import Path

from fastaudit.detect import detect_secrets_hash, generate_key

from .conftest import REPO_ROOT, Repo

PLUGIN = REPO_ROOT / "plugins" / "fast_api_key.py"
BIN = Path(sys.executable).parent
SECRET_TYPE = "Tools.FAST API Key"


def detect_secrets(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "detect-secrets"), *args], cwd=cwd, capture_output=True, text=True, check=False
    )


def _corpus(rng: random.Random) -> list[str]:
    """Candidates on both sides of the line: real keys in many contexts, and near misses."""
    body = lambda n: "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(n))  # noqa: E731
    lines = []
    for _ in range(60):
        key = generate_key(length=rng.randint(20, 64))
        template = rng.choice(
            [
                "API_KEY = '{}'",
                'curl -H "X-Fast-Api-Key: {}" https://api.tools.fast/convert',
                '{{"token": "{}"}}',
                "export FAST_API_KEY={}",
                '  -Headers @{{ "X-Fast-Api-Key" = "{}" }}',
                "url = 'https://x/?q=a%3D{}'",
                'msg = "line\\n{}"',
            ]
        )
        lines.append(template.format(key))
    near_misses = [
        "fast_prod_...",
        "fast_prod_your_key_here",
        "fast_prod_YOUR_API_KEY_GOES_HERE_123",
        "fast_prod_<key>",
        "fast_prod_${FAST_API_KEY}",
        "fast_prod_{{ key }}",
        "fast_prod_settings_for_backend_service",
        "fast_prod_" + "x" * 32,
        "fast_prod_" + "1234567890" * 3,
        "fast_prod_" + string.ascii_lowercase,
        "breakfast_prod_" + body(30),
        "fast_prod_" + body(19),
        "fast_prod_" + body(70),
        "fast_prod_" + "aZ9" * 9,
    ]
    lines += [f"value = '{m}'" for m in near_misses]
    rng.shuffle(lines)
    return lines


def test_plugin_and_engine_give_identical_verdicts(repo: Repo, run_cli) -> None:
    rng = random.Random(20261125)
    files = {f"corpus_{i}.txt": _corpus(rng) for i in range(3)}
    for name, lines in files.items():
        repo.write(name, "\n".join(lines) + "\n")
    repo.commit()

    ds = detect_secrets("scan", "--plugin", str(PLUGIN), cwd=repo.path)
    assert ds.returncode == 0, ds.stderr
    ds_found = {
        (name, entry["line_number"], entry["hashed_secret"])
        for name, entries in json.loads(ds.stdout)["results"].items()
        for entry in entries
        if entry["type"] == SECRET_TYPE
    }

    report = run_cli("scan", str(repo.path), "--format", "json").json()
    assert not {f["rule_id"] for f in report["findings"]} - {"FAST001"}
    # Each corpus key is unique, so (file, line, hash) names the same candidate on both sides.
    fa_found = {
        (f["path"], f["line"], _sha1_of_line_key(files[f["path"]][f["line"] - 1]))
        for f in report["findings"]
    }
    assert len(fa_found) == 3 * 60  # every planted key, no near miss
    assert ds_found == fa_found


def _sha1_of_line_key(line: str) -> str:
    from fastaudit.detect import KeySpec, find_keys_in_text

    (hit,) = find_keys_in_text(line, KeySpec())
    return detect_secrets_hash(hit.key)


def test_plugin_is_recorded_in_the_baseline_and_blocks_in_the_hook(repo: Repo) -> None:
    key = generate_key()
    repo.write("settings.py", f"KEY = '{key}'\n")
    repo.commit()
    ds = detect_secrets("scan", "--plugin", str(PLUGIN), cwd=repo.path)
    baseline = json.loads(ds.stdout)
    assert {"name": "FastApiKeyDetector", "path": f"file://{PLUGIN}"} in baseline["plugins_used"]
    assert key not in ds.stdout

    hook = subprocess.run(
        [str(BIN / "detect-secrets-hook"), "--plugin", str(PLUGIN), "settings.py"],
        cwd=repo.path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert hook.returncode == 1
    assert SECRET_TYPE in hook.stdout


def test_portable_baseline_survives_a_move_to_another_machine(
    repo: Repo, tmp_path: Path, run_cli
) -> None:
    accepted, fresh = generate_key(), generate_key()
    (repo.path / "plugins").mkdir()
    shutil.copy(PLUGIN, repo.path / "plugins" / "fast_api_key.py")
    repo.write("settings.py", f"KEY = '{accepted}'\n")
    repo.commit()
    ds = detect_secrets("scan", "--plugin", "plugins/fast_api_key.py", cwd=repo.path)
    (repo.path / ".secrets.baseline").write_text(ds.stdout)
    assert f"file://{repo.path}/plugins/fast_api_key.py" in ds.stdout  # the non-portable form

    fixed = run_cli("portable-ds-baseline", str(repo.path / ".secrets.baseline"))
    assert fixed.code == 0
    document = json.loads((repo.path / ".secrets.baseline").read_text())
    assert {"name": "FastApiKeyDetector", "path": "file://plugins/fast_api_key.py"} in document[
        "plugins_used"
    ]

    # "Another machine": the repository at a different absolute path, the old one gone.
    moved = tmp_path / "elsewhere" / "clone"
    shutil.copytree(repo.path, moved, symlinks=True)
    shutil.rmtree(repo.path)
    (moved / "new.py").write_text(f"NEW = '{fresh}'\n")
    hook = subprocess.run(
        [
            str(BIN / "detect-secrets-hook"),
            "--baseline",
            ".secrets.baseline",
            "settings.py",
            "new.py",
        ],
        cwd=moved,
        capture_output=True,
        text=True,
        check=False,
    )
    assert hook.returncode == 1, hook.stderr
    assert "new.py" in hook.stdout
    assert "settings.py" not in hook.stdout  # accepted by the baseline
    assert "file://plugins/fast_api_key.py" in (moved / ".secrets.baseline").read_text()


def test_detect_secrets_filters_hide_indirect_references_and_fastaudit_does_not(
    repo: Repo, run_cli
) -> None:
    """detect-secrets' default `is_indirect_reference` filter drops a whole line before
    any plugin sees it; the README documents the gap and the flag that recovers it."""
    keys = [generate_key() for _ in range(3)]
    repo.write(
        "settings.py",
        f'import os\nKEY = os.environ.get("FAST_API_KEY", "{keys[0]}")\n'
        f'X = ENV.fetch("FAST_API_KEY", "{keys[1]}")\nY = "{keys[2]}"\n',
    )

    def lines(*extra: str) -> list[int]:
        out = detect_secrets("scan", "--plugin", str(PLUGIN), *extra, "settings.py", cwd=repo.path)
        results = json.loads(out.stdout)["results"].get("settings.py", [])
        return sorted({r["line_number"] for r in results if r["type"] == SECRET_TYPE})

    assert lines() == [4]
    flag = "detect_secrets.filters.heuristic.is_indirect_reference"
    assert lines("--disable-filter", flag) == [2, 3, 4]
    report = run_cli("scan", str(repo.path), "--format", "json").json()
    assert sorted(f["line"] for f in report["findings"]) == [2, 3, 4]


def test_plugin_decodes_an_encoded_run_on_its_line(repo: Repo) -> None:
    import base64

    key = generate_key()
    repo.write("secret.yaml", f"data:\n  key: {base64.b64encode(key.encode()).decode()}\n")
    out = detect_secrets("scan", "--plugin", str(PLUGIN), "secret.yaml", cwd=repo.path)
    results = json.loads(out.stdout)["results"].get("secret.yaml", [])
    mine = [r for r in results if r["type"] == SECRET_TYPE]
    assert [(r["line_number"], r["hashed_secret"]) for r in mine] == [(2, detect_secrets_hash(key))]


def test_auditing_a_baseline_that_uses_the_plugin(repo: Repo) -> None:
    """`detect-secrets audit` 1.5 does not load a baseline's custom plugins and fails on
    any of them; `fastaudit-detect-secrets-audit` is the same interactive audit with the
    baseline's settings loaded, so a person can label the plugin's findings."""
    key = generate_key()
    repo.write("settings.py", f"KEY = '{key}'\n")
    repo.git("add", "-A")
    scanned = detect_secrets("scan", "--plugin", str(PLUGIN), cwd=repo.path)
    (repo.path / ".secrets.baseline").write_text(scanned.stdout)
    labelled = subprocess.run(
        [str(BIN / "fastaudit-detect-secrets-audit"), ".secrets.baseline"],
        cwd=repo.path,
        input="n\nn\nq\n",  # "Should this string be committed?" no (a real secret)
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert labelled.returncode == 0, labelled.stderr
    results = json.loads((repo.path / ".secrets.baseline").read_text())["results"]
    ours = [s for s in results["settings.py"] if s["type"] == "Tools.FAST API Key"]
    assert [s.get("is_secret") for s in ours] == [True], labelled.stdout[-600:]
    assert "Traceback" not in labelled.stderr
