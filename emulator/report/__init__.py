"""``bedrock-emulator report``: a journal in, one self-contained HTML file out (for a CI artifact).

``source`` reads the journal (an emulator's URL, or a file saved from its admin API) with a progress bar
on a terminal; ``analysis`` works out outcomes per rule and per operation, latency and time-to-first-token
percentiles, broken streams and the retries clients made; ``page`` writes the HTML, drawing the timeline
with the dashboard's own code (emulator/timeline.js). docs/report.md says how to use it in CI.
"""

from emulator.report.command import add_arguments, run

__all__ = ["add_arguments", "run"]
