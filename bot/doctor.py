"""`leadbot doctor`'s probes: each part of the set-up is tried the way leadbot uses it (the
rubric loaded, the database read, Slack and the model called once), and what comes back is
judged by the pure functions in bot/setup_checks.py. Nothing is written anywhere."""

from __future__ import annotations

from pathlib import Path

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from bot.errors import UserError
from bot.manifest import requested_bot_scopes
from bot.settings import Settings
from bot.setup_checks import (
    Check,
    channel_check,
    error,
    intake_check,
    ok,
    routing,
    routing_check,
    scopes_check,
    slack_refusal,
    slack_unreachable,
    warning,
)
from bot.slack.gateway import TIMEOUT_SECONDS
from bot.store.database import make_engine, schema_revisions
from qualifiers.rubric import Rubric, RubricError, load_rubric

PING_PROMPT = "Reply with the single word OK."


def settings_problems_check(problems: list[str]) -> Check:
    return error(
        "settings",
        "; ".join(problems),
        "correct these variables in .env or the environment (each is described in .env.example)",
    )


def run_checks(settings: Settings) -> list[Check]:
    """Every check, in the order a set-up is usually fixed."""
    source = "the environment and .env" if Path(".env").is_file() else "the environment"
    checks = [ok("settings", f"read from {source}")]
    rubric = _rubric(settings, checks)
    checks.append(database_check(settings.database_url))
    checks.append(intake_check(settings.intake_channel_ids))
    checks.extend(slack_checks(settings, rubric))
    checks.append(model_check(settings))
    return checks


def _rubric(settings: Settings, checks: list[Check]) -> Rubric | None:
    path = settings.rubric_path
    try:
        rubric = load_rubric(path)
    except RubricError as exc:
        count = len(exc.issues)
        checks.append(
            error(
                "rubric",
                f"{exc.issues[0]}" + (f" (and {count - 1} more)" if count > 1 else ""),
                f"`leadbot rubric check {path}` lists every problem with its line",
            )
        )
        return None
    checks.append(ok("rubric", f"{rubric.name!r} version {rubric.version} ({path})"))
    slack = settings.slack_bot_token is not None
    checks.append(routing_check(rubric, settings.sales_channel, for_slack=slack))
    return rubric


def database_check(url: str) -> Check:
    """Reachable and at this leadbot's schema; a SQLite file that is not there yet is fine
    (leadbot creates and migrates it when it starts) and is not created here."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return error(
            "database",
            f"LEADBOT_DATABASE_URL={url!r} is not a database URL",
            "use e.g. sqlite:///leadbot.db or postgresql://user@host:5432/leadbot",
        )
    shown = parsed.render_as_string(hide_password=True)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        file = Path(parsed.database)
        if not file.parent.is_dir():
            return error(
                "database",
                f"{shown}: the folder {file.parent} does not exist",
                "create the folder or change LEADBOT_DATABASE_URL",
            )
        if not file.exists():
            return ok("database", f"{shown}: not created yet; leadbot creates it when it starts")
    engine = make_engine(url)
    try:
        current, known = schema_revisions(engine)
    except SQLAlchemyError as exc:
        reason = str(exc.orig if getattr(exc, "orig", None) else exc).strip().splitlines()[0]
        return error(
            "database",
            f"cannot open {shown} ({reason})",
            "check LEADBOT_DATABASE_URL and that the database server is running",
        )
    finally:
        engine.dispose()
    if current == known[0]:
        return ok("database", f"{shown}: reachable, schema up to date")
    if current is None:
        return ok("database", f"{shown}: reachable, empty; leadbot creates its tables on start")
    if current in known:
        return warning(
            "database",
            f"{shown}: schema at revision {current}, this leadbot's is {known[0]}",
            "leadbot migrates it when it starts (`leadbot serve`); back it up first",
        )
    return error(
        "database",
        f"{shown}: schema revision {current} is unknown to this leadbot (a newer one set it)",
        "upgrade leadbot, or point LEADBOT_DATABASE_URL at another database",
    )


def slack_checks(settings: Settings, rubric: Rubric | None) -> list[Check]:
    if settings.slack_bot_token is None:
        return [
            warning(
                "slack",
                "SLACK_BOT_TOKEN is not set: everything but `leadbot serve` works offline",
                "create the app from `leadbot manifest`, install it, set SLACK_BOT_TOKEN",
            )
        ]
    checks = []
    if settings.slack_app_token is None and settings.slack_signing_secret is None:
        checks.append(
            error(
                "slack",
                "neither SLACK_SIGNING_SECRET (HTTP mode) nor SLACK_APP_TOKEN (Socket Mode) is set",
                "set SLACK_SIGNING_SECRET from Basic Information, or SLACK_APP_TOKEN (xapp-...)",
            )
        )
    client = WebClient(
        token=settings.slack_bot_token.get_secret_value(),
        base_url=settings.slack_api_url,
        timeout=TIMEOUT_SECONDS,
    )
    try:
        auth = client.auth_test()
    except SlackApiError as exc:
        return [*checks, slack_refusal("SLACK_BOT_TOKEN", _error_code(exc))]
    except (SlackClientError, OSError) as exc:
        return [*checks, slack_unreachable(settings.slack_api_url, f"{type(exc).__name__}: {exc}")]
    checks.append(ok("slack", f"SLACK_BOT_TOKEN works: @{auth['user']} in {auth['team']}"))
    granted = _granted_scopes(auth.headers)
    checks.append(scopes_check(granted, requested_bot_scopes()))
    if settings.slack_app_token is not None:
        checks.append(_app_token_check(client, settings.slack_app_token.get_secret_value()))
    can_post_public = granted is not None and "chat:write.public" in granted
    intake = settings.intake_channel_ids
    posts = [c for c in routing(rubric, settings.sales_channel) if c] if rubric else []
    for channel in dict.fromkeys([*intake, *posts]):
        role = "intake" if channel in intake else "posts"
        try:
            info = client.conversations_info(channel=channel)["channel"]
        except SlackApiError as exc:
            checks.append(channel_check(channel, role, None, _error_code(exc)))
            continue
        except (SlackClientError, OSError) as exc:
            reason = f"{type(exc).__name__}: {exc}"
            checks.append(slack_unreachable(settings.slack_api_url, reason))
            break
        checks.append(channel_check(channel, role, info, can_post_public=can_post_public))
    return checks


def _app_token_check(client: WebClient, app_token: str) -> Check:
    """apps.connections.open, as Socket Mode starts (the URL it returns is never opened)."""
    try:
        client.apps_connections_open(app_token=app_token)
    except SlackApiError as exc:
        return slack_refusal("SLACK_APP_TOKEN", _error_code(exc))
    except (SlackClientError, OSError) as exc:
        return slack_unreachable(str(client.base_url), f"{type(exc).__name__}: {exc}")
    return ok("slack", "SLACK_APP_TOKEN works: Socket Mode can connect")


def _error_code(exc: SlackApiError) -> str:
    return exc.response.get("error") or f"HTTP {exc.response.status_code}"


def _granted_scopes(headers: dict) -> set[str] | None:
    """Slack lists a token's scopes in the x-oauth-scopes header of every call it makes."""
    for name, value in headers.items():
        if name.lower() == "x-oauth-scopes":
            text = value[0] if isinstance(value, list) else value
            return {scope.strip() for scope in text.split(",") if scope.strip()}
    return None


def model_check(settings: Settings) -> Check:
    name = settings.model_name
    if name == "offline":
        return ok("model", "offline qualifier (LEADBOT_MODEL=offline or no OPENAI_API_KEY)")
    # Imported here: LangChain and openai cost a second that offline set-ups never need.
    import openai

    from bot.bootstrap import build_chat_model

    try:
        model = build_chat_model(settings.model_copy(update={"model_max_retries": 0}))
        model.invoke(PING_PROMPT)
    except UserError as exc:
        return error("model", str(exc), "set LEADBOT_MODEL=offline, or the key it names")
    except openai.AuthenticationError as exc:
        return error(
            "model", f"{name} refused the API key ({exc.status_code})", "set a valid OPENAI_API_KEY"
        )
    except openai.NotFoundError:
        return error(
            "model", f"{name} was not found", "set LEADBOT_MODEL to a model your key can use"
        )
    except openai.RateLimitError:
        return error(
            "model",
            f"{name} is rate-limited or out of quota",
            "check the account's billing and limits",
        )
    except openai.APIConnectionError as exc:
        where = settings.openai_base_url or "the OpenAI API"
        return error(
            "model", f"cannot reach {where} ({exc})", "check the network and OPENAI_BASE_URL"
        )
    except openai.APIError as exc:
        return error(
            "model", f"{name} failed: {exc}", "try again; check the provider's status page"
        )
    return ok("model", f"{name} answered a one-line test call")
