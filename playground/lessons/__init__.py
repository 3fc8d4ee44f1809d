"""The Learn section: one lesson per topic of the curriculum, in its order.

A lesson is content, not code: its text is in the catalog (`i18n/*/learn_<slug>.toml`), its figures are pure
functions in `playground/plots/lessons/`, its computations and its "try it" models in `playground/lessons/<slug>.py`,
and its page (`playground/ui/learn/<slug>.py`) only places them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Literal

from playground.spec import Spec


@dataclass(frozen=True)
class TryIt:
    """A model that shows the lesson's point, opened on Build (to look at it) or Train (to watch it learn)."""

    key: str  # catalog key of the link's label
    spec: Callable[[], Spec]
    page: Literal["build", "train", "inspect"] = "train"


@dataclass(frozen=True)
class Lesson:
    slug: str
    icon: str  # a Material icon, as the navigation shows it

    @property
    def page(self) -> str:
        return f"pages/learn_{self.slug}.py"


LESSONS = (
    Lesson("neurons", ":material/scatter_plot:"),
    Lesson("losses", ":material/trending_down:"),
    Lesson("backprop", ":material/account_tree:"),
    Lesson("convolution", ":material/grid_on:"),
    Lesson("recurrent", ":material/repeat:"),
    Lesson("attention", ":material/visibility:"),
    Lesson("transformer", ":material/view_in_ar:"),
    Lesson("positions", ":material/pin:"),
    Lesson("overfitting", ":material/stacked_line_chart:"),
)


def number(slug: str) -> int:
    """1-based position of a lesson in the curriculum's order."""
    return next(i for i, lesson in enumerate(LESSONS, 1) if lesson.slug == slug)
