"""The NCMS centre's web console (合管中心管理台): pages over the suite's gRPC services."""
