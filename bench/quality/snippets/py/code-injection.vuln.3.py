def apply_rule(rule: str, value: int) -> bool:
    return bool(eval(rule, {"value": value}))
