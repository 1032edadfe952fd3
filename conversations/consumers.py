"""The agent inbox's websocket: authenticated, in groups per agent, team and supervisors."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from conversations.selectors import SUPERVISORS_GROUP, agent_group, team_group
from omnidesk.roles import sees_everything, team_ids_of


class InboxConsumer(AsyncJsonWebsocketConsumer):
    groups: list[str]

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        self.user_groups = await database_sync_to_async(self._groups_for)(user)
        for group in self.user_groups:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()

    @staticmethod
    def _groups_for(user: Any) -> list[str]:
        groups = [agent_group(user.pk)] + [team_group(team_id) for team_id in team_ids_of(user)]
        if sees_everything(user):
            groups.append(SUPERVISORS_GROUP)
        return groups

    async def disconnect(self, code: int) -> None:
        for group in getattr(self, "user_groups", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def omnidesk_event(self, message: dict[str, Any]) -> None:
        await self.send_json(message["event"])
