"""Who answers a person: the one state machine of every conversation, on every channel.

```
        ask / urgent             take                 hand_back
  bot ───────────────> waiting ─────────> with_agent ───────────> bot
   ^                    │  ^                 │    │
   └── cancel / ────────┘  └──── release ────┘    └── close ──> closed
       callback                (agent gone, let go)
```

Any state may be closed when the person leaves (a call hangs up); a closed conversation
opens again, with the bot, when the person writes again. `transition` is the only way
a state changes: it refuses every other move, so no code path can, for example, put a
conversation an agent holds back in the queue without releasing it first.
"""

from __future__ import annotations

from enum import StrEnum

from bot.conversations.model import State


class Move(StrEnum):
    """What happens to a conversation."""

    ASK = "ask"  # the person asks for a person (or accepts the offer of one)
    URGENT = "urgent"  # a topic that always goes to a person (distress, violence)
    TAKE = "take"  # an agent takes it from the queue
    CANCEL = "cancel"  # the person no longer wants to wait
    CALLBACK = "callback"  # the person booked a callback instead of waiting
    RELEASE = "release"  # the agent lets it go, or went silent: back to the queue
    HAND_BACK = "hand_back"  # the agent gives it back to the bot
    CLOSE = "close"  # an agent closes it with an outcome
    LEAVE = "leave"  # the person left (a call hung up)
    REOPEN = "reopen"  # the person writes again after it was closed


_MOVES: dict[tuple[State, Move], State] = {
    (State.BOT, Move.ASK): State.WAITING_FOR_AGENT,
    (State.BOT, Move.URGENT): State.WAITING_FOR_AGENT,
    (State.WAITING_FOR_AGENT, Move.URGENT): State.WAITING_FOR_AGENT,  # moves up the queue
    (State.WAITING_FOR_AGENT, Move.TAKE): State.WITH_AGENT,
    (State.WAITING_FOR_AGENT, Move.CANCEL): State.BOT,
    (State.WAITING_FOR_AGENT, Move.CALLBACK): State.BOT,
    (State.WAITING_FOR_AGENT, Move.CLOSE): State.CLOSED,
    (State.WITH_AGENT, Move.RELEASE): State.WAITING_FOR_AGENT,
    (State.WITH_AGENT, Move.HAND_BACK): State.BOT,
    (State.WITH_AGENT, Move.CLOSE): State.CLOSED,
    (State.BOT, Move.LEAVE): State.CLOSED,
    (State.WAITING_FOR_AGENT, Move.LEAVE): State.CLOSED,
    (State.WITH_AGENT, Move.LEAVE): State.CLOSED,
    (State.CLOSED, Move.REOPEN): State.BOT,
}


class MoveRefused(ValueError):
    """A move that the state machine does not allow from the current state."""

    def __init__(self, state: State, move: Move) -> None:
        super().__init__(f"cannot {move.value} a conversation that is {state.value}")
        self.state = state
        self.move = move


def transition(state: State | str, move: Move) -> State:
    """The state after `move`, or MoveRefused if `move` is impossible from `state`."""
    current = State(state)
    try:
        return _MOVES[(current, move)]
    except KeyError:
        raise MoveRefused(current, move) from None


def allowed_moves(state: State | str) -> frozenset[Move]:
    """The moves possible from `state` (the console offers only these)."""
    current = State(state)
    return frozenset(move for (source, move) in _MOVES if source == current)
