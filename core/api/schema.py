"""drf-spectacular hooks."""


def strip_optional_trailing_slash(endpoints, **kwargs):
    """Routes accept a path with or without its trailing slash (``/?``); the schema
    names the form without one, as the API's documented paths are written."""
    return [
        (path.rstrip("/") if path != "/" else path, path_regex, method, callback)
        for path, path_regex, method, callback in endpoints
    ]


ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "fields"],
            "properties": {
                "code": {"type": "string", "example": "validation_error"},
                "message": {"type": "string"},
                "fields": {
                    "type": "object",
                    "additionalProperties": True,
                    "description": "Per-field messages, for validation errors.",
                },
            },
        }
    },
}

_ERRORS = {
    "400": "Invalid input.",
    "401": "Not authenticated, or an invalid token.",
    "403": "Not allowed for this user's roles.",
    "404": "No such object (or no such page of a list).",
    "409": "The object's current state forbids this (an illegal move, or it is still in use).",
    "413": "The request body is too large.",
    "503": "A dependency is unavailable; retry later.",
}
_WRITE_METHODS = {"post", "put", "patch"}
_CHANGING_METHODS = {*_WRITE_METHODS, "delete"}
_PAGING = {"page", "page_size"}


def add_error_responses(result, **kwargs):
    """Every operation can answer with the error shape; say which statuses, and how it looks."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    reference = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            statuses = ["401", "403", "503"]
            parameters = {p.get("name") for p in operation.get("parameters", [])}
            queried = any(p.get("in") == "query" for p in operation.get("parameters", []))
            if method in _WRITE_METHODS:
                statuses += ["400", "413"]
            elif queried:
                statuses.append("400")  # a filter or query value that cannot be read
            if method in _CHANGING_METHODS:
                statuses.append("409")
            if "{" in path or "page" in parameters:
                statuses.append("404")
            if method == "get":
                for parameter in operation.get("parameters", []):
                    if parameter.get("in") == "query" and parameter["name"] not in _PAGING:
                        # An empty filter or search value means "not filtered".
                        parameter["allowEmptyValue"] = True
            responses = operation.setdefault("responses", {})
            for status in statuses:
                responses.setdefault(status, {"description": _ERRORS[status], "content": reference})
            for status, response in responses.items():
                # An error a view declares itself (by its description) has the same shape.
                if status in _ERRORS and "content" not in response:
                    response["content"] = reference
    return result
