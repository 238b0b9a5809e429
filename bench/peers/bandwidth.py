"""Memory bandwidth of this machine, memcpy-style, with numpy.

Copies a 512 MiB array a few times and reports the best rate in GB/s,
counting read + write bytes (a copy moves 2x the array size). Prints JSON.
"""
import json
import time

import numpy as np

SIZE = 512 * 2**20
src = np.ones(SIZE, dtype=np.uint8)
dst = np.empty_like(src)
best = 0.0
for _ in range(5):
    t0 = time.perf_counter()
    np.copyto(dst, src)
    dt = time.perf_counter() - t0
    best = max(best, 2 * SIZE / dt / 1e9)
print(json.dumps({"copyGBps": best, "bytes": SIZE}))
