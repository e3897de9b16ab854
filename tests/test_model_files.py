"""ONNX Runtime sessions as the recognizer opens them."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mathocr.model_files import cpu_session

MODELS = Path(__file__).resolve().parent.parent / "mathocr" / "models"


def test_sessions_keep_no_memory_arena_between_batches():
    """Batches vary with every image; an arena would keep the largest one's memory for good."""
    session = cpu_session(MODELS / "symbols.onnx", 1)
    options = session.get_session_options()
    assert options.enable_cpu_mem_arena is False
    assert options.enable_mem_pattern is False
    assert options.intra_op_num_threads == 1
    # and it still runs, on batches of different sizes
    inputs = session.get_inputs()
    for batch in (1, 7, 30):
        feed = {}
        for item in inputs:
            shape = [batch if not isinstance(d, int) else d for d in item.shape]
            feed[item.name] = np.zeros(shape, dtype=np.float32)
        outputs = session.run(None, feed)
        assert outputs[0].shape[0] == batch
