"""The `loket` command: run Loket or only its hub, train, migrate, get speech models, call,
seed demo data."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from bot import serving
from bot.app import create_app
from bot.console import commands as agent_commands
from bot.migrations import upgrade
from bot.redact import configure_logging
from bot.settings import get_settings
from bot.training import BrainSetupError, ensure_model
from tools import demo_seed
from tools import phone_simulator as simulator
from voice import models as voice_models

log = logging.getLogger("loket")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `loket` command."""
    parser = argparse.ArgumentParser(prog="loket", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="train if needed, start the brain and the hub")
    run.add_argument("--retrain", action="store_true", help="train even if the model is current")
    run.add_argument(
        "--verbose",
        action="store_true",
        help="show everything the brain's processes print (their progress, library warnings); "
        "by default only what runs where, what is missing, and errors",
    )
    commands.add_parser("serve", help="start only the hub (the brain runs elsewhere)")
    train = commands.add_parser("train", help="train the Rasa model if its inputs changed")
    train.add_argument("--force", action="store_true", help="train even if the model is current")
    commands.add_parser("migrate", help="bring the database schema up to date")
    call = commands.add_parser("call", help="phone a running Loket as Twilio would (simulator)")
    simulator.add_arguments(call)
    voice = commands.add_parser("voice", help="speech models of the phone line")
    voice_models.add_arguments(voice)
    agent = commands.add_parser("agent", help="accounts of the agent console")
    agent_commands.add_arguments(agent)
    demo = commands.add_parser("demo", help="demo data for people trying Loket")
    demo_seed.add_arguments(demo)
    args = parser.parse_args(argv)

    settings = get_settings()
    configure_logging(settings.log_level)
    try:
        if args.command == "run":
            from bot.launcher import start

            start(settings, force_train=args.retrain, verbose=args.verbose)
        elif args.command == "serve":
            log.info(
                "Hub on http://%s:%d, brain at %s", settings.host, settings.port, settings.rasa_url
            )
            asyncio.run(serving.serve(create_app(settings), settings.host, settings.port))
        elif args.command == "train":
            print(ensure_model(settings, force=args.force))
        elif args.command == "migrate":
            upgrade(settings.database)
            log.info("Database schema is up to date.")
        elif args.command == "call":
            return simulator.run(args, settings)
        elif args.command == "agent":
            return agent_commands.run(args, settings)
        elif args.command == "voice":
            return voice_models.run(args, settings.voice_dir)
        elif args.command == "demo":
            return demo_seed.run(args, settings)
    except BrainSetupError as error:
        log.error("%s", error)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
