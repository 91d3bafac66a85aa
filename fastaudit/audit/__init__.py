"""The organisation audit: working tree + history of each repository, the inventory
checks, and optionally live verification, folded into one report organised by the best
practices.

One module a step: `plan` turns paths, `--repos-file` lines and clone URLs into named
targets; an executor (`executors`: local threads or a Dask cluster) runs
`task.audit_repository` on each, reusing `cache`d results of unchanged repositories, and
hands back `result.RepoResult`s as they finish; `runner` merges them (recording each in
the run `journal`, so a killed run can `--resume`), runs the inventory checks and
assembles the report.
"""

from fastaudit.audit.plan import plan, read_repos_file
from fastaudit.audit.result import RepoResult, TaskOptions
from fastaudit.audit.runner import AuditResult, audit_report, run, write_reports

__all__ = [
    "AuditResult",
    "RepoResult",
    "TaskOptions",
    "audit_report",
    "plan",
    "read_repos_file",
    "run",
    "write_reports",
]
