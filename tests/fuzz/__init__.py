"""Schemathesis against the official swagger: the spec as the fuzzer reads it, and the project's own checks."""
