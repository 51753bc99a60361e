"""Grading workflows: one submission, a batch, feedback, the gradebook and the cohort report."""
