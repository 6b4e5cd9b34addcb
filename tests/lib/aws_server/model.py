"""Request validation driven by botocore's own service models (data/<service>/<version>/service-2.json).

AWS checks an input against the same model the SDKs are generated from: required members,
types, length and value ranges, patterns and enums. Type errors become a SerializationException;
constraint errors come back as "N validation error(s) detected: Value X at 'member' failed to
satisfy constraint: Member must ...", under the service's own code (STS ValidationError, ECR
InvalidParameterException).
"""

import functools
import os
import re
from typing import Any

import botocore.loaders
import botocore.model

VERSIONS = {"sts": "2011-06-15", "ecr": "2015-09-21", "ecr-public": "2020-10-30"}


@functools.cache
def service_model(service: str) -> botocore.model.ServiceModel:
    # A newer botocore's models (ECRM_BOTOCORE_DATA: the pyenv Python's botocore/data) come first:
    # Debian's botocore 1.29 predates IMMUTABLE_WITH_EXCLUSION and its exclusion filters.
    extra = [p for p in os.environ.get("ECRM_BOTOCORE_DATA", "").split(":") if p]
    loader = botocore.loaders.Loader(extra_search_paths=extra)
    data = loader.load_service_model(service, "service-2", VERSIONS[service])
    return botocore.model.ServiceModel(data, service_name=service)


class SerializationError(ValueError):
    pass


def _camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def _value_text(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(value)


def _pattern_ok(pattern: str, value: str) -> bool:
    # Java regexes in the models use \uXXXX and \uXXXXX (astral) escapes; python's re reads
    # \uXXXX but not the five-digit form, which only appears at the top of the ARN range.
    pattern = pattern.replace("\\u10000-\\u10FFFF", "\\U00010000-\\U0010FFFF")
    try:
        return re.fullmatch(pattern, value, re.DOTALL) is not None
    except re.error:
        return True


def _check(shape: botocore.model.Shape, value: Any, path: str, errors: list[str]) -> None:
    meta = shape.metadata
    t = shape.type_name

    def violation(rule: str) -> None:
        errors.append(f"Value '{_value_text(value)}' at '{path}' failed to satisfy constraint: "
                      f"Member must {rule}")

    if t == "structure":
        if not isinstance(value, dict):
            raise SerializationError(f"Expected an object at '{path or 'input'}'")
        for name in shape.required_members:
            if value.get(name) is None:
                prefix = f"{path}." if path else ""
                errors.append(f"Value null at '{prefix}{_camel(name)}' failed to satisfy "
                              "constraint: Member must not be null")
        for name, member in shape.members.items():
            if value.get(name) is not None:
                _check(member, value[name], f"{path}.{_camel(name)}" if path else _camel(name),
                       errors)
        return
    if t == "list":
        if not isinstance(value, list):
            raise SerializationError(f"Expected a list at '{path}'")
        if "min" in meta and len(value) < meta["min"]:
            violation(f"have length greater than or equal to {meta['min']}")
        if "max" in meta and len(value) > meta["max"]:
            violation(f"have length less than or equal to {meta['max']}")
        for i, item in enumerate(value):
            _check(shape.member, item, f"{path}.{i + 1}.member", errors)
        return
    if t in ("string", "blob"):
        if not isinstance(value, str):
            raise SerializationError(f"Expected a string at '{path}'")
        if "min" in meta and len(value) < meta["min"]:
            violation(f"have length greater than or equal to {meta['min']}")
        if "max" in meta and len(value) > meta["max"]:
            violation(f"have length less than or equal to {meta['max']}")
        if "pattern" in meta and not _pattern_ok(meta["pattern"], value):
            violation(f"satisfy regular expression pattern: {meta['pattern']}")
        if shape.enum and value not in shape.enum:
            violation(f"satisfy enum value set: [{', '.join(shape.enum)}]")
        return
    if t in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            raise SerializationError(f"Expected a number at '{path}'")
        if "min" in meta and value < meta["min"]:
            violation(f"have value greater than or equal to {meta['min']}")
        if "max" in meta and value > meta["max"]:
            violation(f"have value less than or equal to {meta['max']}")
        return
    if t == "boolean" and not isinstance(value, bool):
        raise SerializationError(f"Expected a boolean at '{path}'")


def validate_input(service: str, operation: str, params: dict[str, Any]) -> str | None:
    """None when params satisfy the operation's input shape, else AWS's validation message.

    Raises SerializationError when a member has the wrong JSON type.
    """
    op = service_model(service).operation_model(operation)
    errors: list[str] = []
    _check(op.input_shape, params, "", errors)
    if not errors:
        return None
    noun = "error" if len(errors) == 1 else "errors"
    return f"{len(errors)} validation {noun} detected: " + "; ".join(errors)


def error_status(service: str, code: str) -> int | None:
    """The HTTP status a modeled error carries, from the model's "error" trait."""
    for shape in service_model(service).error_shapes:
        meta = shape.metadata.get("error", {})
        if meta.get("code", shape.name) == code:
            return meta.get("httpStatusCode")
    return None
