"""Identity's gRPC servicers, one per area: deciding legacy calls (authentication),
the hospital users' own operations, hospitals, users, service clients, the audit log,
tokens. Each translates protobuf to plain data and frames one transaction per call;
the rules live in the domain modules beside this package."""
