"""Where repositories are audited: threads on this machine, or a Dask cluster.

An executor takes the targets and yields one `RepoResult` per target as each finishes,
in any order; the caller merges and writes as results arrive, so the client holds
results, never the work. Both run the same task, `audit_task.audit_repository`.
"""

from __future__ import annotations

import hashlib
import itertools
import secrets
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any, Protocol

from fastaudit.audit.result import RepoResult, TaskOptions
from fastaudit.audit.task import audit_repository, reuse_unchanged
from fastaudit.detect import KeyVault
from fastaudit.errors import FastauditError
from fastaudit.sources.mirrors import RepoTarget
from fastaudit.words import plural


class Executor(Protocol):
    """Where an audit's repositories run. Promises one result per target, as each finishes, and
    never raises for a repository that cannot be audited (that is the result's status)."""

    name: str

    def run(self, targets: Sequence[RepoTarget], options: TaskOptions) -> Iterator[RepoResult]:
        """One result per target, as each finishes."""
        ...

    def running(self) -> int:
        """How many repositories are being audited right now (for the progress bar)."""
        ...


@dataclass
class LocalExecutor:
    """Threads on this machine (each history scan is mostly git's own work in a child
    process, so two threads keep two cores busy). The only executor that can verify:
    keys never leave the process that found them."""

    workers: int = 2
    vault: KeyVault | None = None
    name: str = "local"
    _running: int = 0

    def run(self, targets: Sequence[RepoTarget], options: TaskOptions) -> Iterator[RepoResult]:
        """One result per target as each finishes, a few tasks queued per thread (memory does not
        grow with the plan)."""

        def one(target: RepoTarget) -> RepoResult:
            self._running += 1
            try:
                return audit_repository(target, options, self.vault)
            finally:
                self._running -= 1

        # A few tasks queued per thread, topped up as each finishes: a future holds its
        # result until dropped, and the caller lets each result go once it is merged.
        waiting = iter(targets)
        with ThreadPoolExecutor(max_workers=max(1, self.workers)) as pool:
            pending = {pool.submit(one, t) for t in itertools.islice(waiting, 4 * self.workers)}
            while pending:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    pending.update(pool.submit(one, t) for t in itertools.islice(waiting, 1))
                    yield future.result()

    def running(self) -> int:
        """Repositories being audited right now (for the progress line)."""
        return self._running


def _set_allowed_failures(count: int, dask_scheduler: Any = None) -> None:
    """Runs in the scheduler: how many worker deaths a task may be part of before it is
    given up as a `KilledWorker`."""
    if dask_scheduler is not None:
        dask_scheduler.allowed_failures = count


def _error_of(outcome: Any) -> Any:
    """What a failed task's outcome holds: `as_completed(raise_errors=False)` gives the
    (type, exception, traceback) triple."""
    if isinstance(outcome, tuple) and len(outcome) == 3 and isinstance(outcome[1], BaseException):
        return outcome[1]
    return outcome


def _task_key(index: int, target: RepoTarget) -> str:
    """Unique per run and readable in the dashboard: position and a hash of the target."""
    return f"fastaudit-{index}-{hashlib.sha256(target.shown.encode()).hexdigest()[:12]}"


def preferred_worker(target: RepoTarget, workers: Sequence[str]) -> str | None:
    """The worker a repository goes to when it can: a stable hash of the repository over
    the sorted worker list, so a re-run finds its mirror and caches where it left them."""
    if not workers:
        return None
    digest = hashlib.sha256(target.shown.encode("utf-8")).digest()
    return sorted(workers)[int.from_bytes(digest[:8], "big") % len(workers)]


# Repositories per probe of a re-run: each probe's answer (their stored results) is one
# message, so this bounds what the client holds at once.
PROBE_SIZE = 100


@dataclass
class DaskExecutor:
    """One Dask task per repository on an existing cluster (`scheduler`), or on a local
    cluster started for the run. A worker that dies mid-repository has the repository
    retried on another (the scheduler's `allowed-failures`, `max_attempts` here for a
    local cluster); a repository that keeps killing workers ends `failed`."""

    scheduler: str | None = None
    max_attempts: int = 3
    local_workers: int = 2
    name: str = "dask"
    _client: Any = None
    _cluster: Any = None
    _futures: Any = None
    _threads: int = 1

    def _connect(self) -> Any:
        try:
            import dask
            from distributed import Client, LocalCluster
        except ImportError:
            raise FastauditError(
                "--executor dask needs dask.distributed: pip install 'toolsfast-audit[dask]'"
            ) from None
        dask.config.set({"distributed.scheduler.allowed-failures": max(0, self.max_attempts - 1)})
        try:
            if self.scheduler:
                return Client(self.scheduler, timeout="20s")
            self._cluster = LocalCluster(
                n_workers=self.local_workers,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
            )
            return Client(self._cluster)
        except OSError as exc:
            raise FastauditError(
                f"cannot reach the Dask scheduler {self.scheduler}: {exc}"
            ) from None

    def run(self, targets: Sequence[RepoTarget], options: TaskOptions) -> Iterator[RepoResult]:
        """One result per target as each finishes on the cluster: a window of tasks in flight,
        unchanged repositories answered by one probe per worker, a repository that kills its
        workers `max_attempts` times reported failed."""
        from distributed import as_completed as dask_completed

        self._client = self._connect()
        if self.scheduler:
            # The limit lives in the scheduler; an existing cluster gets this run's value.
            self._client.run_on_scheduler(_set_allowed_failures, max(0, self.max_attempts - 1))
        try:
            described = self._client.scheduler_info().get("workers", {})
            workers = list(described)
            self._threads = sum(int(w.get("nthreads") or 1) for w in described.values()) or 1
            preferred = [preferred_worker(target, workers) for target in targets]
            reused: set[str] = set()
            yield from self._reuse_unchanged(targets, preferred, options, reused)
            # Tasks go to the cluster a window at a time, in plan order, each with its
            # preferred worker: the client and the scheduler hold a window of tasks, not
            # the organisation, and every worker always has some of its own queued.
            waiting = (
                (index, target, preferred[index])
                for index, target in enumerate(targets)
                if target.name not in reused
            )
            window = max(32, 8 * self._threads)
            futures: dict[Any, RepoTarget] = {}
            self._futures = futures
            completed = dask_completed([], with_results=True, raise_errors=False)
            completed.update(self._submit(itertools.islice(waiting, window), options, futures))
            bystanders: list[tuple[int, RepoTarget]] = []
            for future, outcome in completed:
                target = futures.pop(future)
                future.release()
                if len(futures) <= window // 2:
                    top_up = itertools.islice(waiting, window - len(futures))
                    completed.update(self._submit(top_up, options, futures))
                if type(_error_of(outcome)).__name__ == "KilledWorker":
                    # Dask blames every task a dying worker held, queued ones included:
                    # give each one more chance, alone on the cluster, so only the
                    # repository that really kills workers ends failed.
                    bystanders.append((len(targets) + len(bystanders), target))
                    continue
                yield self._result(outcome, target)
            for index, target in bystanders:
                retry = self._client.submit(
                    audit_repository, target, options, key=_task_key(index, target), pure=False
                )
                self._futures = {retry: target}
                ((_, outcome),) = list(
                    dask_completed([retry], with_results=True, raise_errors=False)
                )
                retry.release()
                yield self._result(outcome, target)
        finally:
            self._close()

    def _submit(
        self,
        batch: Iterable[tuple[int, RepoTarget, str | None]],
        options: TaskOptions,
        futures: dict[Any, RepoTarget],
    ) -> list[Any]:
        """One `map` per preferred worker in the batch (one round trip each, not one per
        task). Options travel inside each task, not scattered: scattered data dies with
        the workers that hold it, and every task needing it would be forgotten."""
        by_worker: dict[str | None, list[tuple[int, RepoTarget]]] = {}
        for index, target, preferred in batch:
            by_worker.setdefault(preferred, []).append((index, target))
        submitted = []
        for preferred, group in by_worker.items():
            mapped = self._client.map(
                audit_repository,
                [target for _, target in group],
                [options] * len(group),
                key=[_task_key(index, target) for index, target in group],
                pure=False,
                workers=[preferred] if preferred else None,
                # Dask refuses the flag without `workers` (no worker had joined yet).
                allow_other_workers=preferred is not None,
            )
            futures.update(zip(mapped, (target for _, target in group), strict=True))
            submitted += mapped
        return submitted

    def _reuse_unchanged(
        self,
        targets: Sequence[RepoTarget],
        preferred: Sequence[str | None],
        options: TaskOptions,
        reused: set[str],
    ) -> Iterator[RepoResult]:
        """Ask each worker, in a few tasks, which of its repositories it audited before
        and finds unchanged: their stored results come back at once (their names added to
        `reused`), and only the rest become tasks. Dask's cost per task is what a re-run
        of unchanged repositories would otherwise pay for each one. A probe that fails
        only means those repositories are audited as usual. Results are yielded as each
        probe answers, so the client holds one probe's answer at a time."""
        from distributed import as_completed as dask_completed

        if not options.use_cache:
            return
        by_worker: dict[str, list[RepoTarget]] = {}
        for target, worker in zip(targets, preferred, strict=True):
            if worker is not None and not target.is_url:
                by_worker.setdefault(worker, []).append(target)
        probes = []
        for worker, local in by_worker.items():
            digest = hashlib.sha256(worker.encode("utf-8")).hexdigest()[:12]
            for start in range(0, len(local), PROBE_SIZE):
                probes.append(
                    self._client.submit(
                        reuse_unchanged,
                        local[start : start + PROBE_SIZE],
                        options,
                        key=f"fastaudit-reuse-{digest}-{secrets.token_hex(4)}",
                        pure=False,
                        workers=[worker],
                        allow_other_workers=True,  # elsewhere it finds nothing, never hangs
                    )
                )
        for future, outcome in dask_completed(probes, with_results=True, raise_errors=False):
            future.release()
            for result in outcome if isinstance(outcome, list) else ():
                if isinstance(result, RepoResult):
                    reused.add(result.name)
                    yield result

    def _result(self, outcome: Any, target: RepoTarget) -> RepoResult:
        if isinstance(outcome, RepoResult):
            return outcome
        outcome = _error_of(outcome)
        # KilledWorker, or an error the task raised: the repository failed.
        kind = type(outcome).__name__
        if kind == "KilledWorker":
            reason = f"killed {plural(self.max_attempts, 'worker')} in a row; not retried again"
        else:
            message = str(outcome).splitlines()[0] if str(outcome) else ""
            reason = f"{kind}: {message}"
        return RepoResult(target.name, target.shown, error=reason, failure="worker died")

    def running(self) -> int:
        """Tasks running now: unfinished ones, at most one per cluster thread."""
        # Unfinished tasks beyond the cluster's threads are queued, not running. Counted,
        # not asked of each future: this is called once per result.
        return min(len(self._futures or ()), self._threads)

    def _close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None
