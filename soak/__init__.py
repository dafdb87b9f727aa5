"""Fault injection at city scale: `make soak` replays a year of chases while processes are killed, sinks fail
and runs overlap, then proves that every planned message arrived once (its key at least once, extra arrivals
only re-sends of a killed dispatcher's batch). The crash tests reuse its pieces: sinks in their own process
with faults in front (sinks.py), and the work a process is killed in the middle of (jobs.py)."""
