"""ganzoo training recipes (outside the inference package; ganzoo never imports this)."""
