"""Authoring workflows: release a week, prove its checks valid, simulate learner submissions."""
