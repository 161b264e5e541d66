"""Tests of the gate domain."""
