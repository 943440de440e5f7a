"""The changes feed: every domain event recorded, ids and versions only, for GET /changes."""
