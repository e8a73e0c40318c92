# SPDX-License-Identifier: Apache-2.0
from prometheus_client import multiprocess


def child_exit(server, worker):
    multiprocess.mark_process_dead(worker.pid)
