"""Checks: the tally the integration scripts keep. Each expectation prints one "ok:" or "FAIL:"
line (with the detail when it fails), and the script exits non-zero when any failed."""


class Checks:
    def __init__(self):
        self.failed = 0

    def expect(self, condition, what, detail=""):
        print(("ok:   " if condition else "FAIL: ") + what + ("" if condition else f"  [{detail}]"))
        if not condition:
            self.failed += 1
        return condition
