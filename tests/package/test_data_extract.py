import pytest
from conftest import require_shared

from lmtutorial.data.extract import extract_label, find_score_spans, find_scores, parse_score, score_to_label


@pytest.mark.parametrize(
    ("text", "scores"),
    [
        ("A solid 7/10.", [7.0]),
        ("I give it 8 out of 10, maybe 4 / 5", [8.0, 8.0]),
        ("Three and a half: 3.5/5 stars", [7.0]),
        ("Just 2 OUT OF TEN.<br />Avoid.", [2.0]),
        ("Seen on 12/10/2005 and open 24/7, 9/11 film", []),
        ("He has 20/10 vision", []),
        ("I give this a -10/10!", []),
        ("I give this movie a10 out of 10", []),  # a score starts a word: QA labels need its span on a token edge
        ("No score here at all.", []),
    ],
)
def test_find_scores(text, scores):
    assert find_scores(text) == scores


def test_imdb_rule_and_last_score_wins():
    assert [score_to_label(s) for s in (1.0, 4.0, 5.0, 6.5, 7.0, 10.0)] == [0, 0, None, None, 1, 1]
    assert extract_label("Critics said 9/10. Rubbish. 2/10") == 0
    assert extract_label("Decent, 6/10") is None
    assert extract_label("no score") is None


def test_errors_are_clear():
    with pytest.raises(ValueError, match="ten-point scale 0..10, got 11"):
        score_to_label(11)
    with pytest.raises(TypeError, match="text: expected a str, got NoneType"):
        find_scores(None)
    with pytest.raises(TypeError, match="text: expected a str, got bytes"):
        find_score_spans(b"7/10")
    with pytest.raises(TypeError, match="answer: expected a str, got int"):
        parse_score(7)


def test_rule_is_precise_on_the_imdb_test_split():
    import pandas as pd

    folder = require_shared("data/imdb")
    frame = pd.read_parquet(folder / "test.parquet", columns=["text", "label"]).iloc[::5]
    decided = [(extract_label(t), label) for t, label in zip(frame.text, frame.label)]
    decided = [(p, label) for p, label in decided if p is not None]
    accuracy = sum(p == label for p, label in decided) / len(decided)
    assert 0.05 < len(decided) / len(frame) < 0.15 and accuracy > 0.95


def test_score_spans_index_the_text_as_given():
    text = "Fine.<br />I say 7/10, my son 20/10, and 3 out of five"
    spans = find_score_spans(text)
    assert [text[s.start:s.end] for s in spans] == ["7/10", "3 out of five"]
    assert [s.score for s in spans] == [7.0, 6.0] == find_scores(text)


@pytest.mark.parametrize(
    ("answer", "score"),
    [
        ("7/10", 7.0),
        ("8 out of ten", 8.0),
        ("eight out of ten", 8.0),
        ("3 stars out of 5", 6.0),
        ("7.0 out of a possible 10", 7.0),
        ("Rating: 4", 4.0),  # no scale: IMDb's ten stars
        ("four stars", 4.0),
        ("20/10", None),
        ("9/11", None),
        ("someone often came tenth", None),
        ("", None),
    ],
)
def test_parse_score_reads_an_answer_span(answer, score):
    assert parse_score(answer) == score


def test_parse_score_agrees_with_the_rule_on_what_the_rule_finds():
    text = "2/10, 4 / 5, 10 OUT OF TEN, 3.5/5 and 0/10"
    assert [parse_score(text[s.start:s.end]) for s in find_score_spans(text)] == find_scores(text)
