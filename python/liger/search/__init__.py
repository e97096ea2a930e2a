"""Search: the exact nearest-support / k-NN / radius searches of the compiled core
(``nearest``), the k-NN graph index the Session answers from (``neighbours``), and the wrappers of
the core's other calls (``core_calls``). The only stage that calls ``liger._core``."""
