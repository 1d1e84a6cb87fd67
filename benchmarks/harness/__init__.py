"""The benchmark harness behind benchmarks/run.py: the lab, the Ansible runs, one module per section, the report."""
