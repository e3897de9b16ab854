"""Building symbol datasets, training the classifier, and shipping it.

Only :mod:`mathocr.training.model`, :mod:`mathocr.training.trainer` and
:mod:`mathocr.training.export` import torch; the dataset builder and the
metrics are plain numpy so that ``mathocr dataset`` and
``mathocr evaluate-symbols`` work in the serving install.
"""
