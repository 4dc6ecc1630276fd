"""Tests of voice/models.py: `loket voice download` against a local HTTP server.

The official hosts cannot be reached from here, so a local aiohttp server plays the
mirror (`--mirror`), serving small stand-ins at the official paths: a zip holding a
model tree, and small .onnx and .onnx.json files. Where a test must accept those
stand-ins, the catalogue is the official one with its digests replaced by theirs.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import logging
import shutil
import socket
import zipfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from aiohttp import ClientSession, web
from aiohttp.test_utils import TestServer

from bot.channels.phone.speech import speech_models
from bot.settings import LANGUAGES, Settings, get_settings
from voice import models
from voice.models import (
    CATALOGUE,
    Catalogue,
    DownloadError,
    RemoteFile,
    describe,
    download,
    download_each,
)

ONNX = b"\x08\x07stand-in for a Piper voice" * 100
CONFIG = b'{"audio": {"sample_rate": 22050}}'
ZIP_DATE = (2022, 1, 1, 0, 0, 0)


def model_zip() -> bytes:
    """A zip shaped like Vosk's: everything under one top folder.

    Its entries carry a fixed date: with the current one, two zips built a second
    apart differ, and the mirror's would not match the digest the catalogue expects.
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        for name, content in [
            ("am/final.mdl", b"acoustic model"),
            ("conf/mfcc.conf", b"--use-energy=false\n"),
            ("graph/HCLr.fst", b"graph"),
        ]:
            entry = zipfile.ZipInfo(f"vosk-model-small-xx-0.22/{name}", date_time=ZIP_DATE)
            bundle.writestr(entry, content)
    return buffer.getvalue()


def stand_in(remote: RemoteFile) -> bytes:
    if remote.url.endswith(".zip"):
        return model_zip()
    return CONFIG if remote.url.endswith(".json") else ONNX


def path_of(remote: RemoteFile) -> str:
    return urlsplit(remote.url).path


class Mirror:
    """A local server with a stand-in at the path of every file of the catalogue."""

    def __init__(self) -> None:
        self.files = {path_of(remote): stand_in(remote) for remote in all_files(CATALOGUE)}
        self.requests: list[str] = []
        self.chunked = False  # True: answers without Content-Length
        app = web.Application()
        app.router.add_get("/{path:.*}", self.serve)
        self.server = TestServer(app)

    @property
    def url(self) -> str:
        return str(self.server.make_url("/")).rstrip("/")

    async def serve(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(request.path)
        body = self.files.get(request.path)
        if body is None:
            raise web.HTTPNotFound()
        if not self.chunked:
            return web.Response(body=body)
        response = web.StreamResponse()
        response.enable_chunked_encoding()
        await response.prepare(request)
        await response.write(body)
        return response


def all_files(catalogue: Catalogue) -> list[RemoteFile]:
    return [remote for files in catalogue.values() for remote in files]


def digests_of(data: bytes) -> dict[str, str]:
    return {"sha256": hashlib.sha256(data).hexdigest(), "md5": hashlib.md5(data).hexdigest()}


def accepting_stand_ins() -> Catalogue:
    """The official catalogue, with the digests of the stand-ins."""
    return {
        language: tuple(replace(remote, checksums=digests_of(stand_in(remote))) for remote in files)
        for language, files in CATALOGUE.items()
    }


@pytest.fixture
async def mirror() -> AsyncIterator[Mirror]:
    mirror = Mirror()
    await mirror.server.start_server()
    yield mirror
    await mirror.server.close()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(voice_dir=tmp_path / "voice", _env_file=None)


async def fetch(languages: list[str], settings: Settings, mirror: Mirror, **options):
    """Run a download (blocking code) while the mirror keeps serving on this loop."""
    options.setdefault("catalogue", accepting_stand_ins())
    return await asyncio.to_thread(download, languages, settings.voice_dir, mirror.url, **options)


def leftovers(folder: Path) -> list[str]:
    return [path.name for path in folder.iterdir() if path.name.startswith(".")]


async def test_models_are_installed_under_the_names_the_settings_look_for(settings, mirror):
    report = await fetch(["fr", "nl"], settings, mirror)

    voice_dir = settings.voice_dir
    assert sorted(path.name for path in report.installed) == [
        "piper-fr.onnx",
        "piper-fr.onnx.json",
        "piper-nl.onnx",
        "piper-nl.onnx.json",
        "vosk-fr",
        "vosk-nl",
    ]
    assert (voice_dir / "vosk-fr" / "conf" / "mfcc.conf").is_file(), "zip's top folder dropped"
    assert (voice_dir / "vosk-nl" / "am" / "final.mdl").read_bytes() == b"acoustic model"
    assert (voice_dir / "piper-fr.onnx").read_bytes() == ONNX
    assert (voice_dir / "piper-nl.onnx.json").read_bytes() == CONFIG
    assert leftovers(voice_dir) == []
    assert speech_models(settings).missing() == ["en"]
    assert "/vosk/models/vosk-model-small-fr-0.22.zip" in mirror.requests, "official paths"


async def test_a_second_download_skips_what_is_there(settings, mirror):
    await fetch(["en"], settings, mirror)
    fetched = len(mirror.requests)

    report = await fetch(["en"], settings, mirror)

    assert report.installed == []
    assert sorted(path.name for path in report.skipped) == [
        "piper-en.onnx",
        "piper-en.onnx.json",
        "vosk-en",
    ]
    assert len(mirror.requests) == fetched


@pytest.mark.parametrize("corrupted", ["vosk-model-small-fr-0.22.zip", "fr_FR-siwis-medium.onnx"])
async def test_a_file_that_does_not_match_its_digest_is_refused(settings, mirror, corrupted):
    path = next(path for path in mirror.files if path.endswith("/" + corrupted))
    mirror.files[path] = mirror.files[path][:-1] + b"!"

    with pytest.raises(DownloadError, match=corrupted) as refused:
        await fetch(["fr"], settings, mirror)

    assert "nothing was installed" in str(refused.value)
    installed = sorted(path.name for path in settings.voice_dir.iterdir())
    assert leftovers(settings.voice_dir) == []
    target = "vosk-fr" if corrupted.endswith(".zip") else "piper-fr.onnx"
    assert target not in installed


async def test_progress_is_shown_when_the_server_does_not_say_the_length(settings, mirror):
    mirror.chunked = True
    async with (
        ClientSession() as client,
        client.get(mirror.url + path_of(CATALOGUE["nl"][1])) as response,
    ):
        assert "Content-Length" not in response.headers

    report = await fetch(["nl"], settings, mirror, progress=True)

    assert len(report.installed) == 3
    assert (settings.voice_dir / "piper-nl.onnx").read_bytes() == ONNX


async def test_an_unknown_language_is_refused_before_anything_is_fetched(settings, mirror):
    with pytest.raises(
        DownloadError, match=r"No speech models for de: the languages are fr, nl, en"
    ):
        await fetch(["fr", "de"], settings, mirror)

    assert mirror.requests == []
    assert not settings.voice_dir.exists()


async def test_a_file_without_a_known_digest_is_only_installed_when_allowed(settings, mirror):
    unverified = {
        "nl": tuple(replace(remote, checksums={}) for remote in accepting_stand_ins()["nl"])
    }

    with pytest.raises(DownloadError, match="--allow-unverified"):
        await fetch(["nl"], settings, mirror, catalogue=unverified)
    assert mirror.requests == []

    report = await fetch(["nl"], settings, mirror, catalogue=unverified, allow_unverified=True)
    assert len(report.installed) == 3


def test_every_official_file_has_a_published_digest_and_its_place():
    assert list(CATALOGUE) == list(LANGUAGES)
    for language, files in CATALOGUE.items():
        assert [remote.target for remote in files] == [
            f"vosk-{language}",
            f"piper-{language}.onnx",
            f"piper-{language}.onnx.json",
        ]
        for remote in files:
            assert remote.url.startswith("https://")
            assert remote.checksums, f"{remote.url} would be installed unchecked"
            for name, digest in remote.checksums.items():
                assert len(digest) == hashlib.new(name).digest_size * 2
                assert int(digest, 16) >= 0


@pytest.fixture
def cli_settings(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """`loket` reads its settings from the environment, and sets up logging for itself."""
    monkeypatch.setenv("LOKET_VOICE_DIR", str(settings.voice_dir))
    get_settings.cache_clear()
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield settings
    root.handlers[:], root.level = handlers, level
    get_settings.cache_clear()


async def test_the_command_refuses_files_that_are_not_the_official_ones(cli_settings, mirror):
    from bot.cli import main

    # The mirror's stand-ins are not the published files: the real digests refuse them.
    status = await asyncio.to_thread(main, ["voice", "download", "--mirror", mirror.url, "en"])

    assert status == 1
    assert mirror.requests == ["/vosk/models/vosk-model-small-en-us-0.15.zip"]
    assert list(cli_settings.voice_dir.iterdir()) == []


def closed_port_url() -> str:
    """An address on this machine where nothing listens: a fetch is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


async def test_every_language_is_tried_and_each_one_reported(settings, mirror):
    for path in [path for path in mirror.files if "/nl/" in path or "small-nl" in path]:
        del mirror.files[path]

    outcomes = await asyncio.to_thread(
        download_each,
        ["fr", "nl", "en"],
        settings.voice_dir,
        mirror.url,
        False,
        catalogue=accepting_stand_ins(),
    )

    assert [(o.language, o.report is not None) for o in outcomes] == [
        ("fr", True),
        ("nl", False),
        ("en", True),
    ]
    assert "404" in outcomes[1].error and "vosk-model-small-nl-0.22.zip" in outcomes[1].error
    assert describe(outcomes[0]).startswith("fr: installed vosk-fr, piper-fr.onnx")
    assert describe(outcomes[1]).startswith("nl: FAILED. Could not fetch")
    assert leftovers(settings.voice_dir) == []


async def test_without_a_network_the_command_says_what_to_do_for_each_language(
    cli_settings, capsys
):
    from bot.cli import main

    status = await asyncio.to_thread(
        main, ["voice", "download", "--mirror", closed_port_url(), "fr", "nl", "en"]
    )

    out = capsys.readouterr().out
    assert status == 1
    for language in ["fr", "nl", "en"]:
        assert f"{language}: FAILED. Could not fetch" in out
    assert "Connection refused" in out and "urlopen error" not in out
    assert "What to do for fr, nl, en:" in out
    assert "--mirror URL" in out and "LOKET_VOSK_MODEL_FR" in out
    assert "keypad" in out
    assert [path.name for path in cli_settings.voice_dir.iterdir()] == []


def with_free_space(monkeypatch: pytest.MonkeyPatch, free: int) -> None:
    """The disk of the voice folder has `free` bytes left, whatever this machine has."""
    usage = shutil.disk_usage("/")
    fake = type(usage)(usage.total, usage.total - free, free)
    monkeypatch.setattr(models.shutil, "disk_usage", lambda path: fake)


async def test_a_disk_without_room_is_refused_before_anything_is_fetched(
    settings, mirror, monkeypatch
):
    with_free_space(monkeypatch, 5 * 1024 * 1024)

    with pytest.raises(DownloadError) as refused:
        await fetch(["fr"], settings, mirror, catalogue=CATALOGUE)

    message = str(refused.value)
    assert f"Not enough free space for the speech models in {settings.voice_dir}" in message
    assert "5 MB are free" in message and "LOKET_VOICE_DIR" in message
    assert "Nothing was fetched" in message
    assert mirror.requests == []


async def test_the_room_needed_counts_only_what_is_not_there_yet(settings, mirror, monkeypatch):
    await fetch(["fr"], settings, mirror)
    with_free_space(monkeypatch, 0)

    report = await fetch(["fr"], settings, mirror)

    assert report.installed == [] and len(report.skipped) == 3


async def test_the_command_says_how_much_room_it_needs_for_all_languages(
    cli_settings, mirror, monkeypatch, capsys
):
    from bot.cli import main

    with_free_space(monkeypatch, 200 * 1024 * 1024)  # enough for one language, not three
    status = await asyncio.to_thread(
        main, ["voice", "download", "--mirror", mirror.url, "fr", "nl", "en"]
    )

    out = capsys.readouterr().out
    assert status == 1
    assert "Not enough free space" in out and "200 MB are free" in out
    assert mirror.requests == []


@pytest.mark.parametrize("stage", ["_check", "_unpack"])
async def test_ctrl_c_leaves_no_half_written_model(settings, mirror, monkeypatch, stage):
    """Interrupted after the archive arrived, or while it is unpacked: nothing is left."""

    def interrupt(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(models, stage, interrupt)

    with pytest.raises(KeyboardInterrupt):
        await fetch(["fr"], settings, mirror)

    assert mirror.requests == ["/vosk/models/vosk-model-small-fr-0.22.zip"]
    assert list(settings.voice_dir.iterdir()) == []
