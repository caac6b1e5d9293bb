"""Development only: the demo trust (`seed_demo`) and the trust-sized data set for `make bench` (`seed_scale`).

Both refuse to run in production. The site itself never imports this package; only those commands do.
"""
