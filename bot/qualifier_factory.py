"""Builds the qualifier the settings ask for: offline rules, or a chat model backed by them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import SecretStr, ValidationError

from bot.errors import UserError
from bot.settings import Settings
from bot.store.repository import Repository
from qualifiers.extract.offline import OfflineExtractor
from qualifiers.qualifier import Qualifier

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

OPENAI_MODEL_PREFIXES = ("gpt-", "o1", "o3", "o4", "chatgpt")


def build_qualifier(settings: Settings, store: Repository | None = None) -> Qualifier:
    """Offline when LEADBOT_MODEL is `offline` (or unset without an OpenAI key).

    Otherwise the LLM qualifier: one call per lead to `settings.model_name`, the offline rules
    as fallback and gap filler, and the store's extraction cache when a store is given.
    """
    offline = OfflineExtractor()
    if settings.model_name == "offline":
        return Qualifier(offline, limits=settings.read_limits)
    # Imported here: LangChain costs about a second of start-up that offline runs never need.
    from bot.store.cache import DatabaseExtractionCache
    from qualifiers.concurrent import ConcurrentQualifier
    from qualifiers.extract.llm import LLMExtractor

    extractor = LLMExtractor(
        build_chat_model(settings),
        model_name=settings.model_name,
        fallback=offline,
        cache=DatabaseExtractionCache(store) if store is not None else None,
        redact_pii=settings.redact_pii,
        phone_regions=settings.phone_regions,
        deadline_seconds=settings.model_deadline_seconds,
    )
    return ConcurrentQualifier(
        extractor, concurrency=settings.model_concurrency, limits=settings.read_limits
    )


def build_chat_model(settings: Settings) -> BaseChatModel:
    """`init_chat_model` with leadbot's timeout, retries and temperature.

    The client retries timeouts, 429s and 5xx with exponential backoff (honouring
    Retry-After); OpenAI models also get OPENAI_BASE_URL and OPENAI_API_KEY.
    """
    from langchain.chat_models import init_chat_model

    name = settings.model_name
    options: dict = {
        "temperature": settings.model_temperature,
        "timeout": settings.model_timeout_seconds,
        "max_retries": settings.model_max_retries,
    }
    if is_openai_model(name):
        options["base_url"] = settings.openai_base_url
        options["api_key"] = settings.openai_api_key or _key_for_local_server(settings)
    try:
        return init_chat_model(name, **options)
    except ImportError as exc:
        raise UserError(
            f"LEADBOT_MODEL={name}: the provider's LangChain package is not installed ({exc})"
        ) from None
    except (ValueError, ValidationError) as exc:
        raise UserError(f"LEADBOT_MODEL={name}: {exc}") from None


def is_openai_model(name: str) -> bool:
    provider, _, model = name.rpartition(":")
    if provider:
        return provider == "openai"
    return model.lower().startswith(OPENAI_MODEL_PREFIXES)


def _key_for_local_server(settings: Settings) -> SecretStr:
    """OpenAI-compatible local servers (vLLM, Ollama, LM Studio) accept any key."""
    if not settings.openai_base_url:
        raise UserError(
            f"LEADBOT_MODEL={settings.model_name} needs OPENAI_API_KEY "
            "(or OPENAI_BASE_URL for an OpenAI-compatible server), or use LEADBOT_MODEL=offline"
        )
    return SecretStr("not-needed")
