"""`rasa run`, with its API token taken from the environment instead of the command line.

Rasa reads its token only from `--auth-token`, and a command line is visible to every
user of the machine (`ps`). The launcher starts this module in the brain environment
with the token in `LOKET_RASA_TOKEN`; it adds the option to Rasa's own arguments inside
the process, where no process list shows it.

    LOKET_RASA_TOKEN=... python -m nlu.rasa_server --model models/x.tar.gz --enable-api ...
"""

from __future__ import annotations

import os
import sys

TOKEN_VARIABLE = "LOKET_RASA_TOKEN"


def rasa_run_argv(arguments: list[str], token: str) -> list[str]:
    """Rasa's command line: `rasa run`, these arguments, and the token."""
    # One argument: a random token may start with "-", which argparse takes for an option.
    return ["rasa", "run", *arguments, f"--auth-token={token}"]


def main() -> None:
    """Run `rasa run` with the given arguments and the token of the environment."""
    token = os.environ.pop(TOKEN_VARIABLE, "")
    if not token:
        sys.exit(f"{TOKEN_VARIABLE} is not set: the Rasa API would be open to anyone.")
    sys.argv = rasa_run_argv(sys.argv[1:], token)
    from rasa.__main__ import main as rasa_main  # the brain environment only

    rasa_main()


if __name__ == "__main__":
    main()
