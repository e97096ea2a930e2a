"""Argument checks: the one home of the checks every stage and front end calls (errors name
the argument, expected vs got)."""
