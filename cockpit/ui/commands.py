"""Command-palette providers: each screen or app lists its own commands, with key hints."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from textual.binding import Binding, BindingType
from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from textual.app import App


@dataclass(frozen=True)
class PaletteCommand:
    """One entry of the palette: what it is called, what it does, a line of help."""

    title: str
    run: Callable[[], Any]
    help: str = ""


@runtime_checkable
class CommandSource(Protocol):
    """A screen or app whose commands the palette offers."""

    def palette_commands(self) -> list[PaletteCommand]: ...


def key_hint(app: App[Any], bindings: Iterable[BindingType], action: str) -> str:
    """The key(s) bound to `action` among `bindings`, as the key bar shows them ('' if none)."""
    keys = [
        app.get_key_display(binding)
        for binding in Binding.make_bindings(bindings)
        if binding.action == action
    ]
    return "/".join(dict.fromkeys(keys))


def with_hint(text: str, hint: str) -> str:
    return f"{text} ({hint})" if hint else text


class _SourceProvider(Provider):
    """Offers the commands of one CommandSource (which one: see `source`)."""

    def source(self) -> object:
        raise NotImplementedError

    def commands(self) -> list[PaletteCommand]:
        source = self.source()
        return source.palette_commands() if isinstance(source, CommandSource) else []

    async def discover(self) -> Hits:
        for command in self.commands():
            yield DiscoveryHit(command.title, command.run, help=command.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command in self.commands():
            score = matcher.match(command.title)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(command.title),
                    command.run,
                    text=command.title,
                    help=command.help,
                )


class ScreenCommands(_SourceProvider):
    """The commands of the screen the palette was opened on (sessions, panes, layouts)."""

    def source(self) -> object:
        return self.screen


class AppCommands(_SourceProvider):
    """The app's own commands (new session, themes, help)."""

    def source(self) -> object:
        return self.app
