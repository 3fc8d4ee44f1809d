"""The language catalog: both languages have every key, the same placeholders, and the glossary's terms."""
import ast
import re
from pathlib import Path

import pytest

from playground import i18n
from playground.i18n import catalog, msg, placeholders, t, using

ROOT = Path(__file__).resolve().parents[1]
CODE = [p for d in ("playground", "pages") for p in (ROOT / d).rglob("*.py")] + [ROOT / "app.py"]


def test_both_languages_have_the_same_keys():
    en, zh = set(catalog("en")), set(catalog("zh"))
    assert not en - zh, f"missing in zh: {sorted(en - zh)[:20]}"
    assert not zh - en, f"missing in en: {sorted(zh - en)[:20]}"


def test_placeholders_match_between_languages():
    en, zh = catalog("en"), catalog("zh")
    wrong = [k for k in en if placeholders(en[k]) != placeholders(zh.get(k, ""))]
    assert not wrong, f"placeholders differ: {wrong[:20]}"


def _literal_keys() -> set[tuple[str, str]]:
    """Every key written as a literal in t("...") or msg("...") in the app's code."""
    found = set()
    for path in CODE:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) in ("t", "msg")
                    and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                found.add((str(path.relative_to(ROOT)), node.args[0].value))
    return found


def test_every_key_the_code_uses_exists():
    keys = set(catalog("en"))
    missing = sorted((f, k) for f, k in _literal_keys() if k not in keys)
    assert not missing, f"keys used in code but not in the catalog: {missing[:20]}"


def test_chinese_follows_the_glossary():
    """Transformer stays Transformer (never 变压器); a key in attention is 键 (never 密钥)."""
    bad = {k: v for k, v in catalog("zh").items() if "变压器" in v or "密钥" in v}
    assert not bad, bad


def test_language_is_chosen_per_call_not_per_process():
    with using("zh"):
        zh = t("common.language.label")
        with using("en"):
            assert t("common.language.label") == "Language"
        assert t("common.language.label") == zh
    assert t("common.language.label") == "Language"


def test_a_message_renders_in_the_language_where_it_is_shown():
    m = msg("common.listing.last", items="a, b", last="c")
    assert m.render("en") == "a, b and c"
    with using("zh"):
        assert str(m) == m.render("zh") != m.render("en")


@pytest.mark.parametrize("raw, lang", [("zh-CN", "zh"), ("ZH_tw", "zh"), ("en-GB", "en"), ("fr", None), (None, None), ("", None)])
def test_browser_locales_are_normalised(raw, lang):
    assert i18n.normalize(raw) == lang


def test_catalog_texts_are_not_blank():
    for lang in i18n.LANGS:
        blank = [k for k, v in catalog(lang).items() if not str(v).strip()]
        assert not blank, (lang, blank[:10])


def test_chinese_texts_are_chinese():
    """A zh entry that is the English text copied over is a missing translation (names and formulas excepted)."""
    en, zh = catalog("en"), catalog("zh")
    words = re.compile(r"[A-Za-z]{4,}")
    copied = [k for k in en if en[k] == zh[k] and len(words.findall(en[k])) >= 3]
    assert not copied, f"untranslated: {copied[:20]}"
