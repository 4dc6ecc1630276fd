"""Exhaustive tests of the conversation state machine (bot/conversations/states.py).

The expected table is written out here, independently of the module's own table:
every (state, move) pair of the full cross product either lands on the documented
target or is refused with MoveRefused.
"""

from __future__ import annotations

import itertools

import pytest

from bot.conversations.model import State
from bot.conversations.states import Move, MoveRefused, allowed_moves, transition

BOT = State.BOT
WAITING = State.WAITING_FOR_AGENT
WITH_AGENT = State.WITH_AGENT
CLOSED = State.CLOSED

# The documented moves (module docstring and issue 8), and nothing else.
EXPECTED: dict[tuple[State, Move], State] = {
    (BOT, Move.ASK): WAITING,
    (BOT, Move.URGENT): WAITING,
    (BOT, Move.LEAVE): CLOSED,
    (WAITING, Move.URGENT): WAITING,  # an urgent topic moves it up the queue
    (WAITING, Move.TAKE): WITH_AGENT,
    (WAITING, Move.CANCEL): BOT,
    (WAITING, Move.CALLBACK): BOT,
    (WAITING, Move.CLOSE): CLOSED,
    (WAITING, Move.LEAVE): CLOSED,
    (WITH_AGENT, Move.RELEASE): WAITING,
    (WITH_AGENT, Move.HAND_BACK): BOT,
    (WITH_AGENT, Move.CLOSE): CLOSED,
    (WITH_AGENT, Move.LEAVE): CLOSED,
    (CLOSED, Move.REOPEN): BOT,
}

ALL_PAIRS = list(itertools.product(State, Move))


def test_the_cross_product_is_complete() -> None:
    """4 states x 10 moves: a new state or move must be added to the table above."""
    assert len(State) == 4
    assert len(Move) == 10
    assert len(ALL_PAIRS) == 40
    assert set(EXPECTED) <= set(ALL_PAIRS)


@pytest.mark.parametrize(("state", "move"), ALL_PAIRS, ids=lambda v: str(v))
def test_every_pair_is_the_documented_target_or_refused(state: State, move: Move) -> None:
    if (state, move) in EXPECTED:
        assert transition(state, move) is EXPECTED[(state, move)]
        return
    with pytest.raises(MoveRefused) as refused:
        transition(state, move)
    assert refused.value.state is state
    assert refused.value.move is move
    assert str(refused.value) == f"cannot {move.value} a conversation that is {state.value}"


@pytest.mark.parametrize(("state", "move"), ALL_PAIRS, ids=lambda v: str(v))
def test_transition_accepts_the_stored_string(state: State, move: Move) -> None:
    """The store keeps the state as text: "bot" works like State.BOT."""
    if (state, move) in EXPECTED:
        assert transition(state.value, move) is EXPECTED[(state, move)]
    else:
        with pytest.raises(MoveRefused):
            transition(state.value, move)


def test_an_unknown_state_is_not_silently_accepted() -> None:
    with pytest.raises(ValueError, match="nowhere"):
        transition("nowhere", Move.ASK)


@pytest.mark.parametrize("state", list(State), ids=str)
def test_allowed_moves_match_the_table(state: State) -> None:
    expected = {move for (source, move) in EXPECTED if source is state}
    assert allowed_moves(state) == frozenset(expected)
    assert allowed_moves(state.value) == frozenset(expected)


@pytest.mark.parametrize("state", list(State), ids=str)
def test_allowed_moves_are_exactly_those_transition_accepts(state: State) -> None:
    accepted = set()
    for move in Move:
        try:
            transition(state, move)
        except MoveRefused:
            continue
        accepted.add(move)
    assert allowed_moves(state) == frozenset(accepted)


# ---------------------------------------------------------------- user-visible rules


def test_with_agent_goes_back_to_the_queue_only_through_release() -> None:
    """An agent's conversation cannot be put back in the queue without releasing it."""
    into_queue = {move for move in Move if EXPECTED.get((WITH_AGENT, move)) is WAITING}
    assert into_queue == {Move.RELEASE}
    for move in (Move.ASK, Move.URGENT, Move.TAKE, Move.CANCEL, Move.CALLBACK):
        with pytest.raises(MoveRefused):
            transition(WITH_AGENT, move)
    assert transition(WITH_AGENT, Move.RELEASE) is WAITING


def test_closed_only_reopens_and_reopens_with_the_bot() -> None:
    assert allowed_moves(CLOSED) == frozenset({Move.REOPEN})
    assert transition(CLOSED, Move.REOPEN) is BOT
    for move in set(Move) - {Move.REOPEN}:
        with pytest.raises(MoveRefused):
            transition(CLOSED, move)


def test_only_a_closed_conversation_reopens() -> None:
    for state in (BOT, WAITING, WITH_AGENT):
        with pytest.raises(MoveRefused):
            transition(state, Move.REOPEN)


def test_an_agent_takes_only_from_the_queue() -> None:
    assert {s for s in State if Move.TAKE in allowed_moves(s)} == {WAITING}


def test_the_person_can_leave_from_every_open_state() -> None:
    for state in (BOT, WAITING, WITH_AGENT):
        assert transition(state, Move.LEAVE) is CLOSED


def test_the_bot_is_never_closed_by_an_agent() -> None:
    """An agent closes what a person handles; a bot conversation ends when the person leaves."""
    with pytest.raises(MoveRefused):
        transition(BOT, Move.CLOSE)


def test_a_whole_handoff_round_trip() -> None:
    state = BOT
    for move, expected in [
        (Move.ASK, WAITING),
        (Move.URGENT, WAITING),
        (Move.TAKE, WITH_AGENT),
        (Move.RELEASE, WAITING),
        (Move.TAKE, WITH_AGENT),
        (Move.HAND_BACK, BOT),
        (Move.ASK, WAITING),
        (Move.CALLBACK, BOT),
        (Move.LEAVE, CLOSED),
        (Move.REOPEN, BOT),
    ]:
        state = transition(state, move)
        assert state is expected
