"""An independent ITU-R BS.1770-4 loudness meter in numpy, to check the one the project uses (ebur128).

K-weighting is applied in the frequency domain (the two biquads' response at every FFT bin, with
enough zero padding that their ringing dies out), then 400 ms blocks overlapping by 75% are gated
at -70 LUFS and at 10 LU under the ungated mean (integrated loudness), and 3 s windows at -70 LUFS
and 20 LU under their mean before the 10th to 95th percentile spread (EBU Tech 3342 loudness range).
Only 48 kHz is supported: the filter coefficients are the ones the recommendation gives for it.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["integrated_and_range"]

_SHELF = ([1.53512485958697, -2.69169618940638, 1.19839281085285], [1.0, -1.69065929318241, 0.73248077421585])
_HIGHPASS = ([1.0, -2.0, 1.0], [1.0, -1.99004745483398, 0.99007225036621])
_RATE = 48000


def _k_weighted(samples: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    n = samples.shape[1] + _RATE  # one second of padding: the high-pass rings for well under that
    z = np.exp(-2j * np.pi * np.fft.rfftfreq(n))  # z^-1 on the unit circle
    response = np.ones_like(z)
    for b, a in (_SHELF, _HIGHPASS):
        response *= (b[0] + b[1] * z + b[2] * z * z) / (a[0] + a[1] * z + a[2] * z * z)
    return np.fft.irfft(np.fft.rfft(samples, n) * response, n)[:, : samples.shape[1]]


def _powers(weighted: npt.NDArray[np.float64], seconds: float, step: float) -> npt.NDArray[np.float64]:
    """Mean square summed over channels, for every window of ``seconds`` every ``step`` seconds."""
    length, hop = round(seconds * _RATE), round(step * _RATE)
    squares = np.concatenate([np.zeros(1), np.cumsum((weighted**2).sum(axis=0))])
    starts = np.arange(0, weighted.shape[1] - length + 1, hop)
    return np.asarray((squares[starts + length] - squares[starts]) / length, np.float64)


def _lufs(power: npt.NDArray[np.float64] | float) -> npt.NDArray[np.float64]:
    return np.asarray(-0.691 + 10 * np.log10(np.maximum(power, 1e-20)), np.float64)


def integrated_and_range(samples: npt.NDArray[np.float64], rate: int) -> tuple[float, float]:
    """Integrated loudness (LUFS) and loudness range (LU) of ``samples`` (channels, n), left/right weight 1."""
    if rate != _RATE:
        raise ValueError("this reference meter has the K-weighting coefficients for 48 kHz only")
    weighted = _k_weighted(samples)
    blocks = _powers(weighted, 0.4, 0.1)
    blocks = blocks[_lufs(blocks) > -70]
    relative = _lufs(blocks.mean()) - 10
    integrated = float(_lufs(blocks[_lufs(blocks) > relative].mean()))
    short = _lufs(_powers(weighted, 3.0, 0.1))
    short = short[short > -70]
    short = short[short > _lufs(np.mean(10 ** ((short + 0.691) / 10))) - 20]
    low, high = np.percentile(short, [10, 95])
    return integrated, float(high - low)
