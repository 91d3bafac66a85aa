"""The walk over one file's views: containers, encoded runs, joined literals and notebook
cells, nested up to the depth limit, each view's keys judged by the one detector."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass

from fastaudit.detect import KeySpec, KeyVault, find_keys
from fastaudit.findings import Finding
from fastaudit.limits import Budget, LimitHit, UnwrapLimits
from fastaudit.unwrap import containers, encoded, literals, notebook
from fastaudit.unwrap.gate import _heads, may_hide_keys, present_needles


@dataclass(frozen=True)
class _Context:
    """Where a view sits: the place in the file on disk where its outermost disguise
    starts, the chain of decodings, the archive member, and the line inside that member."""

    top_offset: int = 0
    cell: notebook.CellText | None = None  # a notebook cell or output: places are its lines
    decoded: tuple[str, ...] = ()
    member: str | None = None
    inner_line: int | None = None
    view_is_member: bool = False


class _Walk:
    def __init__(
        self,
        top: bytes,
        path: str,
        spec: KeySpec,
        limits: UnwrapLimits,
        source: str,
        vault: KeyVault | None,
    ) -> None:
        self.top = top
        self.path = path
        self.spec = spec
        self.limits = limits
        self.source = source
        self.vault = vault
        self.budget = Budget(limits, path)
        self.findings: dict[tuple[object, ...], Finding] = {}
        self.superseded: set[tuple[int, int]] = set()  # plain (line, column) a split replaced
        self.archived: set[str] = set()  # secrets found in members of a top-level archive
        # (secret, line) of keys a notebook's cell view placed: the raw JSON's plain
        # finding on the same line is the same key, reported once (with its cell).
        self.in_cells: set[tuple[str, int]] = set()
        self._newlines: list[int] | None = None

    # -- positions --------------------------------------------------------------------

    def top_position(self, offset: int) -> tuple[int, int]:
        if self._newlines is None:
            self._newlines = [i for i, c in enumerate(self.top) if c == 10]
        line = bisect_right(self._newlines, offset - 1)
        start = self._newlines[line - 1] + 1 if line else 0
        return line + 1, offset - start + 1

    # -- the walk ---------------------------------------------------------------------

    def visit(self, view: bytes, context: _Context, depth: int, is_top: bool) -> None:
        kind = containers.container_kind(view)
        if not is_top and kind is None:
            self._keys_in(view, context)  # an archive's keys are its members' keys
        finders = kind is not None or may_hide_keys(view, self.spec) or is_top
        if not finders:
            return
        present = present_needles(view, self.spec) if kind is None else ()
        if depth >= self.limits.max_depth:
            if kind is not None or present or encoded.looks_base64(view):
                self.budget.warn(
                    self.path,
                    f"content nested deeper than {self.limits.max_depth} layers "
                    "(unwrap_max_depth) was not unpacked",
                )
            return
        self.budget.check_time(self.path)
        if kind is not None:
            self._container(kind, view, context, depth, is_top)
            return
        capped: list[str] = []
        runs = list(encoded.find_runs(view, present, capped))
        for note in capped:
            self.budget.warn(self.path, note)
        if not runs:
            whole = encoded.whole_base64(view)
            runs = [whole] if whole is not None else []
        for run in runs:
            self.budget.produce(len(run.data))
            if self.budget.produced > self.limits.max_total_bytes:
                self.budget.warn(self.path, "decoded more than unwrap_max_total_bytes; stopped")
                return
            child = _Context(
                top_offset=run.start if is_top else context.top_offset,
                cell=context.cell,
                decoded=(*context.decoded, run.kind),
                member=context.member,
                inner_line=_line_of(view, run.start)
                if context.view_is_member
                else context.inner_line,
            )
            self.visit(run.data, child, depth + 1, is_top=False)
        self._split_literals(view, context, is_top)
        if is_top and notebook.is_notebook(view):
            for cell in notebook.cells(view):
                child = _Context(cell=cell, member=cell.name, view_is_member=True)
                self.visit(cell.text, child, depth + 1, is_top=False)

    def _container(
        self, kind: str, view: bytes, context: _Context, depth: int, is_top: bool
    ) -> None:
        where = self.path if context.member is None else f"{self.path}!{context.member}"
        for name, data in containers.open_container(kind, view, self.budget, where):
            member = context.member
            if name is not None:
                member = f"{member}!{name}" if member else name
            child = _Context(
                top_offset=0 if is_top else context.top_offset,
                cell=context.cell,
                decoded=(*context.decoded, kind) if name is None else context.decoded,
                member=member,
                inner_line=None,
                view_is_member=True,
            )
            self.visit(data, child, depth + 1, is_top=False)

    def _keys_in(self, view: bytes, context: _Context) -> None:
        from fastaudit.engine import may_hold_findings, scan_chunks

        if not may_hold_findings(view, self.spec):
            return  # the literal test the engine itself starts with
        for finding in scan_chunks((view,), "", self.spec, source=self.source, vault=self.vault):
            if finding.secret_sha256 is None:
                continue  # http:// URLs are judged where they are written, not decoded
            inner = finding.line if context.view_is_member else context.inner_line
            self._add(finding, context, inner)

    def _add(self, finding: Finding, context: _Context, inner: int | None) -> None:
        inside = context.member is not None or any(
            k in ("gzip", "bzip2", "xz") for k in context.decoded
        )
        if inside and finding.secret_sha256 is not None:
            self.archived.add(finding.secret_sha256)
        if context.cell is not None:
            line, column = context.cell.line_of(inner), 1
            if finding.secret_sha256 is not None:
                self.in_cells.add((finding.secret_sha256, line))
        else:
            line, column = self.top_position(context.top_offset)
        located = finding.with_changes(
            path=self.path,
            line=line,
            column=column,
            decoded=context.decoded or None,
            member=context.member,
            inner_line=inner,
        )
        key = (located.secret_sha256, line, column, located.decoded, located.member, inner)
        self.findings.setdefault(key, located)

    def _split_literals(self, view: bytes, context: _Context, is_top: bool) -> None:
        heads = _heads(self.spec)
        if not literals.may_hold_split(view, heads):
            return
        for joined in literals.joined_literals(view, heads):
            hits = [h for h in find_keys(joined.text, self.spec) if h.start == 0]
            for hit in hits:
                if hit.end <= joined.first_length:
                    continue  # the first literal holds the whole key: found plainly
                if self.vault is not None:
                    self.vault.add(hit)
                from fastaudit.engine import key_finding

                child = _Context(
                    top_offset=joined.start + 1 if is_top else context.top_offset,
                    cell=context.cell,
                    decoded=(*context.decoded, "split"),
                    member=context.member,
                    inner_line=_line_of(view, joined.start)
                    if context.view_is_member
                    else context.inner_line,
                )
                if is_top:
                    self.superseded.add(self.top_position(joined.start + 1))
                self._add(key_finding(hit, "", "FAST001", self.source), child, child.inner_line)


def _line_of(view: bytes, offset: int) -> int:
    return view.count(b"\n", 0, offset) + 1


def disguised_findings(
    data: bytes,
    path: str,
    spec: KeySpec,
    limits: UnwrapLimits,
    *,
    source: str = "worktree",
    vault: KeyVault | None = None,
) -> tuple[list[Finding], list[str], Callable[[Finding], bool]]:
    """Keys `data` holds in disguise: (findings, warnings, and a test for the plain
    findings these replace: the first piece of a split literal, which alone can look like
    a shorter key, and the raw bytes of a stored archive member)."""
    walk = _Walk(data, path, spec, limits, source, vault)
    try:
        walk.visit(data, _Context(), 0, is_top=True)
    except LimitHit:
        pass  # the budget said why; findings so far stand
    except RecursionError:
        walk.budget.warn(path, "nested too deeply to unpack")
    except Exception as exc:  # hostile bytes must never cost the plain findings
        walk.budget.warn(path, f"could not unpack ({type(exc).__name__}); scanned plainly")
    # A stored (uncompressed) archive member, or a literal run inside compressed data,
    # can show through as plain bytes: the member finding replaces it.
    archive = containers.container_kind(data) is not None

    def replaced(plain: Finding) -> bool:
        if (plain.line, plain.column) in walk.superseded:
            return True
        if plain.secret_sha256 is not None and (plain.secret_sha256, plain.line) in walk.in_cells:
            return True
        return archive and plain.secret_sha256 in walk.archived

    return list(walk.findings.values()), walk.budget.warnings, replaced
