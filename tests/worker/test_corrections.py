"""The web process's correction-scan thread: woken after a save, it runs the due scans; a wake during a run
runs them once more (the run may have read the due scans before the new one was saved); a failure is
logged and the next wake still runs."""

import threading

import pytest

from mangxanh.worker.corrections import ScanStarter


def test_a_wake_during_a_run_runs_once_more_and_a_failure_does_not_stop_it(caplog: pytest.LogCaptureFixture
                                                                            ) -> None:
    inside, release = threading.Event(), threading.Event()
    runs: list[str] = []

    def run() -> int:
        runs.append(threading.current_thread().name)
        if len(runs) == 1:
            inside.set()
            assert release.wait(5)
        if len(runs) == 3:
            raise RuntimeError("database gone")
        return 1

    starter = ScanStarter(run)
    starter.wake()
    assert inside.wait(5)
    starter.wake()  # while the first run is going: one more run, not a second thread
    starter.wake()
    release.set()
    starter.join(5)
    assert runs == ["correction-scans", "correction-scans"]
    starter.wake()  # the third run fails: logged
    starter.join(5)
    assert "correction scans failed" in caplog.text and len(runs) == 3
    starter.wake()  # and the thread starts again on the next wake
    starter.join(5)
    assert len(runs) == 4
