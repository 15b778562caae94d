"""Settlement's gRPC servicers, one per area: settlements and refunds, admissions,
reconciliation, the relay to hospitals' own services (supervision has its own room,
supervision/). Each translates protobuf to plain data and frames one transaction per
call; the rules live in the domain modules beside this package."""
