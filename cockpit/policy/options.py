"""Command-line option parsing for the analysers: combined short flags, --long=value, --."""

from __future__ import annotations

from dataclasses import dataclass, field

from cockpit.policy.facts import UNKNOWN


@dataclass
class Opts:
    flags: set[str] = field(default_factory=set)
    values: dict[str, list[str]] = field(default_factory=dict)
    operands: list[str] = field(default_factory=list)
    rest: list[str] = field(default_factory=list)  # words after the first operand (stop mode)

    def has(self, *names: str) -> bool:
        return any(n in self.flags for n in names)

    def get(self, *names: str) -> list[str]:
        out: list[str] = []
        for n in names:
            out.extend(self.values.get(n, []))
        return out

    def first(self, *names: str) -> str | None:
        got = self.get(*names)
        return got[-1] if got else None


def parse(
    args: list[str],
    short_values: str = "",
    long_values: frozenset[str] | set[str] = frozenset(),
    *,
    dash_long: frozenset[str] | set[str] = frozenset(),
    stop: bool = False,
    optional_attached: str = "",
) -> Opts:
    """Split `args` into flags, option values and operands.

    short_values: letters whose option takes a value (attached `-ofile` or the next word).
    long_values: long options taking a value as the next word when not given with '='.
    dash_long: single-dash words that are one option (find's -name, sqlite3's -cmd).
    stop: everything from the first operand on is an operand (wrappers: sudo CMD ...).
    optional_attached: letters whose value is optional and only attached (sed -i.bak).
    """
    opts = Opts()
    i = 0
    n = len(args)
    while i < n:
        arg = args[i]
        i += 1
        if arg == "--":
            opts.operands.extend(args[i:])
            break
        if arg == "-" or not arg.startswith("-") or arg.startswith(UNKNOWN) or len(arg) == 1:
            opts.operands.append(arg)
            if stop:
                opts.rest = args[i:]
                opts.operands.extend(args[i:])
                break
            continue
        if arg in dash_long:
            opts.flags.add(arg)
            if arg in long_values and i < n:
                opts.values.setdefault(arg, []).append(args[i])
                i += 1
            continue
        if arg.startswith("--"):
            name, eq, value = arg.partition("=")
            opts.flags.add(name)
            if eq:
                opts.values.setdefault(name, []).append(value)
            elif name in long_values and i < n:
                opts.values.setdefault(name, []).append(args[i])
                i += 1
            continue
        if (
            "=" in arg
            and arg[1:2].isalpha()
            and arg.index("=") > 2
            and arg.split("=")[0] in dash_long
        ):
            name, _, value = arg.partition("=")
            opts.flags.add(name)
            opts.values.setdefault(name, []).append(value)
            continue
        letters = arg[1:]
        for j, ch in enumerate(letters):
            flag = "-" + ch
            opts.flags.add(flag)
            if ch in optional_attached:
                rest = letters[j + 1 :]
                opts.values.setdefault(flag, []).append(rest)
                break
            if ch in short_values:
                rest = letters[j + 1 :]
                if rest:
                    opts.values.setdefault(flag, []).append(rest.removeprefix("="))
                elif i < n:
                    opts.values.setdefault(flag, []).append(args[i])
                    i += 1
                break
    return opts


def normalise_flags(args: tuple[str, ...] | list[str]) -> frozenset[str]:
    """Every flag a rule may name: -rf gives -rf, -r and -f; --output=x gives --output."""
    out: set[str] = set()
    for arg in args:
        if arg == "--":
            break
        if not arg.startswith("-") or arg == "-":
            continue
        if arg.startswith("--"):
            out.add(arg.split("=", 1)[0])
            continue
        out.add(arg.split("=", 1)[0])
        letters = arg[1:]
        if letters.isalpha() or letters.isalnum():
            for ch in letters:
                out.add("-" + ch)
    return frozenset(out)
