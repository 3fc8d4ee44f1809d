"""The language catalog: every string a user reads, in English and Chinese, looked up per session.

Catalogs are TOML files, one folder per language (`en/`, `zh/`); a key is the file's stem followed by the
table path, e.g. `build.palette.title` is `[palette] title` in `build.toml`. Placeholders use
`str.format` syntax ("{count:,} params"); a text is formatted only when values are passed, so a text used
with values writes a literal brace as `{{`, and one used without (LaTeX in a lesson) writes it plainly.

The language is never process-wide. It comes, in this order, from `using(lang)` (the CLI, tests, a worker),
from the resolver the Streamlit side installs (which reads the current session's choice), else English.
Text made where no session is known — inside a training worker, in an on_click callback before the page
has run — is kept as a `Msg` and rendered where it is shown.
"""
from __future__ import annotations

import contextvars
import functools
import string
import tomllib
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Callable, Iterator

LANGS = ("en", "zh")
DEFAULT = "en"
NAMES = {"en": "English", "zh": "中文"}

_override: contextvars.ContextVar[str | None] = contextvars.ContextVar("playground_lang", default=None)
_resolver: list[Callable[[], str | None]] = []  # at most one: the UI's "which language does this session use"


def _flatten(prefix: str, table: dict[str, Any], out: dict[str, str]) -> None:
    for k, v in table.items():
        key = f"{prefix}.{k}"
        if isinstance(v, dict):
            _flatten(key, v, out)
        else:
            out[key] = v


@functools.cache
def catalog(lang: str) -> dict[str, str]:
    """Every key of one language (read once; the catalogs are part of the program, not user data)."""
    out: dict[str, str] = {}
    folder = resources.files("playground.i18n") / lang
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            _flatten(entry.name[:-5], tomllib.loads(entry.read_text(encoding="utf-8")), out)
    return out


def normalize(lang: Any) -> str | None:
    """'zh', 'zh-CN', 'zh_TW', 'ZH' → 'zh'; 'en-GB' → 'en'; anything else → None."""
    if not isinstance(lang, str):
        return None
    head = lang.strip().lower().replace("_", "-").split("-")[0]
    return head if head in LANGS else None


def set_resolver(fn: Callable[[], str | None]) -> None:
    """Installed once by the Streamlit side: returns the language of the session running this code, or None."""
    _resolver[:] = [fn]


def current() -> str:
    lang = _override.get()
    if lang is None and _resolver:
        lang = _resolver[0]()
    return lang if lang in LANGS else DEFAULT


@contextmanager
def using(lang: str) -> Iterator[None]:
    """Render text in `lang` inside this block (this thread only)."""
    token = _override.set(normalize(lang) or DEFAULT)
    try:
        yield
    finally:
        _override.reset(token)


def t(key: str, /, **kwargs: Any) -> str:
    """The text of `key` in the current language, with its placeholders filled in."""
    return render(key, kwargs, current())


def has(key: str) -> bool:
    return key in catalog(DEFAULT)


def render(key: str, kwargs: dict[str, Any], lang: str) -> str:
    text = catalog(lang).get(key)
    if text is None:
        text = catalog(DEFAULT).get(key)
    if text is None:
        raise KeyError(f"no catalog entry {key!r}")
    if not kwargs:
        return text
    values = {k: (v.render(lang) if isinstance(v, Msg) else v) for k, v in kwargs.items()}
    return text.format(**values)


@dataclass(frozen=True)
class Msg:
    """Text not yet rendered: a catalog key and its values (which may be Msgs themselves)."""

    key: str
    kwargs: dict[str, Any] = field(default_factory=dict)

    def render(self, lang: str | None = None) -> str:
        return render(self.key, self.kwargs, lang or current())

    def __str__(self) -> str:
        return self.render()


def msg(key: str, /, **kwargs: Any) -> Msg:
    return Msg(key, kwargs)


def placeholders(text: str) -> set[str]:
    """The field names a catalog text uses ({count:,} → 'count'); none for a text that is not a format string."""
    try:
        return {name.split(".")[0].split("[")[0] for _, name, _, _ in string.Formatter().parse(text) if name}
    except ValueError:  # unbalanced braces: LaTeX in a text that is never formatted
        return set()


def listing(items: list[str], limit: int = 8) -> str:
    """'a, b and c' in English, 'a、b 和 c' in Chinese; long lists end with 'and N more'."""
    shown = [str(i) for i in items[:limit]]
    rest = len(items) - len(shown)
    if rest > 0:
        return t("common.listing.more", items=t("common.listing.sep").join(shown), count=rest)
    if len(shown) <= 1:
        return "".join(shown)
    return t("common.listing.last", items=t("common.listing.sep").join(shown[:-1]), last=shown[-1])
