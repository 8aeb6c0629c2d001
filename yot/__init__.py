"""YOT cohort analytics: proven reoffending, first-time entrants, Theme 1 targets and programme evaluation.

The counting rules are those of ``METHODS.md`` (shipped as ``docs/methods.md``); each public function is
named after the rule it implements.
"""

__version__ = "0.1.0"
