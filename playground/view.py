"""What a link may ask of the page's view: presentation mode, and the parts a teacher hides (after TensorFlow
Playground's hide-controls). Parsed from the query string like everything else from a link: known names only."""
from __future__ import annotations

from dataclasses import dataclass, field

from playground.i18n import Msg, msg

# The parts a teacher can hide, in the order the share box lists them. Each name is stable: it lives in links.
HIDEABLE = (
    "files",  # template picker, spec download and upload, code export
    "dataset",  # the dataset picker and its options (the preview stays)
    "palette",  # adding layers
    "layers",  # editing layers: their fields and tools (the cards stay, read only)
    "loss",
    "optimizer",
    "training",  # training settings on Build
    "lr",  # the live learning rate on Train
    "inspect.inside",
    "inspect.dynamics",
    "inspect.evaluation",
    "learn",  # the Learn section of the navigation
    "language",  # the language switch
)
# Presentation mode hides the editing parts and keeps training controls and figures.
PRESENTATION_HIDES = frozenset({"files", "dataset", "palette", "layers", "loss", "optimizer", "training", "language"})
MAX_HIDE_TEXT = 400


@dataclass(frozen=True)
class View:
    present: bool = False
    hidden: frozenset[str] = field(default_factory=frozenset)

    def shows(self, part: str) -> bool:
        """Whether the page shows `part` (one of HIDEABLE)."""
        return part not in self.hidden and not (self.present and part in PRESENTATION_HIDES)

    def params(self) -> dict[str, str]:
        """The query parameters that give this view (none for the plain view)."""
        out = {}
        if self.present:
            out["present"] = "1"
        if self.hidden:
            out["hide"] = ",".join(p for p in HIDEABLE if p in self.hidden)
        return out


def parse_view(present: str | None, hide: str | None) -> tuple[View, list[Msg]]:
    """The view a link asks for, and a sentence for each part of it that was not understood (and is ignored)."""
    problems: list[Msg] = []
    on = present in ("1", "true", "yes")
    if present not in (None, "", "0", "false", "no") and not on:
        problems.append(msg("view.bad_present", got=repr(present[:20])))
    names = [n.strip() for n in (hide or "")[:MAX_HIDE_TEXT].split(",") if n.strip()]
    unknown = [n for n in names if n not in HIDEABLE]
    if unknown:
        problems.append(msg("view.unknown_parts", parts=", ".join(repr(n[:30]) for n in unknown[:5]), known=", ".join(HIDEABLE)))
    return View(on, frozenset(n for n in names if n in HIDEABLE)), problems
