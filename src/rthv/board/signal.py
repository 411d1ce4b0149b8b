"""Level-sensitive wires between device models (interrupt lines)."""

from __future__ import annotations

from collections.abc import Callable


class Signal:
    """A wire one device drives and others listen to; listeners hear only changes."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.level = False
        self._listeners: list[Callable[[bool], None]] = []

    def connect(self, listener: Callable[[bool], None]) -> None:
        """Call ``listener(level)`` whenever the level changes."""
        self._listeners.append(listener)

    def set(self, level: bool) -> None:
        """Drive the wire to ``level``."""
        if level == self.level:
            return
        self.level = level
        for listener in self._listeners:
            listener(level)

    def __repr__(self) -> str:
        return f"Signal({self.name!r}, level={self.level})"
