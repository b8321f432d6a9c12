"""The service's one settings object; nothing else reads the environment."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every knob of the service, from ``FAIRFRONT_*`` environment variables.

    The defaults are the embedded set-up: SQLite and artifacts under ``models/``,
    local worker processes, the built-in explainer (no LLM).
    """

    model_config = SettingsConfigDict(env_prefix="FAIRFRONT_", extra="ignore")

    models_dir: Path = Field(default=Path("models"), description="artifacts and the SQLite file")
    database_url: str | None = Field(
        default=None, description="any SQLAlchemy URL; default sqlite:///<models_dir>/fairfront.db"
    )
    max_upload_bytes: int = Field(default=100 * 1024 * 1024, ge=1024)
    max_rows: int = Field(default=1_000_000, ge=10)
    max_columns: int = Field(default=500, ge=2)
    max_jobs: int = Field(default=2, ge=1, le=64, description="runs trained at once")
    dask_scheduler: str | None = Field(default=None, description="a Dask scheduler address")
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: SecretStr | None = None
    llm_timeout: float = Field(default=20.0, gt=0, le=300)
    llm_retries: int = Field(default=2, ge=0, le=5)
    llm_deadline: float = Field(
        default=30.0, gt=0, le=600,
        description="seconds one explanation or chat turn may spend on the LLM, all tries",
    )
    llm_workers: int = Field(
        default=4, ge=1, le=64, description="LLM calls at once; more fall back at once"
    )
    chat_workers: int = Field(
        default=8,
        ge=1,
        le=64,
        description="chat turns computed at once (keep above llm_workers); more wait their turn",
    )
    allowed_hosts: list[str] = Field(
        default=["127.0.0.1", "localhost", "[::1]"],
        description="Host header names answered (any port); '*' for any",
    )
    allowed_origins: list[str] = Field(
        default=[], description="web origins besides loopback pages allowed to change state"
    )
    max_json_bytes: int = Field(default=1024 * 1024, ge=1024, description="largest JSON body")
    max_queued: int = Field(default=50, ge=1, description="runs queued or running at once")
    access_token: SecretStr | None = Field(
        default=None,
        description="needed to open a session; required when serving beyond loopback",
    )
    watchdog_seconds: float = Field(
        default=5.0, gt=0, description="how often runs whose worker is gone are looked for"
    )

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.models_dir / 'fairfront.db').resolve()}"

    @property
    def llm_configured(self) -> bool:
        return bool(self.llm_base_url and self.llm_model)


@lru_cache
def get_settings() -> Settings:
    return Settings()
