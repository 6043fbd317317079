"""Criteria files: the shipped ones load; a broken one is refused with the file, line and key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from panel_desk.errors import BadInput
from panel_desk.services.criteria import (
    load_criteria_file,
    shipped_criteria,
    shipped_criteria_path,
    spec_of,
    store_criteria_set,
)
from panel_desk.services.database import Database
from panel_desk.store.models import Stage


def _gateway_text() -> str:
    return shipped_criteria_path(Stage.GATEWAY).read_text(encoding="utf-8")


def _line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """The 1-based number of the line holding the `occurrence`-th `needle`."""
    lines = [i for i, line in enumerate(text.splitlines(), start=1) if needle in line]
    return lines[occurrence - 1]


def _broken(tmp_path: Path, text: str) -> BadInput:
    path = tmp_path / "criteria.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(BadInput) as caught:
        load_criteria_file(path)
    assert caught.value.source == str(path)
    assert str(path) in str(caught.value)
    return caught.value


def _replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) >= 1, f"{old!r} is not in the shipped file any more"
    return text.replace(old, new, 1)


# --- the shipped files -------------------------------------------------------------------


@pytest.mark.parametrize("stage", list(Stage))
def test_every_shipped_criteria_file_loads_for_its_stage(stage: Stage) -> None:
    spec = shipped_criteria(stage)

    assert spec.stage == stage
    assert spec.title and spec.version
    assert spec.criteria, "a stage without criteria cannot be reviewed"
    assert len({c.key for c in spec.criteria}) == len(spec.criteria)
    for criterion in spec.criteria:
        assert criterion.weight >= 0
        assert criterion.label
        if criterion.gateway:
            assert not criterion.scale.numeric, f"{criterion.key} is a numeric gateway"
        if not criterion.scale.numeric:
            assert set(criterion.scale.passing) <= set(criterion.scale.options)
    assert spec.recommendation.options
    assert set(spec.recommendation.passing) <= set(spec.recommendation.options)
    assert spec.fields and spec.documents, "screening needs something to check"
    assert all(d.patterns for d in spec.documents)
    assert spec.divergence_threshold > 0
    assert 1 <= spec.team_size <= 12


@pytest.mark.parametrize("stage", list(Stage))
def test_only_the_gateway_stage_is_competitive(stage: Stage) -> None:
    spec = shipped_criteria(stage)

    assert spec.competitive == (stage == Stage.GATEWAY)
    if spec.competitive:
        assert any(c.scale.numeric and c.weight > 0 for c in spec.criteria)
        assert any(c.gateway for c in spec.criteria)
    else:
        assert not any(c.gateway for c in spec.criteria)


def test_a_stored_criteria_set_reads_back_as_the_same_spec(empty_db: Database) -> None:
    spec = shipped_criteria(Stage.ENDORSEMENT)

    with empty_db.transaction() as session:
        stored = store_criteria_set(session, spec)
        again = store_criteria_set(session, spec)
        rebuilt = spec_of(stored)

    assert again.id == stored.id, "one snapshot per distinct file"
    assert [c.key for c in stored.criteria] == [c.key for c in spec.criteria]
    assert rebuilt.criteria == spec.criteria
    assert rebuilt.recommendation == spec.recommendation
    assert rebuilt.requirements == spec.requirements


# --- broken files ------------------------------------------------------------------------


def test_a_toml_syntax_error_names_the_file_and_line(tmp_path: Path) -> None:
    text = _replace_once(_gateway_text(), 'version = "2026.1"', "version = 2026.1.0")
    error = _broken(tmp_path, text)

    line = _line_of(text, "version = 2026.1.0")
    assert f"line {line}" in str(error)
    assert "not valid TOML" in str(error)


def test_a_truncated_file_says_where_it_ends(tmp_path: Path) -> None:
    text = _gateway_text()
    cut = text[: text.index('guidance = """', text.index("need_at_scale")) + 20]
    error = _broken(tmp_path, cut)

    assert "not valid TOML" in str(error)
    assert f"line {len(cut.splitlines())}" in str(error)


def test_an_unknown_scale_names_the_line_of_the_scale_and_the_criterion(tmp_path: Path) -> None:
    text = _replace_once(
        _gateway_text(),
        'key = "scale_of_need"\nlabel = "Scale of the need"\ngroup = "Prioritisation criteria"\n'
        'scale = "priority"',
        'key = "scale_of_need"\nlabel = "Scale of the need"\ngroup = "Prioritisation criteria"\n'
        'scale = "priorty"',
    )
    error = _broken(tmp_path, text)

    line = _line_of(text, 'scale = "priorty"')
    assert line == _line_of(text, 'key = "scale_of_need"') + 3
    assert error.where.startswith(f"line {line},")
    assert '"scale_of_need"' in str(error)
    assert "unknown scale 'priorty'" in str(error)
    assert "gateway, priority" in str(error), "the message lists the scales that exist"


def test_a_criterion_key_used_twice_is_refused(tmp_path: Path) -> None:
    text = _replace_once(_gateway_text(), 'key = "scale_of_need"', 'key = "priority_of_need"')
    error = _broken(tmp_path, text)

    assert "'priority_of_need' is used twice" in str(error)
    line = _line_of(text, 'key = "priority_of_need"', occurrence=2)
    assert error.where.startswith(f"line {line},")


def test_a_negative_weight_is_refused(tmp_path: Path) -> None:
    text = _replace_once(_gateway_text(), "weight = 0.15", "weight = -0.15")
    error = _broken(tmp_path, text)

    assert "weight" in error.where
    assert '"inclusive_target_group"' in error.where
    assert "must be ≥ 0" in error.problem
    assert error.where.startswith(f"line {_line_of(text, 'weight = -0.15')},")


def test_a_misspelt_top_level_key_is_refused(tmp_path: Path) -> None:
    text = _replace_once(
        _gateway_text(), "competitive = true\n", "competitive = true\nwieght = 1\n"
    )
    error = _broken(tmp_path, text)

    assert "wieght" in str(error)
    assert "unknown key" in error.problem
    assert error.where.startswith(f"line {_line_of(text, 'wieght')},")


def test_a_misspelt_criterion_key_is_refused(tmp_path: Path) -> None:
    text = _replace_once(_gateway_text(), "weight = 0.15", "wieght = 0.15")
    error = _broken(tmp_path, text)

    assert "wieght" in error.where and '"inclusive_target_group"' in error.where
    assert "weight" in error.problem, "the message lists the keys a criterion may have"


def test_a_newer_format_is_refused_as_newer(tmp_path: Path) -> None:
    text = _replace_once(_gateway_text(), "format = 1", "format = 2")
    error = _broken(tmp_path, text)

    assert "newer" in error.problem
    assert "format" in error.where


def test_a_passing_value_outside_the_options_is_refused(tmp_path: Path) -> None:
    text = _replace_once(_gateway_text(), 'passing = ["met"]', 'passing = ["passed"]')
    error = _broken(tmp_path, text)

    assert "scales.gateway.passing" in error.where
    assert "'passed' is not one of the options" in error.problem


def test_a_missing_recommendation_is_refused(tmp_path: Path) -> None:
    text = re.sub(r"\[recommendation\]\n(?:[a-z_]+ = .*\n)+", "", _gateway_text())
    assert "[recommendation]" not in text
    error = _broken(tmp_path, text)

    assert error.where.endswith("recommendation")
    assert "is missing" in error.problem
    assert "line 1," not in error.where, "a missing table has no line to point at"


def test_a_file_without_criteria_is_refused(tmp_path: Path) -> None:
    text = re.sub(r"\[\[criteria\]\].*?(?=\[recommendation\])", "", _gateway_text(), flags=re.S)
    assert "[[criteria]]" not in text
    error = _broken(tmp_path, text)

    assert "criteria" in error.where
    assert "[[criteria]]" in error.problem


def test_a_numeric_gateway_criterion_is_refused(tmp_path: Path) -> None:
    text = _replace_once(
        _gateway_text(),
        'scale = "priority"\nweight = 0.25',
        'scale = "priority"\ngateway = true\nweight = 0.25',
    )
    error = _broken(tmp_path, text)

    assert '"priority_of_need"' in error.where
    assert "categorical" in error.problem


def test_an_unknown_stage_lists_the_stages(tmp_path: Path) -> None:
    error = _broken(tmp_path, _replace_once(_gateway_text(), 'stage = "gateway"', 'stage = "gw"'))

    assert all(stage.value in error.problem for stage in Stage)


def test_a_missing_file_and_a_non_utf8_file_are_bad_input(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="no such criteria file"):
        load_criteria_file(tmp_path / "nowhere.toml")
    latin = tmp_path / "latin.toml"
    latin.write_bytes(_gateway_text().replace("Proposal", "Propos\xe9", 1).encode("latin-1"))
    with pytest.raises(BadInput, match="not UTF-8"):
        load_criteria_file(latin)
