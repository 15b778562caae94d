"""Supervision (监管): rules over settled bills and report figures, for the NCMS centre.

periods.py    a month, quarter or year, in Beijing time
rules.yaml    the rules' names, descriptions and parameters (an operator's copy may
              replace it: NCMS_SUPERVISION_RULES)
rules.py      loading that configuration, and the rules' judgement on plain rows
queries.py    the SQL that selects what the rules judge and sums the report's figures
report.py     the figures per hospital and level, from the summed rows
service.py    the gRPC servicer (SupervisionService), hosted by the settlement server
"""
