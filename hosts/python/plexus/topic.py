"""Topic patterns (protocol.md §5 manifest `events`): `*` matches one token, `>` the rest."""


def topic_matches(pattern: str, topic: str) -> bool:
    """True when `topic` (dot-separated tokens) matches `pattern`; `>` needs at least one token."""
    if pattern == topic:
        return True
    p, t = pattern.split("."), topic.split(".")
    for i, token in enumerate(p):
        if token == ">":
            return len(t) > i
        if i >= len(t) or (token != "*" and token != t[i]):
            return False
    return len(p) == len(t)
