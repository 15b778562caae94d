"""Scenarios run in a process of their own (for process-wide settings such as tracing)."""
