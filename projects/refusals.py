"""One base for every refusal the product gives a person: a message in a clerk's words, a code, a field.

A refusal is not a bug: it is the answer to input or a request that cannot be accepted (a number that
is not one, a move the form's state does not allow, a file that is not a workbook). Pages show
`message` (next to `field` when there is one); the workflow's views map `code` to an HTTP status.
"""

from __future__ import annotations


class Refused(Exception):
    """Something a person asked for or typed cannot be accepted; `message` says why and where."""

    code: str = "invalid"

    def __init__(self, message: str, code: str | None = None, field: str = "") -> None:
        super().__init__(message)
        self.message = str(message)
        if code is not None:
            self.code = code
        self.field = field

    def __str__(self) -> str:
        return self.message
