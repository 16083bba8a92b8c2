"""Every topology and strategy learns a small task that needs it, and beats a baseline.

Each case trains with a fixed seed on generated data and scores on held-out samples.
Regression: the model's MAE must be at most half the baseline's. Classification: its
accuracy must beat the majority class by at least 0.25.
"""

from __future__ import annotations

import numpy as np
import pytest
import tasks

from seqshape import SequenceModel
from seqshape.baselines import LastValueBaseline, MajorityClassBaseline, MeanBaseline
from seqshape.metrics import classification_scores, regression_scores

CASES = [
    # id, data, model arguments, (topology, strategy) that must be chosen, baseline
    ("one_to_one_dense", tasks.vector_to_value, {}, ("one_to_one", "dense"), MeanBaseline),
    (
        "one_to_one_recurrent",
        lambda: tasks.vector_to_value(single_step=True),
        {},
        ("one_to_one", "recurrent"),
        MeanBaseline,
    ),
    (
        "one_to_many",
        tasks.sine_from_parameters,
        {},
        ("one_to_many", "repeat_vector"),
        MeanBaseline,
    ),
    ("many_to_one_sum", tasks.sequence_sum, {}, ("many_to_one", "last_state"), MeanBaseline),
    (
        "many_to_one_gru",
        tasks.sequence_sum,
        {"cell": "gru"},
        ("many_to_one", "last_state"),
        MeanBaseline,
    ),
    (
        "many_to_one_simple_rnn_bidirectional",
        tasks.sequence_sum,
        {"cell": "simple_rnn", "bidirectional": True},
        ("many_to_one", "last_state"),
        MeanBaseline,
    ),
    (
        "many_to_one_binary",
        tasks.trend_direction,
        {},
        ("many_to_one", "lstm_fcn"),
        MajorityClassBaseline,
    ),
    (
        "many_to_one_multiclass",
        tasks.frequency_class,
        {},
        ("many_to_one", "lstm_fcn"),
        MajorityClassBaseline,
    ),
    (
        "many_to_one_tokens",
        tasks.token_presence,
        {"vocabulary_size": 50, "embedding_dim": 8},
        ("many_to_one", "last_state"),
        MajorityClassBaseline,
    ),
    (
        "aligned_per_step_labels",
        tasks.running_sign,
        {},
        ("many_to_many_aligned", "time_distributed"),
        MajorityClassBaseline,
    ),
    (
        "encoder_decoder_40x2_to_10x2",
        tasks.seed_forecast,
        {},
        ("many_to_many", "encoder_decoder"),
        LastValueBaseline,
    ),
    (
        "stacked_12_12_6_dense_head",
        tasks.seed_forecast,
        {"strategy": "dense_head", "units": (12, 12, 6)},
        ("many_to_many", "dense_head"),
        LastValueBaseline,
    ),
    (
        "last_steps",
        tasks.seed_forecast,
        {"strategy": "last_steps"},
        ("many_to_many", "last_steps"),
        LastValueBaseline,
    ),
    ("pad_5_to_8", tasks.running_sum_padded, {}, ("many_to_many", "encoder_decoder"), None),
    (
        "pad_5_to_8_strategy",
        tasks.running_sum_padded,
        {"strategy": "pad"},
        ("many_to_many", "pad"),
        MeanBaseline,
    ),
    (
        "channel_independent",
        tasks.independent_channels,
        {"topology": "channel_independent", "units": (12, 12, 6)},
        ("channel_independent", "dense_head"),
        LastValueBaseline,
    ),
    (
        "spatio_temporal_cnn_lstm",
        tasks.moving_dot,
        {"units": (16,), "filters": (8,)},
        ("spatio_temporal", "cnn_lstm"),
        MajorityClassBaseline,
    ),
    (
        "spatio_temporal_conv_lstm",
        tasks.moving_dot,
        {"strategy": "conv_lstm", "units": (16,), "filters": (8,)},
        ("spatio_temporal", "conv_lstm"),
        MajorityClassBaseline,
    ),
]
# The default (encoder_decoder) on 5 -> 8 steps is also checked against the mean.
CASES = [case if case[4] else (*case[:4], MeanBaseline) for case in CASES]


@pytest.mark.parametrize(
    ("data", "arguments", "chosen", "baseline_class"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_topology_learns_and_beats_its_baseline(data, arguments, chosen, baseline_class):
    X, y = data()
    X_train, y_train, X_test, y_test = tasks.split(X, y)
    model = SequenceModel(epochs=80, random_state=0, **arguments).fit(X_train, y_train)
    assert (model.spec_.topology, model.spec_.strategy) == chosen

    predicted = model.predict(X_test)
    assert predicted.shape == y_test.shape
    baseline = baseline_class().fit(X_train, y_train).predict(X_test)
    if model.spec_.is_classifier:
        ours = classification_scores(y_test, predicted)["accuracy"]
        theirs = classification_scores(y_test, baseline)["accuracy"]
        assert set(np.unique(predicted)) <= set(np.unique(y_train))
        assert ours >= theirs + 0.25, f"accuracy {ours:.3f} vs baseline {theirs:.3f}"
    else:
        ours = regression_scores(y_test, predicted)["MAE"]
        theirs = regression_scores(y_test, baseline)["MAE"]
        assert ours <= 0.5 * theirs, f"MAE {ours:.4f} vs baseline {theirs:.4f}"
