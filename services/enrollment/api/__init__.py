"""Enrolment's gRPC servicers: households, members and their years (EnrollmentService)
and the change feed of what a settlement needs (EnrollmentFeedService)."""
