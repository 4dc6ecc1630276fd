"""The load and fault benchmark's verdict on a transcript (benchmarks/load_faults.py): what
counts as lost, answered twice, a skipped or a stalled step."""

from __future__ import annotations

import json

from benchmarks.load_faults import Chat, Sent, brain_turns, compare
from bot.brain import MESSAGE_ID
from bot.texts import holding_reply, late_answer_intro
from tests.integration.test_conversations import CATALOGUE

HOLDING = holding_reply("en", "")


def chat_of(*texts: str, last_refused: bool = False) -> Chat:
    """A conversation in English whose person sent `texts`, each accepted (200) but the
    last one when `last_refused` (503 every time)."""
    chat = Chat("c0ffee", "en", CATALOGUE.procedures["lost-eid"])
    for n, text in enumerate(texts):
        refused = last_refused and n == len(texts) - 1
        chat.sent.append(Sent(text, "steady", 0.0, statuses=[(503 if refused else 200, "steady")]))
    return chat


def person(text: str) -> dict[str, str]:
    return {"author": "person", "text": text}


def bot(text: str) -> dict[str, str]:
    return {"author": "bot", "text": text}


def test_a_held_message_answered_late_is_answered_once_one_step_further():
    chat = chat_of("/lost_eid", "next")
    compare(
        chat,
        [
            person("/lost_eid"), bot("Lost card. Step 1 of 4: call DOC STOP."),
            person("next"), bot(HOLDING),
            bot(late_answer_intro("en", "next")), bot("Step 2 of 4: go to the commune."),
        ],
    )  # fmt: skip
    assert chat.transcript_as_sent
    assert [(s.answers, s.step, s.advance) for s in chat.sent] == [(1, 1, 1), (1, 2, 1)]


def test_a_next_answered_twice_shows_as_twice_and_skipped():
    chat = chat_of("/lost_eid", "next", "next")
    compare(
        chat,
        [
            person("/lost_eid"), bot("Step 1 of 4: call DOC STOP."),
            person("next"), bot(HOLDING),
            bot(late_answer_intro("en", "next")), bot("Step 2 of 4: go to the commune."),
            bot(late_answer_intro("en", "next")), bot("Step 3 of 4: bring a photo."),
            person("next"), bot("Step 4 of 4: pay."),
        ],
    )  # fmt: skip
    assert [s.answers for s in chat.sent] == [1, 2, 1]
    assert [s.advance for s in chat.sent[1:]] == [2, 1]  # the skip is the doubled "next" only


def test_a_next_without_a_step_stalls_and_an_unanswered_one_has_no_answer():
    chat = chat_of("/lost_eid", "next", "next")
    compare(
        chat,
        [
            person("/lost_eid"), bot("Step 1 of 4: call DOC STOP."),
            person("next"), bot("Sorry, I have no answer to that."),
            person("next"), bot(HOLDING),
        ],
    )  # fmt: skip
    assert [(s.answers, s.advance) for s in chat.sent] == [(1, 1), (1, 0), (0, 0)]


def test_a_message_stored_twice_or_missing_makes_the_transcript_not_as_sent():
    twice = chat_of("/lost_eid", "next")
    compare(twice, [person("/lost_eid"), person("/lost_eid"), person("next")])
    missing = chat_of("/lost_eid", "next")
    compare(missing, [person("/lost_eid")])
    assert twice.transcript_as_sent is False
    assert missing.transcript_as_sent is False


def test_a_last_message_refused_every_time_may_be_missing():
    chat = chat_of("/lost_eid", "next", last_refused=True)
    compare(chat, [person("/lost_eid"), bot("Step 1 of 4: call DOC STOP.")])
    assert chat.transcript_as_sent


def test_a_topic_whose_first_step_never_came_stalls_and_so_does_every_next():
    chat = chat_of("/lost_eid", "next")
    compare(
        chat,
        [
            person("/lost_eid"), bot("Sorry, I have no answer to that."),
            person("next"), bot("You have not chosen a topic yet."),
        ],
    )  # fmt: skip
    assert [s.advance for s in chat.sent] == [0, 0]


def user(conversation: str, message_id: str) -> tuple[str, str, str]:
    return (conversation, "user", json.dumps({"metadata": {MESSAGE_ID: message_id}}))


def said(conversation: str) -> tuple[str, str, str]:
    return (conversation, "bot", json.dumps({"text": "Step 2 of 6"}))


def test_a_message_taken_again_after_a_turn_with_no_answer_is_not_answered_twice():
    # m1 taken while the action server was down (no answer), sent again, answered once;
    # m2 answered twice; m3 in another conversation, between them, answered once.
    turns = brain_turns(
        [
            user("a", "m1"),
            user("b", "m3"),
            said("b"),
            user("a", "m1"),
            said("a"),
            user("a", "m2"),
            said("a"),
            said("a"),
            user("a", "m2"),
            said("a"),
        ]
    )

    assert turns.taken == {"m1": 2, "m2": 2, "m3": 1}
    assert turns.answered == {"m1": 1, "m2": 2, "m3": 1}
