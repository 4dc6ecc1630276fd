"""One settings object for the whole hub, read from the environment (or an untracked .env)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.proxies import parse_networks

Language = Literal["fr", "nl", "en"]
LANGUAGES: tuple[Language, ...] = ("fr", "nl", "en")
ROOT = Path(__file__).resolve().parent.parent


ASYNC_DRIVERS = {
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "sqlite": "sqlite+aiosqlite",
}


def async_database_url(url: str) -> str:
    """The same database with the hub's async driver (asyncpg, aiosqlite), whatever driver
    the URL names (postgresql://, postgres://, postgresql+psycopg2://, sqlite://...);
    another kind of database is kept as given."""
    scheme, separator, rest = url.partition("://")
    driver = ASYNC_DRIVERS.get(scheme.split("+")[0])
    return f"{driver}{separator}{rest}" if driver and separator else url


class Settings(BaseSettings):
    """Every configuration variable of the hub. The README's table lists them all."""

    model_config = SettingsConfigDict(env_prefix="LOKET_", env_file=".env", extra="ignore")

    host: str = Field("127.0.0.1", description="Address the hub listens on.")
    port: int = Field(8080, description="Port of the hub (web chat, API, health).")
    data_dir: Path = Field(ROOT / "var", description="Where the SQLite database is kept.")
    database_url: str = Field(
        "",
        validation_alias=AliasChoices("DATABASE_URL", "LOKET_DATABASE_URL"),
        description="SQLAlchemy URL; empty means SQLite in data_dir. postgresql://... works too.",
    )
    redis_url: str = Field(
        "",
        validation_alias=AliasChoices("REDIS_URL", "LOKET_REDIS_URL"),
        description="Redis shared by hub replicas (redis://host:6379/0): live events, "
        "conversation locks, background work done once. Empty: one hub, nothing shared.",
    )
    hub_internal_url: str = Field(
        "",
        description="This hub's address as the other hub replicas reach it "
        "(http://10.0.0.5:8080), with LOKET_REDIS_URL: a call's media stream that a load "
        "balancer sends to another replica is relayed to the hub that answered the call. "
        "Empty: such a stream is refused.",
    )
    redis_prefix: str = Field(
        "loket:",
        description="Prefix of Loket's Redis keys and channel (several installations, or "
        "tests, on one Redis).",
    )
    metrics_token: SecretStr = Field(
        SecretStr(""),
        description="Bearer token for GET /metrics; empty: only loopback clients may read it "
        "(set one when a proxy on this machine forwards outside requests).",
    )
    retention_transcript_days: int = Field(
        90, ge=0, description="Days messages are kept; then deleted (0: no limit)."
    )
    retention_caller_number_days: int = Field(
        30,
        ge=0,
        description="Days a caller's number (conversation contact, callback phone) is kept; "
        "then blanked, the anonymous conversation staying for statistics (0: no limit).",
    )
    retention_problem_report_days: int = Field(
        365,
        ge=0,
        description="Days a problem report is kept from when it was filed; then deleted "
        "(0: no limit).",
    )
    retention_interval_seconds: float = Field(
        3600.0, gt=0, description="Seconds between two retention sweeps."
    )
    rasa_url: str = Field("http://127.0.0.1:5005", description="The Rasa server (localhost).")
    rasa_urls: str = Field(
        "",
        description="Several Rasa servers the hub sends messages to in turn (comma-separated "
        "URLs; they share one tracker store and Redis); empty: rasa_url alone.",
    )
    rasa_token: SecretStr = Field(
        SecretStr(""), description="Token of Rasa's HTTP API; `loket run` makes one per start."
    )
    action_server_url: str = Field("http://127.0.0.1:5055", description="The action server.")
    tracker_store_url: str = Field(
        "",
        description="SQLAlchemy URL of Rasa's tracker store (where each conversation is in "
        "the dialogue); empty: SQLite in data_dir, or DATABASE_URL's PostgreSQL database.",
    )
    brain_timeout: float = Field(
        8.0, description="Seconds to wait for Rasa before a holding reply."
    )
    brain_request_timeout: float = Field(
        10.0,
        description="Seconds one request to Rasa may take in all (never less than "
        "brain_timeout); then the message is kept and replayed once Rasa's tracker shows "
        "it was not processed.",
    )
    default_language: Language = Field("fr", description="Language when nothing else tells.")
    max_text_chars: int = Field(2000, description="Longest message a person can send.")
    rate_limit_per_minute: int = Field(40, description="Messages per minute per client address.")
    rate_limit_per_conversation_per_minute: int = Field(
        20, description="Messages per minute in one conversation."
    )
    trusted_proxies: str = Field(
        "",
        description="Reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed "
        "(comma-separated addresses or CIDR blocks); empty: none, the peer is the client.",
    )
    helpdesk_phone: str = Field(
        "",
        description="Phone number of the human helpdesk: said when the bot cannot answer, "
        "and where calls are put through in office hours.",
    )
    log_level: str = Field("INFO", description="DEBUG, INFO, WARNING or ERROR.")
    brain_venv: Path = Field(
        ROOT / ".venvs" / "brain", description="Python 3.10 environment of Rasa (`loket run`)."
    )
    models_dir: Path = Field(ROOT / "models", description="Where trained Rasa models are kept.")
    brain_start_timeout: float = Field(
        300.0, description="Seconds `loket run` waits for Rasa and the action server to be ready."
    )

    # --- the phone line (voice/, bot/channels/phone.py) ---
    public_base_url: str = Field(
        "",
        description="Public https:// address of the hub as Twilio sees it; "
        "signatures are checked against it. Empty: the phone line is off.",
    )
    twilio_auth_token: SecretStr = Field(
        SecretStr(""), description="Twilio auth token: checks the X-Twilio-Signature of webhooks."
    )
    voice_dir: Path = Field(
        ROOT / "models" / "voice",
        description="Where `loket voice download` puts Vosk models and Piper voices.",
    )
    vosk_model_fr: Path | None = Field(
        None, description="Vosk model for French; empty: voice_dir/vosk-fr if present."
    )
    vosk_model_nl: Path | None = Field(
        None, description="Vosk model for Dutch; empty: voice_dir/vosk-nl if present."
    )
    vosk_model_en: Path | None = Field(
        None, description="Vosk model for English; empty: voice_dir/vosk-en if present."
    )
    piper_voice_fr: Path | None = Field(
        None, description="Piper voice for French; empty: voice_dir/piper-fr.onnx if present."
    )
    piper_voice_nl: Path | None = Field(
        None, description="Piper voice for Dutch; empty: voice_dir/piper-nl.onnx if present."
    )
    piper_voice_en: Path | None = Field(
        None,
        description="Piper voice (.onnx) for English; empty: voice_dir/piper-en.onnx, "
        "else the packaged en_US joe voice.",
    )
    end_of_speech_ms: int = Field(
        500,
        description="Silence (ms) after which a caller's sentence is taken as finished. "
        "Longer suits slow speakers; every millisecond is added to each answer's delay.",
    )
    silence_reprompt_seconds: float = Field(
        7.0, description="Seconds of caller silence before Loket asks again."
    )
    filler_after_seconds: float = Field(
        1.2, description="Seconds the brain may take before the caller hears 'one moment'."
    )
    recogniser_warm_seconds: float = Field(
        30.0,
        ge=0,
        description="Seconds of Loket's own speech (its phone prompts) each recogniser kept "
        "ready hears in its language before its first caller, at start-up, in the background: "
        "a small Vosk model's recogniser is slow on speech unlike any it has heard.",
    )
    max_calls: int = Field(
        10,
        ge=1,
        description="Calls served at once; the next caller hears that all lines are busy "
        "(in French, Dutch and English) and the call ends. Sized in docs/benchmarks.md.",
    )
    call_drain_seconds: float = Field(
        0.0,
        ge=0,
        description="When the hub stops (SIGTERM, Ctrl-C), how long its calls may go on "
        "to their natural end: it takes no new call meanwhile (its port is closed, so a "
        "load balancer sends new calls to another replica). Calls still going then hear "
        "that the line is closing, in their language, and end. 0 (the default, fit for "
        "one machine) ends them at once; a replica in a cluster sets a few minutes "
        "(deploy/).",
    )
    call_idle_seconds: float = Field(
        10.0,
        gt=0,
        description="Seconds without a message on a call's media stream (Twilio sends audio "
        "every 20 ms) after which the stream is taken as dropped: the call ends.",
    )
    mark_wait_seconds: float = Field(
        5.0,
        gt=0,
        description="Seconds past the end of a sentence's audio that Loket waits for Twilio "
        "to say it was played; then it goes on as if it had.",
    )
    synthesis_timeout_seconds: float = Field(
        10.0, gt=0, description="Longest wait for a sentence's speech; then it is not said."
    )

    # --- human handoff (bot/conversations/, bot/console/) ---
    office_hours: str = Field(
        "mon-fri 09:00-17:00",
        description="When agents answer, Brussels time, e.g. 'mon-thu 09:00-12:30,13:30-17:00; "
        "fri 09:00-12:00'. Belgian public holidays are closed.",
    )
    closed_days: str = Field(
        "",
        description="Extra closing days, comma-separated: MM-DD every year (05-08: the Brussels "
        "Region's holiday) or YYYY-MM-DD once.",
    )
    agent_idle_seconds: float = Field(
        600.0,
        description="A conversation whose agent has shown no sign of life for this long goes "
        "back to the queue.",
    )
    queue_wait_minutes_per_person: float = Field(
        4.0, description="Rough wait per person ahead in the queue, for the wait told to people."
    )
    console_secret: SecretStr = Field(
        SecretStr(""),
        description="Key of the console's encrypted session cookie (32 url-safe base64 bytes); "
        "empty: one is made and kept in data_dir.",
    )
    twilio_account_sid: str = Field(
        "", description="Twilio account SID: needed to transfer calls with Twilio's REST API."
    )
    twilio_api_base_url: str = Field(
        "",
        description="Another address for Twilio's REST API (a local stand-in in tests); "
        "empty: Twilio's own.",
    )

    # --- SMS and WhatsApp (bot/channels/sms/) ---
    messaging_quiet_minutes: float = Field(
        60.0,
        description="After this many minutes without a message, an SMS or WhatsApp message "
        "starts a new conversation (in the language the person chose last).",
    )
    sms_from: str = Field(
        "",
        description="Twilio number (E.164) or Messaging Service SID (MG...) that Loket's SMS "
        "are sent from outside a reply; empty: SMS only answer the person's own messages.",
    )
    whatsapp_from: str = Field(
        "",
        description="Twilio WhatsApp sender ('whatsapp:+32...') for messages outside a reply; "
        "empty: WhatsApp only answers the person's own messages.",
    )

    # --- Telegram (bot/channels/telegram/) ---
    telegram_bot_token: SecretStr = Field(
        SecretStr(""), description="Token of the Telegram bot (from @BotFather); empty: off."
    )
    telegram_webhook_secret: SecretStr = Field(
        SecretStr(""),
        description="Secret Telegram sends with every webhook (X-Telegram-Bot-Api-Secret-Token); "
        "empty: a new one at each start (set it when several hubs share the bot).",
    )
    telegram_api_base_url: str = Field(
        "",
        description="Another address for Telegram's Bot API (a local stand-in in tests); "
        "empty: https://api.telegram.org.",
    )

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, url: str) -> str:
        """Accept the usual URL spellings and pick the async driver for them."""
        return async_database_url(url)

    @field_validator("trusted_proxies")
    @classmethod
    def _addresses(cls, spec: str) -> str:
        """Refuse at start-up a proxy list that names something other than addresses."""
        parse_networks(spec)
        return spec

    @property
    def database(self) -> str:
        """The database URL in effect (SQLite in data_dir by default)."""
        return self.database_url or f"sqlite+aiosqlite:///{self.data_dir / 'loket.sqlite3'}"

    @property
    def rasa_servers(self) -> list[str]:
        """The Rasa servers the hub sends messages to: rasa_urls, or rasa_url alone."""
        urls = [url.strip().rstrip("/") for url in self.rasa_urls.split(",") if url.strip()]
        return urls or [self.rasa_url.rstrip("/")]

    @property
    def rasa_tracker_store(self) -> str:
        """Where Rasa keeps its trackers, as a URL for Rasa's synchronous SQLAlchemy.

        Default: its own SQLite file next to the hub's, or, when the hub is on PostgreSQL,
        the same database (Rasa's one table, `events`, is not one of the hub's).
        """
        if self.tracker_store_url:
            return self.tracker_store_url
        if self.database.startswith("postgresql+asyncpg://"):
            return "postgresql://" + self.database.removeprefix("postgresql+asyncpg://")
        return f"sqlite:///{self.data_dir.resolve() / 'rasa-trackers.sqlite3'}"

    @property
    def web_chat_url(self) -> str:
        """Where a person opens the web chat."""
        host = "localhost" if self.host in ("127.0.0.1", "0.0.0.0") else self.host
        return f"http://{host}:{self.port}/chat"


@lru_cache
def get_settings() -> Settings:
    """The settings of this process, read once."""
    return Settings()
