"""The phone line's speech: audio frames in, words out; words in, audio frames out.

Everything here runs on our own servers (no caller audio leaves them): Vosk recognises the
caller, Piper or espeak-ng speaks. `media_stream` is the only module that knows
Twilio's wire format. This package imports nothing from bot/: the phone channel
(bot/channels/phone/) uses it and owns the call's dialogue.
"""
