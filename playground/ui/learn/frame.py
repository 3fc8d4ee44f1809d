"""What every lesson page shares: its title and place in the course, formulas, and the links out of it."""
from __future__ import annotations

import streamlit as st

from playground.i18n import t
from playground.lessons import LESSONS, TryIt, number
from playground.ui import state
from playground.ui.widgets import page_frame

PAGES = {"build": "pages/build.py", "train": "pages/train.py", "inspect": "pages/inspect.py"}


def lesson_header(slug: str) -> None:
    """The page frame, the lesson's title, where it sits in the course, and its short explanation."""
    page_frame(t(f"learn_{slug}.title"), t("learn.position", number=number(slug), total=len(LESSONS)))
    st.markdown(t(f"learn_{slug}.intro"))


def try_it(links: list[TryIt]) -> None:
    """'Try it in the playground': each link opens its model on Build or Train, in this session and language."""
    st.subheader(t("learn.try_it"))
    for link in links:
        st.page_link(PAGES[link.page], label=t(link.key), icon=":material/play_circle:",
                     query_params=state.link_params(link.spec()))


def next_lesson(slug: str) -> None:
    """The link to the next lesson (the last one links back to Build)."""
    st.divider()
    later = [lesson for lesson in LESSONS if number(lesson.slug) > number(slug)]
    if later:
        nxt = later[0]
        st.page_link(nxt.page, label=t("learn.next", title=t(f"learn_{nxt.slug}.title")), icon=":material/arrow_forward:")
    else:
        st.page_link(PAGES["build"], label=t("learn.back_to_build"), icon=":material/construction:")
