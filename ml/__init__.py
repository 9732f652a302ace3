"""The oO scorer and its tests; scorer.py also runs on its own as a script."""
