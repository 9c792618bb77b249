"""Run media work in a child process, so that a crafted or corrupt file cannot take the worker down.

:func:`run_isolated` starts a fresh child (:mod:`~transcode.sandbox.runner`), which sets its
resource limits (address space, CPU seconds, no core files), runs one picklable callable and sends
back its result or its error (:mod:`~transcode.sandbox.child`). Every abnormal end becomes a
:class:`~transcode.errors.TranscodeError` with a reason a person can act on: a wall-clock or CPU
timeout (``MediaTimeoutError``), a crash (``MediaCrashError``), running out of memory
(``MediaMemoryError``) or a cancellation (``RenderCancelled``). :mod:`~transcode.sandbox.jobs` wraps
the worker's calls: :func:`probe_isolated`, :func:`render_isolated`, :func:`renditions_isolated`.
"""

from transcode.sandbox.child import ProgressFn
from transcode.sandbox.jobs import probe_isolated, render_isolated, renditions_isolated
from transcode.sandbox.prober import Prober
from transcode.sandbox.runner import Cancel, Progress, run_isolated

__all__ = [
    "Cancel",
    "Prober",
    "Progress",
    "ProgressFn",
    "probe_isolated",
    "render_isolated",
    "renditions_isolated",
    "run_isolated",
]
