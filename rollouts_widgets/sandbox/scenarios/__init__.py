"""Sandbox scenarios: demo, empty, scale:N."""
