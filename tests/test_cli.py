"""The command line: explain from shapes, errors with exit status 2, the demo."""

from __future__ import annotations

import pytest

from seqshape.cli import main


def test_explain_the_seed_question(capsys):
    assert main(["explain", "--x-shape", "1200,40,2", "--y-shape", "1200,10,2"]) == 0
    out = capsys.readouterr().out
    assert "many-to-many (different lengths), encoder_decoder" in out
    assert "40 steps of 2 features" in out
    assert "repeated 10 times" in out
    assert "(batch, 10, 2)" in out


def test_explain_the_stacked_seed_model_counts_2398(capsys):
    main(["explain", "--x-shape", "1200,40,1", "--y-shape", "1200,10", "--units", "12,12,6"])
    out = capsys.readouterr().out
    assert out.rstrip().endswith("2,398")


def test_explain_classification_and_tokens(capsys):
    arguments = [
        "explain",
        "--x-shape",
        "25000,100",
        "--y-shape",
        "25000",
        "--task",
        "binary",
        "--classes",
        "2",
        "--vocabulary-size",
        "5000",
        "--units",
        "100",
    ]
    assert main(arguments) == 0
    out = capsys.readouterr().out
    assert "Embedding" in out and out.rstrip().endswith("213,301")


def test_impossible_strategy_exits_2_with_the_reason(capsys):
    arguments = [
        "explain",
        "--x-shape",
        "10,5,1",
        "--y-shape",
        "10,8,1",
        "--strategy",
        "last_steps",
    ]
    assert main(arguments) == 2
    err = capsys.readouterr().err
    assert "T_out <= T_in" in err and "Traceback" not in err


def test_bad_shape_text_is_an_argparse_error(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["explain", "--x-shape", "abc", "--y-shape", "10,1"])
    assert exited.value.code == 2
    assert "1200,40,2" in capsys.readouterr().err


def test_demo_trains_and_beats_the_last_value(capsys):
    assert main(["demo", "--epochs", "40", "--verbose", "0"]) == 0
    out = capsys.readouterr().out
    rows = {
        line[:22].strip(): float(line.split()[-2])
        for line in out.splitlines()
        if line.startswith(("seqshape ", "last value"))
    }
    assert rows["seqshape"] < 0.5 * rows["last value (baseline)"]
