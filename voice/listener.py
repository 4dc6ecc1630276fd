"""The caller's side of a call's audio: frames in, recognition events out.

Recognition is CPU-bound, so it runs in a worker thread while the event loop goes on
sending Loket's audio; those threads give way to the rest, and hear a caller who has
stopped talking before those still talking (voice/threads.py). Frames that arrive while
the recognisers are busy are heard together next time, so a slow moment never builds a
backlog of small jobs. Audio that arrives before the call's first recognisers are ready
(one may take seconds to make on a busy machine) is kept for them: a caller who speaks
at once is still heard.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Mapping
from concurrent.futures import Future

from voice.audio import ulaw_to_pcm16
from voice.languages import Language
from voice.recognition import Partial, Recogniser, RecognitionEvent, SpeechStarted, Utterance
from voice.threads import RecognitionThreads

Report = Callable[[RecognitionEvent, float], None]
"""Receives each event with the time (event loop clock) its audio arrived."""
Release = Callable[[Recogniser], None]
"""Receives each recogniser the listener is done with (`Recogniser.close` by default)."""

EARLY_AUDIO_PIECES = 500
"""Pieces of audio kept until the first recognisers listen: 10 s of Twilio's 20-ms frames."""
_RECOGNITION = RecognitionThreads("recognition")  # shared by all calls


class Listener:
    """Feeds one call's audio to its recognisers and reports what they hear.

    At the language menu several recognisers listen at once, one per language; the
    listener then reports one caller, not three: one `SpeechStarted`, and one
    `Utterance` holding each recogniser's words on a line of its own.
    """

    def __init__(self, report: Report, release: Release = Recogniser.close) -> None:
        self._report = report
        self._release = release
        self._recognisers: dict[Language, Recogniser] = {}
        self._audio: asyncio.Queue[tuple[bytes, float]] = asyncio.Queue()
        # Until the first `listen_with`: the caller's audio, for the recognisers to come.
        self._early: deque[tuple[bytes, float]] | None = deque(maxlen=EARLY_AUDIO_PIECES)
        self._lock = asyncio.Lock()  # recognisers change only between two pieces of work
        self._work: Future[list[tuple[RecognitionEvent, float]]] | None = None
        self._speaking = False  # some recogniser reported SpeechStarted, none an Utterance yet
        self._partials: dict[Language, str] = {}

    @property
    def recognisers(self) -> Mapping[Language, Recogniser]:
        """The recognisers listening now, by language."""
        return dict(self._recognisers)

    def hear(self, ulaw: bytes) -> None:
        """Take the next piece of the caller's audio (mu-law). Before the first recognisers
        listen, it is kept for them; afterwards, it is dropped when nothing listens."""
        piece = (ulaw, asyncio.get_running_loop().time())
        if self._recognisers:
            self._audio.put_nowait(piece)
        elif self._early is not None:
            self._early.append(piece)

    async def listen_with(self, recognisers: Mapping[Language, Recogniser]) -> None:
        """Listen with these recognisers from now on; the others are released."""
        async with self._lock:
            await self._finish_work()
            for language, recogniser in self._recognisers.items():
                if recognisers.get(language) is not recogniser:
                    self._release(recogniser)
            self._recognisers = dict(recognisers)
            self._speaking = False
            self._partials.clear()
            early, self._early = self._early or (), None
            for piece in early if recognisers else ():
                self._audio.put_nowait(piece)

    async def run(self) -> None:
        """Recognise the audio as it comes, until cancelled."""
        while True:
            pieces = [await self._audio.get()]
            while not self._audio.empty():
                pieces.append(self._audio.get_nowait())
            async with self._lock:
                submit = _RECOGNITION.submit_first if self._paused(pieces) else _RECOGNITION.submit
                self._work = submit(self._recognise_pieces, pieces)
                # Shielded: cancelled, a thread may still be at it (see close()).
                events = await asyncio.shield(asyncio.wrap_future(self._work))
            for event, at in events:
                self._report(event, at)

    async def close(self) -> None:
        """Release every recogniser; the call is over, so this does not wait for them.

        Audio still waiting for a thread is dropped: nobody is there to hear the answer,
        and on a busy machine it could wait long (the call's line would stay taken
        meanwhile). Audio a thread is recognising now is let finish, and its recognisers
        are released then: a recogniser goes back to the pool only when no thread uses it.
        """
        async with self._lock:
            recognisers = list(self._recognisers.values())
            self._recognisers, self._early = {}, None
            work, self._work = self._work, None
        if work is None or work.cancel() or work.done():
            self._release_all(recognisers)
        else:
            loop = asyncio.get_running_loop()
            work.add_done_callback(
                lambda _: loop.call_soon_threadsafe(self._release_all, recognisers)
            )

    def _release_all(self, recognisers: list[Recogniser]) -> None:
        for recogniser in recognisers:
            self._release(recogniser)

    def _paused(self, pieces: list[tuple[bytes, float]]) -> bool:
        """Whether the caller is quiet in the last of these pieces: their answer may be
        waiting for the rest to be heard."""
        last = ulaw_to_pcm16(pieces[-1][0])
        return all(recogniser.is_quiet(last) for recogniser in self._recognisers.values())

    async def _finish_work(self) -> None:
        if self._work is not None:
            await asyncio.wait([asyncio.wrap_future(self._work)])

    def _recognise_pieces(
        self, pieces: list[tuple[bytes, float]]
    ) -> list[tuple[RecognitionEvent, float]]:
        """Runs in a worker thread. Each event comes with the arrival of the piece it was
        heard in: pieces that waited while the recognisers were busy keep their own time."""
        return [
            (event, at) for ulaw, at in pieces for event in self._recognise(ulaw_to_pcm16(ulaw))
        ]

    def _recognise(self, pcm: bytes) -> list[RecognitionEvent]:
        heard = {language: r.accept(pcm) for language, r in self._recognisers.items()}
        if len(heard) == 1:
            return next(iter(heard.values()))
        return self._as_one_caller(heard)

    def _as_one_caller(
        self, heard: Mapping[Language, list[RecognitionEvent]]
    ) -> list[RecognitionEvent]:
        """Merge what several recognisers heard of the same audio."""
        merged: list[RecognitionEvent] = []
        finished: dict[Language, str] = {}
        for language, events in heard.items():
            for event in events:
                if isinstance(event, SpeechStarted) and not self._speaking:
                    self._speaking = True
                    merged.append(event)
                elif isinstance(event, Partial):
                    self._partials[language] = event.text
                elif isinstance(event, Utterance):
                    finished[language] = event.text
        if finished:
            # The first recogniser to finish ends the sentence for all: the others give
            # what they heard so far, and start afresh rather than finish it later.
            for language, recogniser in self._recognisers.items():
                if language not in finished:
                    finished[language] = self._partials.get(language, "")
                    recogniser.reset()
            merged.append(Utterance("\n".join(text for text in finished.values() if text)))
            self._speaking = False
            self._partials.clear()
        elif any(isinstance(event, Partial) for events in heard.values() for event in events):
            merged.append(Partial("\n".join(self._partials.values())))
        return merged
