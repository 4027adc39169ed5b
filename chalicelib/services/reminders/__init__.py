"""Reminders: each case's plan, the sweep, the delivery; with their ports."""
