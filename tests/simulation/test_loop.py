"""The step loop and the backend protocol, on the deterministic fake backend."""

from simulation.backend import FakeBackend
from simulation.loop import run_loop


class Recorder:
    def __init__(self, interval_s: float) -> None:
        self.interval_s = interval_s
        self.started = False
        self.times: list[float] = []

    def start(self, sim) -> None:
        self.started = True

    def act(self, sim) -> None:
        self.times.append(sim.time())
        sim.apply("trafficlight", "setPhase", "J1", len(self.times) % 4)


def test_controllers_act_on_their_interval():
    backend = FakeBackend()
    fast, slow = Recorder(5.0), Recorder(30.0)
    final = run_loop(backend, begin=0.0, end=60.0, controllers=[fast, slow])
    assert final == 60.0
    assert fast.started and slow.started
    assert fast.times == [5.0 * i for i in range(1, 13)]
    assert slow.times == [30.0, 60.0]
    assert backend.calls[0] == ("trafficlight", "setPhase", ("J1", 1))


def test_without_controllers_the_loop_takes_long_strides():
    backend = FakeBackend()
    reports: list[float] = []
    run_loop(backend, begin=100.0, end=3700.0, progress=reports.append)
    # progress every max(60 s, window / 200) and once at the end, nothing per step
    assert reports[0] == 160.0 and reports[-1] == 3700.0
    assert len(reports) == 61


def test_open_end_stops_when_the_network_is_empty():
    backend = FakeBackend(vehicles=[0.0, 100.0], trip_s=250.0)
    final = run_loop(backend, begin=0.0, end=None, report_every_s=50.0)
    assert final == 350.0
