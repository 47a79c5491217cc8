"""The Import button under a CSV drop that has more rows than LEADBOT_CSV_MAX_ROWS."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from slack_bolt import Ack, App

from bot.intake.csv_drop import FileDrop
from bot.render.drops import ACTION_CONFIRM_DROP
from bot.services.container import Services


class _User(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: str


class _ConfirmAction(BaseModel):
    model_config = ConfigDict(extra="ignore")
    value: str


class DropConfirmClick(BaseModel):
    """A click on Import: the button's value is the FileDrop it was asked about."""

    model_config = ConfigDict(extra="ignore")

    user: _User
    actions: list[_ConfirmAction] = Field(min_length=1)

    @property
    def drop(self) -> FileDrop:
        return FileDrop.model_validate_json(self.actions[0].value)


def register(app: App, services: Services) -> None:
    @app.action(ACTION_CONFIRM_DROP)
    def confirm_drop(ack: Ack, body: dict) -> None:
        click = DropConfirmClick.model_validate(body)
        services.csv_drops.confirm(click.drop, click.user.id)
        ack()
