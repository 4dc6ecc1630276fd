"""The official speech models of the phone line, and `loket voice download` to fetch them.

Per language, a Vosk small model (to hear callers) and a Piper voice (to speak) go into
`voice_dir` under the names `vosk_model_path` and `piper_voice_path` look for: `vosk-<lang>/` and
`piper-<lang>.onnx` with its `piper-<lang>.onnx.json`. Every file is checked against
the digests published for it before anything is installed; a file that does not match
is deleted, never installed.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import logging
import shutil
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from tqdm import tqdm

log = logging.getLogger(__name__)

CHUNK_BYTES = 256 * 1024
TIMEOUT_SECONDS = 60
# A zip is unpacked beside itself before it is moved into place: room for the archive,
# and for its contents (Vosk's models barely compress: counted twice, to be safe).
ZIP_ROOM_FACTOR = 3
MEGABYTE = 1024 * 1024


@dataclass(frozen=True)
class RemoteFile:
    """One file of the catalogue: where it is published, how to check it, where it goes."""

    url: str
    target: str
    """Its name in voice_dir: the folder a zip archive is unpacked to, else the file's."""
    size: int
    """Bytes, as published (the progress bar's length when the server does not say)."""
    checksums: Mapping[str, str]
    """Published digests by hashlib name ("sha256", "md5"); empty when none is known."""

    @property
    def name(self) -> str:
        """The file's name where it is published."""
        return PurePosixPath(urlsplit(self.url).path).name


Catalogue = Mapping[str, tuple[RemoteFile, ...]]

_VOSK = "https://alphacephei.com/vosk/models/"
_PIPER = "https://huggingface.co/rhasspy/piper-voices/resolve/v1.0.0/"

# Digests and sizes, and where they come from:
# - Vosk: md5 and size from Vosk's own model list (model-list.json, the list the vosk
#   package's downloader reads; alphacephei.com publishes no sha256). sha256 as measured
#   and pinned by independent projects that check it (for fr: a Yocto recipe, Sayboard's
#   model catalogue and others; nl and en: Sayboard's catalogue and others).
# - Piper: md5 and size from rhasspy/piper-voices' voices.json (as copied into
#   rhasspy/piper, src/python_run/piper/voices.json): the only digest Piper publishes.
CATALOGUE: Catalogue = {
    "fr": (
        RemoteFile(
            _VOSK + "vosk-model-small-fr-0.22.zip",
            "vosk-fr",
            42_233_323,
            {
                "sha256": "cabf6180e177eb9b3a9a9d43a437bd5e549f3a7d09525e5d69a3fed787be12ad",
                "md5": "8873b1234503f6edd55f54bfff31cf3e",
            },
        ),
        RemoteFile(
            _PIPER + "fr/fr_FR/siwis/medium/fr_FR-siwis-medium.onnx",
            "piper-fr.onnx",
            63_201_294,
            {"md5": "20e876e8c839e9b11a26085858f2300c"},
        ),
        RemoteFile(
            _PIPER + "fr/fr_FR/siwis/medium/fr_FR-siwis-medium.onnx.json",
            "piper-fr.onnx.json",
            7_006,
            {"md5": "ae79606057c9a36af84e3bef86bfffb4"},
        ),
    ),
    "nl": (
        RemoteFile(
            _VOSK + "vosk-model-small-nl-0.22.zip",
            "vosk-nl",
            40_441_176,
            {
                "sha256": "039811c3b829de64e4f123a9f684a53784005b212a346ac0b899dc7efce2ed0a",
                "md5": "4582e1f20d6849099da08511f9797017",
            },
        ),
        RemoteFile(
            _PIPER + "nl/nl_BE/nathalie/medium/nl_BE-nathalie-medium.onnx",
            "piper-nl.onnx",
            63_201_294,
            {"md5": "ab0c38b5f66764b59ad9e3e98b1c2172"},
        ),
        RemoteFile(
            _PIPER + "nl/nl_BE/nathalie/medium/nl_BE-nathalie-medium.onnx.json",
            "piper-nl.onnx.json",
            7_009,
            {"md5": "ed7e4ab955d9514f4274ad93cafe0618"},
        ),
    ),
    "en": (
        RemoteFile(
            _VOSK + "vosk-model-small-en-us-0.15.zip",
            "vosk-en",
            41_205_931,
            {
                "sha256": "30f26242c4eb449f948e42cb302dd7a686cb29a3423a8367f99ff41780942498",
                "md5": "09ab50ccd62b674cbaa231b825f9c1cb",
            },
        ),
        RemoteFile(
            _PIPER + "en/en_GB/alba/medium/en_GB-alba-medium.onnx",
            "piper-en.onnx",
            63_201_294,
            {"md5": "c07f313752bb3aba8061041666251654"},
        ),
        RemoteFile(
            _PIPER + "en/en_GB/alba/medium/en_GB-alba-medium.onnx.json",
            "piper-en.onnx.json",
            7_013,
            {"md5": "58b58c2541079e5ae693f93ffd15becf"},
        ),
    ),
}


class DownloadError(RuntimeError):
    """A download was refused or failed; nothing of the file named was installed."""


@dataclass
class DownloadReport:
    """What a download did: what it installed, and what was already there."""

    installed: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)


def download(
    languages: Iterable[str],
    voice_dir: Path,
    base_url: str | None = None,
    progress: bool = True,
    *,
    allow_unverified: bool = False,
    catalogue: Catalogue = CATALOGUE,
) -> DownloadReport:
    """Fetch, check and install the models of some languages into `voice_dir`.

    `base_url` replaces the origin of every URL (a mirror with the same paths). What is
    already installed is skipped. Raises DownloadError, naming the file, for an unknown
    language, a file without a known digest (unless `allow_unverified`), a failed fetch,
    or a digest that does not match.
    """
    files = _files_of(languages, catalogue)
    _refuse_unverified(files, allow_unverified)
    _ensure_room(_missing(files, voice_dir), voice_dir)
    voice_dir.mkdir(parents=True, exist_ok=True)
    report = DownloadReport()
    for remote in files:
        target = voice_dir / remote.target
        if target.exists():
            log.debug("%s is already there: skipped.", target)
            report.skipped.append(target)
            continue
        _install(remote, _located(remote.url, base_url), target, progress)
        log.debug("Installed %s.", target)
        report.installed.append(target)
    return report


def _files_of(languages: Iterable[str], catalogue: Catalogue) -> list[RemoteFile]:
    """The files to fetch for some languages; every language is checked before any fetch."""
    wanted = list(dict.fromkeys(languages))
    unknown = [language for language in wanted if language not in catalogue]
    if unknown:
        raise DownloadError(
            f"No speech models for {', '.join(unknown)}: the languages are {', '.join(catalogue)}."
        )
    return [remote for language in wanted for remote in catalogue[language]]


def _refuse_unverified(files: list[RemoteFile], allowed: bool) -> None:
    for remote in files:
        if remote.checksums:
            continue
        if not allowed:
            raise DownloadError(
                f"No published checksum is known for {remote.url}, so it cannot be checked. "
                "Nothing was fetched; pass --allow-unverified to install it unchecked."
            )
        log.warning("%s will be installed without a checksum to check it against.", remote.url)


def _missing(files: list[RemoteFile], voice_dir: Path) -> list[RemoteFile]:
    """The files not installed yet: the ones a download fetches."""
    return [remote for remote in files if not (voice_dir / remote.target).exists()]


def _ensure_room(files: list[RemoteFile], voice_dir: Path) -> None:
    """Refuse, before anything is fetched, a download the disk of `voice_dir` cannot hold."""
    needed = sum(
        remote.size * (ZIP_ROOM_FACTOR if remote.url.endswith(".zip") else 1) for remote in files
    )
    free = shutil.disk_usage(_existing_ancestor(voice_dir)).free
    if needed > free:
        raise DownloadError(
            f"Not enough free space for the speech models in {voice_dir}: they need about "
            f"{_megabytes(needed)} MB and {_megabytes(free)} MB are free. Free some space, or "
            "set LOKET_VOICE_DIR to a folder on a disk with more room, then run the command "
            "again. Nothing was fetched."
        )


def _existing_ancestor(path: Path) -> Path:
    """`path`, or its nearest parent that exists: where it will be created."""
    return next(folder for folder in (path, *path.parents) if folder.exists())


def _megabytes(size: int) -> int:
    """Bytes as whole megabytes, rounded up: a need is never understated."""
    return -(-size // MEGABYTE)


def _located(url: str, base_url: str | None) -> str:
    """The URL to fetch: the published one, or the same path on a mirror."""
    return base_url.rstrip("/") + urlsplit(url).path if base_url else url


def _install(remote: RemoteFile, url: str, target: Path, progress: bool) -> None:
    """Fetch into a temporary folder beside the target, check, then move into place.

    The target appears only by the final rename; on any failure or Ctrl-C the temporary
    folder, with whatever was written or unpacked, is removed.
    """
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".download-") as work:
        fetched = Path(work) / remote.name
        _check(remote, url, _fetch(url, fetched, remote, progress))
        if remote.url.endswith(".zip"):
            _unpack(fetched, Path(work) / "unpacked", target)
        else:
            fetched.replace(target)


def _fetch(url: str, destination: Path, remote: RemoteFile, progress: bool) -> dict[str, str]:
    """Stream a URL to a file with a progress bar; the digests of what arrived."""
    digests = {name: hashlib.new(name) for name in remote.checksums}
    try:
        with (
            urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response,
            destination.open("wb") as file,
            tqdm(
                total=int(response.headers.get("Content-Length") or remote.size),
                desc=remote.name,
                unit="B",
                unit_scale=True,
                unit_divisor=1024,
                disable=not progress,
            ) as bar,
        ):
            while chunk := response.read(CHUNK_BYTES):
                file.write(chunk)
                for digest in digests.values():
                    digest.update(chunk)
                bar.update(len(chunk))
    except (OSError, http.client.HTTPException) as error:  # URLError is an OSError
        raise DownloadError(
            f"Could not fetch {url}: {_reason(error)}. Nothing was installed."
        ) from error
    return {name: digest.hexdigest() for name, digest in digests.items()}


def _reason(error: BaseException) -> str:
    """Why a fetch failed, in words ("Connection refused", "HTTP 404: Not Found")."""
    if isinstance(error, urllib.error.HTTPError):
        return f"the server answered {error.code} ({error.reason})"
    if isinstance(error, urllib.error.URLError):
        reason = error.reason
        return getattr(reason, "strerror", None) or str(reason)
    return getattr(error, "strerror", None) or str(error) or type(error).__name__


def _check(remote: RemoteFile, url: str, digests: Mapping[str, str]) -> None:
    for name, expected in remote.checksums.items():
        if digests[name] != expected.lower():
            raise DownloadError(
                f"{url} is not the published file: its {name} is {digests[name]}, "
                f"not {expected}. It was deleted; nothing was installed."
            )


def _unpack(archive: Path, work: Path, target: Path) -> None:
    """Unzip, dropping the archive's top folder, and move the model into place."""
    try:
        with zipfile.ZipFile(archive) as bundle:
            bundle.extractall(work)  # zipfile strips absolute paths and ".." from names
    except zipfile.BadZipFile as error:
        raise DownloadError(f"{archive.name} is not a zip archive: {error}.") from error
    entries = list(work.iterdir())
    top = entries[0] if len(entries) == 1 and entries[0].is_dir() else work
    top.replace(target)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments of `loket voice`: `loket voice download fr nl en`."""
    commands = parser.add_subparsers(dest="voice_command", required=True)
    fetch = commands.add_parser(
        "download", help="fetch the official Vosk models and Piper voices, checked"
    )
    fetch.add_argument("languages", nargs="+", metavar="LANGUAGE", help="fr, nl and/or en")
    fetch.add_argument(
        "--mirror",
        metavar="URL",
        help="fetch from this origin instead (a mirror with the official hosts' paths, "
        "e.g. http://mirror.local/ serving /vosk/models/... and /rhasspy/piper-voices/...)",
    )
    fetch.add_argument(
        "--allow-unverified",
        action="store_true",
        help="install files for which no published checksum is known",
    )


@dataclass(frozen=True)
class LanguageOutcome:
    """What `loket voice download` did for one language."""

    language: str
    report: DownloadReport | None = None  # None: it failed
    error: str = ""


def download_each(
    languages: Iterable[str],
    voice_dir: Path,
    base_url: str | None = None,
    progress: bool = True,
    *,
    allow_unverified: bool = False,
    catalogue: Catalogue = CATALOGUE,
) -> list[LanguageOutcome]:
    """`download` language by language: a failure is noted and the next language tried.

    Raises DownloadError, before anything is fetched, for an unknown language, a file
    without a known digest (unless `allow_unverified`), or a disk without room for all.
    """
    wanted = list(dict.fromkeys(languages))
    files = _files_of(wanted, catalogue)
    _refuse_unverified(files, allow_unverified)
    _ensure_room(_missing(files, voice_dir), voice_dir)
    outcomes = []
    for language in wanted:
        try:
            report = download(
                [language],
                voice_dir,
                base_url,
                progress,
                allow_unverified=allow_unverified,
                catalogue=catalogue,
            )
        except DownloadError as error:
            outcomes.append(LanguageOutcome(language, error=str(error)))
        else:
            outcomes.append(LanguageOutcome(language, report))
    return outcomes


def describe(outcome: LanguageOutcome) -> str:
    """One line on what happened for a language."""
    if outcome.report is None:
        return f"{outcome.language}: FAILED. {outcome.error}"
    installed = ", ".join(path.name for path in outcome.report.installed)
    skipped = ", ".join(path.name for path in outcome.report.skipped)
    done = [f"installed {installed}"] if installed else []
    done += [f"already there: {skipped}"] if skipped else []
    return f"{outcome.language}: {'; '.join(done)}."


def advice(failed: list[str], voice_dir: Path, base_url: str | None) -> list[str]:
    """What to do when some languages could not be fetched."""
    example = failed[0]
    where = f"the mirror {base_url}" if base_url else "alphacephei.com and huggingface.co"
    return [
        f"What to do for {', '.join(failed)}:",
        f"  - check that this machine reaches {where}, then run the command again;",
        "  - or fetch from a mirror that has the same paths: "
        f"loket voice download --mirror URL {' '.join(failed)};",
        f"  - or put the models in place by hand: a Vosk model unzipped as "
        f"{voice_dir / f'vosk-{example}'} (or anywhere, with LOKET_VOSK_MODEL_"
        f"{example.upper()} set to its folder), and a Piper voice as "
        f"{voice_dir / f'piper-{example}.onnx'} with its .onnx.json "
        f"(or LOKET_PIPER_VOICE_{example.upper()}).",
        "Meanwhile calls still work: callers of a language without a Vosk model use the keypad.",
    ]


def run(args: argparse.Namespace, voice_dir: Path) -> int:
    """Carry out `loket voice download` into `voice_dir`; 1 if any language failed."""
    try:
        outcomes = download_each(
            args.languages,
            voice_dir,
            base_url=args.mirror,
            allow_unverified=args.allow_unverified,
        )
    except DownloadError as error:
        print(error)
        return 1
    except KeyboardInterrupt:
        print(f"Stopped. What was being fetched was removed; {voice_dir} holds only whole models.")
        return 130
    for outcome in outcomes:
        print(describe(outcome))
    failed = [outcome.language for outcome in outcomes if outcome.report is None]
    if failed:
        print("\n".join(advice(failed, voice_dir, args.mirror)))
        return 1
    print(f"Speech models are in {voice_dir}.")
    return 0
