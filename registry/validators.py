"""Field validators wrapping the identifier rules of registry/codes.py."""

from django.core.exceptions import ValidationError

from registry.codes import CodeError, parse_registration_number, parse_uscc


def validate_uscc(value: str) -> None:
    try:
        parse_uscc(value)
    except CodeError as exc:
        raise ValidationError(exc.message, code=exc.check) from exc


def validate_registration_number(value: str) -> None:
    if not value:
        return
    try:
        parse_registration_number(value)
    except CodeError as exc:
        raise ValidationError(exc.message, code=exc.check) from exc
