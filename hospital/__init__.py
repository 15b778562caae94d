"""A hospital's own SOAP service: the reference implementation of the operations the
NCMS calls on a hospital (soap-interface.md: ``yhklxgjk``, ``Yhzjjk``, ``Yhscjk``
and ``zysjcxjk``).

It is the NCMS's own code pointed the other way: the same WSDL conventions,
DataSets and digest (gateway/), and the same users, passwords, addresses,
lock-out, letters and audit (an identity service of its own, in the same process,
holding this one hospital with the key its NCMS issued). The in-patient data comes
through a small adapter (adapter.py) that a hospital implements against its own HIS
tables; the one shipped here (sql_adapter.py) reads tables of its own.
"""
