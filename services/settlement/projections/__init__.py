"""Settlement's own copies of the facts a bill needs, kept from their owners' change
feeds (runtime.projection): the catalog's hospital items and current NCMS items,
enrolment's members and their years. A bill is priced and its member checked from
these copies; what a copy does not hold yet is asked of its owner (facts.py)."""
