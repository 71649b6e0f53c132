"""E-billboards: short awareness messages for the public screens of apartment blocks, offices and schools.

A screen (``BillboardScreen``) is one playlist: every display that opens ``/bang-tin/{code}`` plays
it, so one code stands for a group of displays (the lobbies of one block, say). A message plays on
the screens it targets (all of them when it names none), inside its validity period and, when it has
one, its daily schedule in Vietnam's time.
"""
