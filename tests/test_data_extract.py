import pytest
from conftest import require_shared

from lmtutorial.data.extract import extract_label, find_scores, score_to_label


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


def test_rule_is_precise_on_the_imdb_test_split():
    import pandas as pd

    folder = require_shared("data/imdb")
    frame = pd.read_parquet(folder / "test.parquet", columns=["text", "label"]).iloc[::5]
    decided = [(extract_label(t), label) for t, label in zip(frame.text, frame.label)]
    decided = [(p, label) for p, label in decided if p is not None]
    accuracy = sum(p == label for p, label in decided) / len(decided)
    assert 0.05 < len(decided) / len(frame) < 0.15 and accuracy > 0.95
