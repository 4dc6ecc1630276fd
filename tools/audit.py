"""`make audit`: pip-audit on both lock files; fails on a known vulnerability that has a fix.

Each lock file (the hub's and the brain's) is checked by pip-audit, as pinned, against
the OSV database (https://osv.dev): a package with a known vulnerability that a newer
release fixes fails the audit (exit code 1) and is named with the release to move to.
One without a fix yet is listed, and does not fail it: there is nothing to upgrade to.
Nor does one accepted after review (`requirements/audit-accepted.txt`: its id and why,
for instance a fix that Rasa 3.6's own pins do not allow): it is listed with the reason.

The audit needs to reach the database. Where it cannot (this project's own CI machines
reach only the package index), it does not pass quietly: it exits 2 and says so, or,
with `--skip-if-unreachable` (what `.ci/run` uses), prints that the audit was NOT run
and exits 0, so that CI can run it everywhere and it counts wherever OSV is reachable.

    python -m tools.audit [--osv-url URL] [--accepted FILE] [--skip-if-unreachable] [LOCK_FILE ...]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

OSV_URL = "https://api.osv.dev/v1/query"
REQUIREMENTS = Path(__file__).resolve().parents[1] / "requirements"
LOCK_FILES = (REQUIREMENTS / "hub.lock", REQUIREMENTS / "brain.lock")
ACCEPTED_FILE = REQUIREMENTS / "audit-accepted.txt"
TIMEOUT_SECONDS = 30
FIX_AVAILABLE = "FIX AVAILABLE"  # the verdict that fails the audit


class AuditError(Exception):
    """The audit could not be run: the database cannot be reached, or pip-audit failed."""


class DatabaseUnreachable(AuditError):
    """No answer from the vulnerability database (name resolution, connection, time-out)."""


@dataclass(frozen=True)
class Vulnerability:
    """A known vulnerability of one pinned package."""

    package: str
    version: str
    ids: tuple[str, ...]
    fixed_in: tuple[str, ...]  # the releases that fix it; empty: no fix yet
    summary: str

    def describe(self) -> str:
        fix = f"fixed in {', '.join(self.fixed_in)}" if self.fixed_in else "no fix released yet"
        return f"{self.package} {self.version}: {', '.join(self.ids)} ({fix}): {self.summary}"


@dataclass(frozen=True)
class LockAudit:
    """What the audit found in one lock file."""

    lock: Path
    packages: int
    vulnerabilities: tuple[Vulnerability, ...]


def read_accepted(path: Path) -> dict[str, str]:
    """The advisories accepted after review: each id with the reason given for it."""
    accepted = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            advisory, _, reason = line.strip().partition(" ")
            accepted[advisory] = reason.strip() or "no reason given"
    return accepted


def verdict(found: Vulnerability, accepted: Mapping[str, str]) -> str:
    """What the audit says of it: FIX_AVAILABLE (fails it), accepted (why), or no fix yet."""
    reason = next((accepted[name] for name in found.ids if name in accepted), None)
    if reason is not None:
        return f"accepted ({reason})"
    return FIX_AVAILABLE if found.fixed_in else "no fix yet"


def check_reachable(osv_url: str) -> None:
    """Raise DatabaseUnreachable unless the database answers a query."""
    query = {"package": {"name": "pip", "ecosystem": "PyPI"}, "version": "0"}
    request = urllib.request.Request(osv_url, data=json.dumps(query).encode(), method="POST")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS):
            return
    except urllib.error.HTTPError as error:
        raise AuditError(
            f"the vulnerability database at {osv_url} answered {error.code}"
        ) from error
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise DatabaseUnreachable(f"{osv_url} cannot be reached from here ({reason})") from error


def audit_lock(lock: Path, osv_url: str) -> LockAudit:
    """Run pip-audit on one lock file, its pins as they are (no resolution, no install)."""
    command = [
        sys.executable, "-m", "pip_audit", "--requirement", str(lock), "--no-deps",
        "--disable-pip", "--vulnerability-service", "osv", "--osv-url", osv_url,
        "--format", "json", "--progress-spinner", "off", "--timeout", str(TIMEOUT_SECONDS),
    ]  # fmt: skip
    ran = subprocess.run(command, capture_output=True, text=True, check=False)
    try:
        report = json.loads(ran.stdout)
    except json.JSONDecodeError:
        last_line = (ran.stderr.strip().splitlines() or ["no output"])[-1]
        raise AuditError(f"pip-audit failed on {lock}: {last_line}") from None
    return _lock_audit(lock, report["dependencies"])


def _lock_audit(lock: Path, dependencies: list[dict]) -> LockAudit:
    unchecked = [
        f"{dep['name']} ({dep['skip_reason']})" for dep in dependencies if "skip_reason" in dep
    ]
    if unchecked:
        raise AuditError(f"pip-audit could not check, in {lock}: {', '.join(unchecked)}")
    found = tuple(
        Vulnerability(
            package=dep["name"],
            version=dep["version"],
            ids=(vuln["id"], *vuln.get("aliases", ())),
            fixed_in=tuple(vuln["fix_versions"]),
            summary=vuln.get("description") or "no description",
        )
        for dep in dependencies
        for vuln in dep["vulns"]
    )
    return LockAudit(lock=lock, packages=len(dependencies), vulnerabilities=found)


def report(audits: Sequence[LockAudit], accepted: Mapping[str, str]) -> int:
    """Print what each lock file holds; 1 if a vulnerability not accepted has a fix, else 0."""
    fixable = 0
    for audit in audits:
        known = len(audit.vulnerabilities)
        print(f"{audit.lock}: {audit.packages} packages checked, known vulnerabilities: {known}")
        for found in audit.vulnerabilities:
            said = verdict(found, accepted)
            fixable += said == FIX_AVAILABLE
            print(f"  {said}: {found.describe()}")
    if fixable:
        print(
            f"Audit FAILED: known vulnerabilities with a fix: {fixable}; move to the release named."
        )
        return 1
    print("Audit passed: no known vulnerability with a fix available.")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.audit", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "locks", nargs="*", type=Path, default=list(LOCK_FILES), metavar="LOCK_FILE"
    )
    parser.add_argument("--osv-url", default=OSV_URL, help=f"the OSV query API (default {OSV_URL})")
    parser.add_argument(
        "--accepted",
        type=Path,
        default=ACCEPTED_FILE,
        help="the advisories accepted after review, one per line: its id, then why",
    )
    parser.add_argument(
        "--skip-if-unreachable",
        action="store_true",
        help="exit 0, saying the audit was NOT run, when the database cannot be reached",
    )
    args = parser.parse_args(argv)
    try:
        check_reachable(args.osv_url)
        audits = [audit_lock(lock, args.osv_url) for lock in args.locks]
        return report(audits, read_accepted(args.accepted))
    except DatabaseUnreachable as error:
        print(
            f"Dependency audit NOT RUN: {error}. Run `make audit` where OSV can be reached.",
            file=sys.stderr,
        )
        return 0 if args.skip_if_unreachable else 2
    except AuditError as error:
        print(f"Dependency audit could not run: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
