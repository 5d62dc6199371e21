"""One thread per numerical library, set before any of them is imported (import this first).

On a 2-core machine, NumPy's OpenBLAS, PyTorch's OpenMP and XLA's thread pools spin against
each other: a batch-8 forward that takes 0.2 ms alone took 30 ms with all three loaded. One
thread each makes every tool's time its own and the comparison fair (a batch-8 MLP gains nothing
from threads). A variable already set in the environment wins.
"""

import os

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")
os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")
