"""Keys in disguise: one row per form, each with the file, line and column where the
disguise starts and how the key was reached; the hostile inputs; round trips; history."""

from __future__ import annotations

import base64
import bz2
import gzip
import io
import json
import lzma
import tarfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from fastaudit.detect import fingerprint, generate_key, redact

from .conftest import Repo


def _zip(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _tar(members: dict[str, bytes], mode: str = "w") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@dataclass(frozen=True)
class Form:
    """A file holding `key` in one disguise, and where the finding must point."""

    name: str
    build: Callable[[str], tuple[str, str | bytes]]  # key -> (path, content)
    line: int
    column: int
    decoded: list[str] | None = None
    member: str | None = None
    inner_line: int | None = None


def _split(template: str, cut: int = 13) -> Callable[[str], str]:
    return lambda key: template.format(a=key[:cut], b=key[cut:])


FORMS = [
    Form(
        "kubernetes secret",
        lambda k: (
            "k8s/secret.yaml",
            "apiVersion: v1\nkind: Secret\ndata:\n  api_key: " + _b64(k.encode()) + "\n",
        ),
        4,
        12,
        ["base64"],
    ),
    Form(
        "base64 after one byte",
        lambda k: ("a.txt", "x: " + _b64(b"=" + k.encode()) + "\n"),
        1,
        4,
        ["base64"],
    ),
    Form(
        "base64 after two bytes",
        lambda k: ("b.txt", "x: " + _b64(b"K=" + k.encode()) + "\n"),
        1,
        4,
        ["base64"],
    ),
    Form(
        "base64 url-safe unpadded",
        lambda k: (
            "c.txt",
            "t="
            + base64.urlsafe_b64encode(b"\xfb\xff" + k.encode() + b"\xfe").decode().rstrip("=")
            + "\n",
        ),
        1,
        3,
        ["base64"],
    ),
    Form(
        "base64 wrapped at 76",
        lambda k: (
            "mail.eml",
            "Content-Transfer-Encoding: base64\n\n"
            + base64.encodebytes(b"x" * 70 + b"\nKEY=" + k.encode() + b"\n" + b"y" * 90).decode(),
        ),
        3,
        1,
        ["base64"],
    ),
    Form(
        "base64 wrapped at 64",
        lambda k: (
            "key.pem",
            "-----BEGIN DATA-----\n"
            + "\n".join(
                _b64(b"z" * 40 + b"\n" + k.encode() + b"\n" + b"q" * 60)[i : i + 64]
                for i in range(0, 200, 64)
            )
            + "\n-----END DATA-----\n",
        ),
        2,
        1,
        ["base64"],
    ),
    Form(
        "helm value: base64 of a base64'd .env",
        lambda k: (
            "values.yaml",
            "secretEnv: " + _b64(_b64(f"FAST_API_KEY={k}\nDEBUG=0\n".encode()).encode()) + "\n",
        ),
        1,
        12,
        ["base64", "base64"],
    ),
    Form("hex", lambda k: ("h.txt", "\n  key = " + k.encode().hex() + "\n"), 2, 9, ["hex"]),
    Form("HEX", lambda k: ("h2.txt", k.encode().hex().upper()), 1, 1, ["hex"]),
    Form(
        "percent",
        lambda k: ("p.txt", "q=" + "".join(f"%{b:02x}" for b in k.encode())),
        1,
        3,
        ["percent"],
    ),
    Form(
        "\\u escapes",
        lambda k: ("u.json", '{"k": "' + "".join(f"\\u{b:04x}" for b in k.encode()) + '"}'),
        1,
        8,
        ["escape"],
    ),
    Form(
        "\\u{} escapes",
        lambda k: ("u.js", "k = '" + "".join(f"\\u{{{b:x}}}" for b in k.encode()) + "'"),
        1,
        6,
        ["escape"],
    ),
    Form(
        "\\x escapes",
        lambda k: ("x.c", 'char *k = "' + "".join(f"\\x{b:02x}" for b in k.encode()) + '";'),
        1,
        12,
        ["escape"],
    ),
    Form(
        "HTML decimal",
        lambda k: ("d.html", "<b>" + "".join(f"&#{b};" for b in k.encode()) + "</b>"),
        1,
        4,
        ["html"],
    ),
    Form(
        "HTML hex, first letter", lambda k: ("e.html", "<i>&#x66;" + k[1:] + "</i>"), 1, 4, ["html"]
    ),
    Form(
        "gzip'd log",
        lambda k: ("logs/app.log.1", gzip.compress(f"boot\nok\nkey={k}\n".encode())),
        1,
        1,
        ["gzip"],
        None,
        3,
    ),
    Form(
        "bzip2", lambda k: ("dump.bz", bz2.compress(f"a\n{k}\n".encode())), 1, 1, ["bzip2"], None, 2
    ),
    Form("xz", lambda k: ("dump.dat", lzma.compress(f"{k}\n".encode())), 1, 1, ["xz"], None, 1),
    Form(
        "zip (a .whl)",
        lambda k: ("dist/pkg.whl", _zip({"pkg/config.py": f"\n\nKEY = '{k}'\n".encode()})),
        1,
        1,
        None,
        "pkg/config.py",
        3,
    ),
    Form(
        "xlsx by content, named .bin",
        lambda k: ("book.bin", _zip({"xl/sharedStrings.xml": f"<t>{k}</t>".encode()})),
        1,
        1,
        None,
        "xl/sharedStrings.xml",
        1,
    ),
    Form(
        "stored jar",
        lambda k: (
            "lib/app.jar",
            _zip({"app.properties": f"key={k}\n".encode()}, zipfile.ZIP_STORED),
        ),
        1,
        1,
        None,
        "app.properties",
        1,
    ),
    Form(
        "zip in a zip",
        lambda k: ("outer.zip", _zip({"inner.zip": _zip({"deep/x.env": f"K={k}\n".encode()})})),
        1,
        1,
        None,
        "inner.zip!deep/x.env",
        1,
    ),
    Form(
        "tar",
        lambda k: ("backup.tar", _tar({"etc/app.env": f"#\nK={k}\n".encode()})),
        1,
        1,
        None,
        "etc/app.env",
        2,
    ),
    Form(
        "tar.gz backup",
        lambda k: ("backup.tgz", _tar({"db/dump.sql": f"INSERT '{k}';\n".encode()}, "w:gz")),
        1,
        1,
        ["gzip"],
        "db/dump.sql",
        1,
    ),
    Form(
        "tar.bz2",
        lambda k: ("b.tar.bz2", _tar({"a.txt": f"{k}\n".encode()}, "w:bz2")),
        1,
        1,
        ["bzip2"],
        "a.txt",
        1,
    ),
    Form(
        "tar.xz",
        lambda k: ("b.tar.xz", _tar({"a.txt": f"{k}\n".encode()}, "w:xz")),
        1,
        1,
        ["xz"],
        "a.txt",
        1,
    ),
    Form(
        "base64 gzip in YAML",
        lambda k: ("ci.yaml", "env:\n  blob: " + _b64(gzip.compress(f"K={k}\n".encode())) + "\n"),
        2,
        9,
        ["base64", "gzip"],
        None,
        1,
    ),
    Form("python +", lambda k: ("s1.py", _split('KEY = "{a}" + "{b}"\n')(k)), 1, 8, ["split"]),
    Form(
        "python implicit, two lines",
        lambda k: ("s2.py", _split('KEY = (\n    "{a}"\n    "{b}"\n)\n', 5)(k)),
        2,
        6,
        ["split"],
    ),
    Form(
        "python continuation",
        lambda k: ("s3.py", _split("KEY = '{a}' \\\n      '{b}'\n")(k)),
        1,
        8,
        ["split"],
    ),
    Form(
        "javascript +",
        lambda k: ("s4.js", _split("const k = '{a}' +\n  '{b}';\n")(k)),
        1,
        12,
        ["split"],
    ),
    Form(
        "template literal",
        lambda k: ("s5.ts", _split('const k = `{a}${{"{b}"}}`;\n')(k)),
        1,
        12,
        ["split"],
    ),
    Form(
        "java +",
        lambda k: ("S6.java", _split('String k = "{a}"\n    + "{b}";\n')(k)),
        1,
        13,
        ["split"],
    ),
    Form("go +", lambda k: ("s7.go", _split('k := `{a}` + "{b}"\n')(k)), 1, 7, ["split"]),
    Form(
        "ruby continuation",
        lambda k: ("s8.rb", _split('k = "{a}" \\\n  "{b}"\n')(k)),
        1,
        6,
        ["split"],
    ),
    Form(
        "C implicit",
        lambda k: ("s9.c", _split('const char *k = "{a}"\n                "{b}";\n', 7)(k)),
        1,
        18,
        ["split"],
    ),
    Form(
        "shell adjacent quotes",
        lambda k: ("s10.sh", _split("export K=\"{a}\"'{b}'\n")(k)),
        1,
        11,
        ["split"],
    ),
    Form("php .", lambda k: ("s11.php", _split('$k = "{a}" . "{b}";\n')(k)), 1, 7, ["split"]),
    Form(
        "lua ..", lambda k: ("s12.lua", _split('local k = "{a}" .. "{b}"\n')(k)), 1, 12, ["split"]
    ),
]


def _notebook(key: str) -> str:
    cells = [
        {"cell_type": "markdown", "source": ["# notes\n"]},
        {
            "cell_type": "code",
            "source": ["import os\n", f'KEY = ("{key[:14]}"\n', f'       "{key[14:]}")\n'],
            "outputs": [],
        },
    ]
    return json.dumps(
        {"cells": cells, "nbformat": 4, "nbformat_minor": 5, "metadata": {}}, indent=1
    )


def test_notebook_cell_source_is_joined(repo: Repo, run_cli: Any) -> None:
    key = generate_key()
    text = _notebook(key)
    repo.write("nb.ipynb", text)
    found, _ = _findings_by_key(run_cli, repo.path)
    (finding,) = found[redact(key)]
    # The place: the line of the .ipynb that holds the key's first piece (the cell's
    # second source line), not the line where the cell's source begins.
    source_line = next(i for i, t in enumerate(text.splitlines(), 1) if '"import os' in t)
    assert (finding["line"], finding["column"]) == (source_line + 1, 1)
    assert finding["member"] == "nb.ipynb!cell 2"
    assert finding["inner_line"] == 2
    assert finding["decoded"] == ["split"]


def _findings_by_key(run_cli: Any, path: Path) -> tuple[dict[str, list[dict[str, Any]]], Any]:
    result = run_cli("scan", str(path), "--format", "json")
    assert result.code in (0, 1), result.err
    report = result.json()
    found: dict[str, list[dict[str, Any]]] = {}
    for finding in report["findings"]:
        found.setdefault(finding["redacted"], []).append(finding)
    return found, report


@pytest.mark.parametrize("form", FORMS, ids=lambda f: f.name)
def test_each_form_is_found_with_its_place(
    form: Form, repo: Repo, run_cli: Any, tmp_path: Path
) -> None:
    key = generate_key()
    path, content = form.build(key)
    repo.write(path, content)
    found, report = _findings_by_key(run_cli, repo.path)
    assert list(found) == [redact(key)], report["findings"]
    (finding,) = found[redact(key)]
    assert finding["secret_sha256"] == fingerprint(key)
    assert (finding["path"], finding["line"], finding["column"]) == (path, form.line, form.column)
    assert finding.get("decoded") == form.decoded
    assert finding.get("member") == (f"{path}!{form.member}" if form.member else None)
    assert finding.get("inner_line") == form.inner_line
    assert report["warnings"] == []


def test_recall_over_every_form_in_one_tree(repo: Repo, run_cli: Any) -> None:
    keys = {}
    for form in FORMS:
        keys[form.name] = generate_key()
        path, content = form.build(keys[form.name])
        repo.write(f"all/{form.name.replace(' ', '_').replace('/', '_')}/{path}", content)
    found, _ = _findings_by_key(run_cli, repo.path)
    missed = [name for name, key in keys.items() if redact(key) not in found]
    assert missed == []


# --- no false alarms ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        'KEY = "fast_prod_" + suffix\n',
        'KEY = "fast_prod_ab" + secret + "cdefghijklmnopqrstu"\n',
        "doc: " + _b64(b"FAST_API_KEY=fast_prod_your_key_here\n") + "\n",
        "doc: " + _b64(b"fast_prod_YOUR_API_KEY_GOES_HERE_1234") + "\n",
        "filler = 'fast_prod_a1b2c3d4e5f6g7h8i9j0k1l2'\n",
        "filler = 'fast_prod_AbCdEfGhIjKlMnOpQrStUv'\n",
        "x = " + "66617374".upper() + "\n",
        "noise = " + _b64(bytes(range(256)) * 40) + "\n",
    ],
    ids=[
        "prefix+variable",
        "literal+variable+literal",
        "b64 placeholder",
        "b64 words",
        "a1b2",
        "AbCd",
        "short hex",
        "b64 noise",
    ],
)
def test_no_false_alarms(content: str, repo: Repo, run_cli: Any) -> None:
    repo.write("f.txt", content)
    result = run_cli("scan", str(repo.path), "--format", "json")
    assert result.json()["findings"] == []


def test_random_base64_noise_never_decodes_to_a_key(repo: Repo, run_cli: Any) -> None:
    import os
    import random

    rng = random.Random(7)
    lines = [base64.b64encode(rng.randbytes(57)).decode() for _ in range(20_000)]
    repo.write("noise.b64", "\n".join(lines) + "\n")
    repo.write("needle-shaped.txt", "\n".join("ZmFzdF9wcm9k" + line[:40] for line in lines[:500]))
    result = run_cli("scan", str(repo.path), "--format", "json")
    assert result.json()["findings"] == []
    assert os.path.getsize(repo.path / "noise.b64") > 1_000_000


# --- hostile input --------------------------------------------------------------------------


def _truncated_gzip(key: str) -> bytes:
    import random

    data = gzip.compress(f"K={key}\n".encode() + random.Random(3).randbytes(200_000))
    return data[: len(data) // 2]


def _bomb_zip() -> bytes:
    return _zip({"zeros.bin": b"\0" * (300 * 1024 * 1024)})


def _nested_zip(levels: int, key: str) -> bytes:
    data = _zip({"k.txt": f"K={key}\n".encode()})
    for index in range(levels):
        data = _zip({f"layer{index}.zip": data})
    return data


def _b64_nested(levels: int, key: str) -> str:
    data = f"K={key}\n".encode()
    for _ in range(levels):
        data = base64.b64encode(data)
    return data.decode()


@pytest.mark.parametrize(
    ("name", "build", "limit_words"),
    [
        ("bomb.zip", lambda k: _bomb_zip(), "unwrap_max_"),
        ("bomb.gz", lambda k: gzip.compress(b"\0" * (300 * 1024 * 1024)), "unwrap_max_"),
        ("42.zip", lambda k: _nested_zip(8, k), "unwrap_max_depth"),
        ("deep.b64", lambda k: _b64_nested(20, k), "unwrap_max_depth"),
        ("cut.gz", lambda k: _truncated_gzip(k), "truncated"),
        (
            "broken.zip",
            lambda k: _zip({"a.txt": f"K={k}\n".encode()})[:-30],
            "zip directory is corrupt",
        ),
        (
            "many.zip",
            lambda k: _zip({f"f{i}.txt": b"x" for i in range(12_000)}),
            "unwrap_max_entries",
        ),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_hostile_input_ends_in_a_warning_and_keeps_other_findings(
    name: str, build: Any, limit_words: str, repo: Repo, run_cli: Any
) -> None:
    other = generate_key()
    repo.write("plain.env", f"K={other}\n")
    repo.write(name, build(generate_key()))
    result = run_cli("scan", str(repo.path), "--format", "json")
    report = result.json()
    assert redact(other) in {f["redacted"] for f in report["findings"]}
    assert any(name in w and limit_words in w for w in report["warnings"]), report["warnings"]


def test_member_named_outside_the_tree_is_never_extracted(
    repo: Repo, run_cli: Any, tmp_path: Path
) -> None:
    key = generate_key()
    repo.write("evil.zip", _zip({"../../escaped.txt": f"K={key}\n".encode()}))
    repo.write("evil.tar", _tar({"../../escaped2.txt": f"K={key}\n".encode()}))
    found, _ = _findings_by_key(run_cli, repo.path)
    members = sorted(f["member"] for f in found[redact(key)])
    assert members == ["evil.tar!../../escaped2.txt", "evil.zip!../../escaped.txt"]
    assert not list(tmp_path.rglob("escaped*.txt"))


# --- round trips, baseline, staged, history ---------------------------------------------------


def test_plain_and_base64_are_one_secret_and_one_baseline_covers_both(
    repo: Repo, run_cli: Any, tmp_path: Path
) -> None:
    key = generate_key()
    repo.write("app.env", f"K={key}\n")
    baseline = tmp_path / "baseline.json"
    assert run_cli("baseline", str(repo.path), "-o", str(baseline), cwd=repo.path).code == 0
    repo.write("app.env", f"K={key}\nB64={_b64(key.encode())}\n")
    found, report = _findings_by_key(run_cli, repo.path)
    assert len(found[redact(key)]) == 2
    assert len(report["secrets"]) == 1
    quiet = run_cli("scan", str(repo.path), "--baseline", str(baseline), "--format", "json")
    assert quiet.code == 0
    assert quiet.json()["findings"] == []


def test_staged_base64_key_blocks_the_commit(repo: Repo, run_cli: Any) -> None:
    key = generate_key()
    repo.write("secret.yaml", f"data:\n  k: {_b64(key.encode())}\n")
    repo.git("add", "-A")
    result = run_cli("hook", cwd=repo.path)
    assert result.code == 1
    assert redact(key) in result.out
    assert "decoded: base64" in result.out


def test_history_finds_encoded_and_archived_keys_after_deletion(repo: Repo, run_cli: Any) -> None:
    encoded_key, archived_key = generate_key(), generate_key()
    repo.write("k8s/secret.yaml", f"data:\n  k: {_b64(encoded_key.encode())}\n")
    repo.write("backup.tgz", _tar({"db/dump.sql": f"'{archived_key}'\n".encode()}, "w:gz"))
    added = repo.commit("add", date="2026-01-01T00:00:00+00:00")
    repo.git("rm", "-q", "k8s/secret.yaml", "backup.tgz")
    repo.commit("remove", date="2026-01-02T00:00:00+00:00")
    result = run_cli("history", str(repo.path), "--no-cache", "--format", "json")
    assert result.code == 1
    rows = {
        f["redacted"]: (
            f["rule_id"],
            f["path"],
            f["line"],
            f["commit"],
            f.get("decoded"),
            f.get("member"),
        )
        for f in result.json()["findings"]
    }
    assert rows == {
        redact(encoded_key): ("FAST002", "k8s/secret.yaml", 2, added, ["base64"], None),
        redact(archived_key): (
            "FAST002",
            "backup.tgz",
            1,
            added,
            ["gzip"],
            "backup.tgz!db/dump.sql",
        ),
    }


def test_history_large_archives_are_unpacked_beside_the_attribution_walk(
    repo: Repo, run_cli: Any, monkeypatch: Any
) -> None:
    """Archives over 64 KiB are unpacked after the object stream, while git attributes the
    plain keys: the findings, and their commits, are the same as if unpacked in line. Once
    with a plain key beside (the walks overlap), once with the archive alone (its keys are
    then attributed on their own)."""
    import os as _os

    from fastaudit import history
    from fastaudit.history import DEFER_UNWRAP_BYTES

    put_aside: list[list[str]] = []
    unpack = history._scan_deferred

    def spy(repo_info: Any, spec: Any, oids: list[str], notes: list[str]) -> Any:
        put_aside.append(list(oids))
        return unpack(repo_info, spec, oids, notes)

    monkeypatch.setattr(history, "_scan_deferred", spy)
    plain_key, archived_key, lone_key = generate_key(), generate_key(), generate_key()
    padding = _os.urandom(DEFER_UNWRAP_BYTES * 2)  # incompressible: the archive stays large
    repo.write("settings.env", f"FAST_API_KEY={plain_key}\n")
    repo.write(
        "dist/release.zip",
        _zip({"padding.bin": padding, "conf/prod.env": f"KEY={archived_key}\n".encode()}),
    )
    first = repo.commit("release", date="2026-01-01T00:00:00+00:00")
    repo.git("rm", "-q", "dist/release.zip")
    repo.commit("drop the archive", date="2026-01-02T00:00:00+00:00")
    assert len((repo.path / "settings.env").read_bytes()) < DEFER_UNWRAP_BYTES
    result = run_cli("history", str(repo.path), "--no-cache", "--format", "json")
    assert result.code == 1, result.err
    rows = {
        f["redacted"]: (f["rule_id"], f["path"], f["commit"], f.get("member"))
        for f in result.json()["findings"]
    }
    assert rows == {
        redact(plain_key): ("FAST001", "settings.env", first, None),
        redact(archived_key): (
            "FAST002",
            "dist/release.zip",
            first,
            "dist/release.zip!conf/prod.env",
        ),
    }
    # The archive alone: nothing to attribute until it is unpacked.
    repo.git("rm", "-q", "settings.env")
    repo.write("bundle.zip", _zip({"padding.bin": padding, "k.env": f"K={lone_key}\n".encode()}))
    second = repo.commit("bundle", date="2026-01-03T00:00:00+00:00")
    found = run_cli("history", str(repo.path), "--no-cache", "--format", "json").json()
    by_key = {f["redacted"]: (f["path"], f["commit"]) for f in found["findings"]}
    assert by_key[redact(lone_key)] == ("bundle.zip", second)
    assert len(by_key) == 3
    # With the history cache: a cold run, then a warm one (attribution remembered), same.
    for _ in range(2):
        cached = run_cli("history", str(repo.path), "--format", "json").json()
        assert {f["redacted"]: (f["path"], f["commit"]) for f in cached["findings"]} == by_key


def test_unwrapping_can_be_turned_off(repo: Repo, run_cli: Any) -> None:
    repo.write("s.yaml", f"k: {_b64(generate_key().encode())}\n")
    repo.write(".fastaudit.toml", "unwrap = false\n")
    assert run_cli("scan", str(repo.path), "--format", "json").json()["findings"] == []


# --- fuzz: hostile bytes never raise and never invent a key ---------------------------------


def test_unwrapping_random_bytes_never_raises_and_reports_only_keys() -> None:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from fastaudit.detect import KeySpec, KeyVault, is_key
    from fastaudit.unwrap.views import disguised_findings

    spec = KeySpec()
    pieces = st.sampled_from(
        [b"\x1f\x8b\x08\x00", b"PK\x03\x04", b"BZh9", b"\xfd7zXZ\x00", b"H4sI", b"ZmFzdF9wcm9k",
         b"666173745f70726f645f", b"%66%61", b"\\u0066", b"&#102;", b'"fast', b"'fast_prod_' + '",
         b"\n", b"=", b"ustar"]
    )  # fmt: skip
    blobs = st.lists(st.one_of(st.binary(max_size=64), pieces), max_size=24).map(b"".join)

    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(blobs)
    def check(data: bytes) -> None:
        vault = KeyVault()
        found, _warnings, _replaced = disguised_findings(data, "f", spec, spec.unwrap, vault=vault)
        # Whatever is reported is a key by the one definition: two literals that join into
        # a key-shaped string are reported as that string would be when written plainly.
        for finding in found:
            key = vault.get(finding.secret_sha256 or "")
            assert key is not None and is_key(key, spec)

    check()


def test_an_escape_run_ends_where_its_key_characters_end(repo: Repo, run_cli: Any) -> None:
    """A lone `&#102;` must not pull a plain key written further on into its decoded
    run (found by the repository scanning its own tests)."""
    key = generate_key()
    repo.write("page.html", f'<p>&#102;", more text\n\nK={key}\n')
    (finding,) = run_cli("scan", str(repo.path), "--format", "json").json()["findings"]
    assert (finding["line"], finding["column"], finding.get("decoded")) == (3, 3, None)
