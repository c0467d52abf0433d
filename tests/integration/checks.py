"""What the integration scripts share: Checks, the tally they keep (each expectation prints one
"ok:" or "FAIL:" line, with the detail when it fails, and the script exits non-zero when any
failed), and the environment their runs start from."""
import os

PROFILER_VARIABLES = ("ld_preload", "clw_memory_limit")


def environment_without_profiler(*also):
    """This process's environment without any profiler setting (CLWLEAK_*, LD_PRELOAD,
    CLW_MEMORY_LIMIT) nor the variables named in `also` (any case), so that a run gets exactly the
    settings its test gives it."""
    dropped = set(PROFILER_VARIABLES) | {name.lower() for name in also}
    return {key: value for key, value in os.environ.items()
            if not key.startswith("CLWLEAK_") and key.lower() not in dropped}


class Checks:
    def __init__(self):
        self.failed = 0

    def expect(self, condition, what, detail=""):
        print(("ok:   " if condition else "FAIL: ") + what + ("" if condition else f"  [{detail}]"))
        if not condition:
            self.failed += 1
        return condition
