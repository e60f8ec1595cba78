"""Sandbox clocks: real time times a speed factor, or a manual clock for tests."""
