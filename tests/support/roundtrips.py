"""Count what a piece of code asks Redis: commands and network round trips.

redis-py sends one packed buffer per single command and one per pipeline, so counting
``send_packed_command`` counts round trips; the packer tells us the commands inside. Only
the calling thread is counted: the failure index may be catching up in a background thread.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from redis.connection import AbstractConnection


@dataclass
class Tally:
    round_trips: int = 0
    commands: list[str] = field(default_factory=list)

    @property
    def command_names(self) -> list[str]:
        return [c.split(" ")[0] for c in self.commands]


@contextmanager
def count_redis() -> Iterator[Tally]:
    tally = Tally()
    me = threading.get_ident()
    send, pack_one, pack_many = (
        AbstractConnection.send_packed_command,
        AbstractConnection.send_command,
        AbstractConnection.pack_commands,
    )

    def send_packed(self: AbstractConnection, command: object, check_health: bool = True) -> None:
        if threading.get_ident() == me:
            tally.round_trips += 1
        return send(self, command, check_health)

    def send_command(self: AbstractConnection, *args: object, **kwargs: object) -> None:
        if threading.get_ident() == me:
            tally.commands.append(" ".join(map(str, args[:1])))
        return pack_one(self, *args, **kwargs)

    def pack_commands(self: AbstractConnection, commands: list[tuple[object, ...]]) -> list[bytes]:
        if threading.get_ident() == me:
            tally.commands += [" ".join(map(str, c[:1])) for c in commands]
        return pack_many(self, commands)

    AbstractConnection.send_packed_command = send_packed  # type: ignore[method-assign]
    AbstractConnection.send_command = send_command  # type: ignore[method-assign]
    AbstractConnection.pack_commands = pack_commands  # type: ignore[method-assign]
    try:
        yield tally
    finally:
        AbstractConnection.send_packed_command = send  # type: ignore[method-assign]
        AbstractConnection.send_command = pack_one  # type: ignore[method-assign]
        AbstractConnection.pack_commands = pack_many  # type: ignore[method-assign]
