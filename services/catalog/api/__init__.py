"""The catalog's gRPC servicers: the catalogs themselves (CatalogService) and their
change feed (CatalogFeedService)."""
