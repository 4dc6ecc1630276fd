"""Loket's voice in one call: lines in, paced audio frames out, and what the caller heard.

Twilio plays whatever it is sent, as fast as it is sent, and says when a point of the
audio has been played only through the marks it echoes. So the player sends 20 ms frames
paced to real time, never more than `LEAD_SECONDS` ahead of the caller's ear (a barge-in
then has little to clear), and a mark after each sentence: Loket has finished speaking
when the last mark comes back, not when the last frame goes out. A mark that does not
come back within `mark_wait_seconds` of when its audio should have played counts as
played: a stream that stopped echoing marks never holds the call.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from contextlib import aclosing
from typing import Any

from voice.audio import FRAME_MS, split_frames
from voice.line import Line
from voice.media_stream import clear_message, mark_message, media_message
from voice.synthesis import Speaker, SynthesisError

log = logging.getLogger(__name__)

LEAD_SECONDS = 0.25
"""Audio sent ahead of what the caller hears: rides out network jitter, little to clear."""
MARK_WAIT_SECONDS = 5.0
"""Default wait for a mark past the moment its audio should have played."""
_FRAME_SECONDS = FRAME_MS / 1000

Send = Callable[[str], Awaitable[None]]
Spawn = Callable[[Coroutine[Any, Any, None]], asyncio.Task[None]]


class Player:
    """Speaks lines into one call, one after the other, until interrupted.

    `spawn` runs each playback as a task its owner keeps track of; `on_idle` is called
    when the caller has heard everything (the last mark came back), `on_audio` with the
    time each playback's first frame went out, and `on_synthesis` with how long the
    speaker took to the first audio of each line.
    """

    def __init__(
        self,
        send: Send,
        speaker: Speaker,
        spawn: Spawn,
        on_idle: Callable[[], None],
        on_audio: Callable[[float], None],
        on_synthesis: Callable[[float], None],
        mark_wait_seconds: float = MARK_WAIT_SECONDS,
    ) -> None:
        self.stream_sid = ""
        """Twilio's stream, set when it starts: every message names it."""
        self.since: float | None = None
        """When Loket started speaking (event loop time), None while silent."""
        self.sentences_heard = 0
        """Sentences the caller heard to the end, as Twilio's marks tell."""
        self._send = send
        self._speaker = speaker
        self._spawn = spawn
        self._on_idle = on_idle
        self._on_audio = on_audio
        self._on_synthesis = on_synthesis
        self._playing: list[asyncio.Task[None]] = []
        self._unheard: set[str] = set()  # marks sent whose audio Twilio has not played yet
        self._mark_wait = mark_wait_seconds
        self._overdue: dict[str, asyncio.TimerHandle] = {}  # per unheard mark: when to give up
        self._mark_names = (f"loket-{n}" for n in itertools.count(1))
        self._heard_by = 0.0  # when the caller will have heard every frame sent so far
        self._first_frame = False  # the next frame is a playback's first
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def busy(self) -> bool:
        """Whether Loket is speaking: audio still to send, or sent and not yet played."""
        return bool(self._playing or self._unheard)

    def play(self, lines: Sequence[Line], slow: bool = False) -> None:
        """Say `lines` once what is being said now has been said; return at once."""
        if not self.busy:
            self.since = asyncio.get_running_loop().time()
        self._idle.clear()
        after = self._playing[-1] if self._playing else None
        self._playing.append(self._spawn(self._play(after, lines, slow)))

    async def played(self) -> None:
        """Wait until the caller has heard everything, or Loket was interrupted."""
        await self._idle.wait()

    async def interrupt(self) -> bool:
        """Stop at once: send nothing more and have Twilio drop what it has not played.

        Returns False when Loket was silent anyway (nothing is sent then).
        """
        if not self.busy:
            return False
        playing, self._playing = self._playing, []
        for task in playing:
            task.cancel()
        if playing:  # busy may only mean marks not yet echoed: nothing left to stop
            await asyncio.wait(playing)
        # Twilio echoes the marks of cleared audio too: forgotten, they are not "heard".
        self._forget_marks()
        self._heard_by = 0.0
        await self._send(clear_message(self.stream_sid))
        self._became_silent(heard=False)
        return True

    def on_mark(self, name: str) -> None:
        """Twilio has played the audio up to our mark `name`."""
        if name in self._unheard:
            self._unheard.discard(name)
            self._overdue.pop(name).cancel()
            self.sentences_heard += 1
            self._check_silent()

    def close(self) -> None:
        """The call is over: wait for no mark any more, and let go of whoever waits in
        `played` (a playback cancelled with the call never reaches its end)."""
        self._forget_marks()
        self._idle.set()

    async def _play(
        self, after: asyncio.Task[None] | None, lines: Sequence[Line], slow: bool
    ) -> None:
        task = asyncio.current_task()
        try:
            if after is not None:
                await asyncio.wait([after])  # "one moment" ends its sentence before the answer
            self._first_frame = True
            for line in lines:
                await self._say(line, slow)
        finally:  # (an interrupted playback was let go already)
            self._playing = [other for other in self._playing if other is not task]
        self._check_silent()

    async def _say(self, line: Line, slow: bool) -> None:
        """Send the line sentence by sentence, with a mark after each."""
        loop = asyncio.get_running_loop()
        asked: float | None = loop.time()
        try:
            async with aclosing(self._speaker.stream(line.text, line.language, slow)) as audio:
                async for sentence in audio:
                    if asked is not None:
                        self._on_synthesis(loop.time() - asked)
                        asked = None
                    for frame in split_frames(sentence):
                        await self._send_paced(frame)
                    await self._mark()
        except SynthesisError as error:  # the call goes on: the caller can ask again
            log.error("A line in %s could not be spoken: %s", line.language, error)

    async def _send_paced(self, frame: bytes) -> None:
        loop = asyncio.get_running_loop()
        ahead = self._heard_by - loop.time()
        if ahead > LEAD_SECONDS:
            await asyncio.sleep(ahead - LEAD_SECONDS)
        await self._send(media_message(self.stream_sid, frame))
        if self._first_frame:
            self._first_frame = False
            self._on_audio(loop.time())
        self._heard_by = max(self._heard_by, loop.time()) + _FRAME_SECONDS

    async def _mark(self) -> None:
        name = next(self._mark_names)
        self._unheard.add(name)
        loop = asyncio.get_running_loop()
        due = max(self._heard_by, loop.time()) + self._mark_wait
        self._overdue[name] = loop.call_at(due, self._mark_overdue, name)
        await self._send(mark_message(self.stream_sid, name))

    def _mark_overdue(self, name: str) -> None:
        """Twilio never said it played a sentence: go on as if it had."""
        del self._overdue[name]
        self._unheard.discard(name)
        log.warning("No mark from Twilio %.0f s after a sentence; going on", self._mark_wait)
        self._check_silent()

    def _forget_marks(self) -> None:
        self._unheard.clear()
        for timer in self._overdue.values():
            timer.cancel()
        self._overdue.clear()

    def _check_silent(self) -> None:
        if not self.busy and not self._idle.is_set():
            self._became_silent(heard=True)

    def _became_silent(self, heard: bool) -> None:
        self.since = None
        self._idle.set()
        if heard:
            self._on_idle()
