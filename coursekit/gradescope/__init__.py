"""Gradescope: export a week as an autograder zip, and grade one submission inside it."""
