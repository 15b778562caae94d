"""CatalogFeedService: the catalog's state and its changes, for the services that keep
a copy of what a bill needs (runtime.change_feed)."""

from __future__ import annotations

from ncms.catalog.v1 import catalog_pb2, catalog_pb2_grpc
from runtime.auth import require_centre_system
from runtime.change_feed import ChangeFeed, PageToken, follow, page_size
from runtime.db import Database
from runtime.timestamps import timestamp

from .. import repository
from .messages import hospital_row_state, ncms_state, stamped

NCMS_ITEMS, HOSPITAL_ITEMS = 0, 1  # the parts of a listing, in order


class CatalogFeedServicer(catalog_pb2_grpc.CatalogFeedServiceServicer):
    def __init__(self, db: Database, feed: ChangeFeed) -> None:
        self.db = db
        self.feed = feed

    def ListCatalogState(self, request, context):
        require_centre_system()
        limit = page_size(request.page_size)
        items: list[catalog_pb2.CatalogChange] = []
        following: PageToken | None = None
        with self.db.read() as connection:
            token = PageToken.parse(request.page_token) or PageToken(NCMS_ITEMS, 0, self.feed.head(connection))
            if token.part == NCMS_ITEMS:
                rows = repository.current_ncms_page(connection, int(token.after or 0), limit)
                items += [ncms_state(row) for row in rows]
                if len(rows) == limit:
                    following = PageToken(NCMS_ITEMS, rows[-1].id, token.sequence)
                else:
                    token = PageToken(HOSPITAL_ITEMS, 0, token.sequence)
            if following is None:
                room = limit - len(items)
                rows = repository.hospital_items_page(connection, int(token.after or 0), room)
                items += [hospital_row_state(row) for row in rows]
                if rows and len(rows) == room:
                    following = PageToken(HOSPITAL_ITEMS, rows[-1].id, token.sequence)
        return catalog_pb2.ListCatalogStateResponse(items=items, sequence=token.sequence,
                                                    next_page_token=following.text() if following else "")

    def WatchCatalogChanges(self, request, context):
        require_centre_system()
        for changes, head in follow(self.feed, request.after_sequence,
                                    stopping=lambda: not context.is_active()):
            yield catalog_pb2.WatchCatalogChangesResponse(
                changes=[stamped(c.payload, c.sequence, timestamp(c.created_at)) for c in changes],
                head_sequence=head)
