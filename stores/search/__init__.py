"""OpenSearch: the candidate, requisition and saved-search indexes, behind one adapter.

`store.SearchStore` owns the client and is what the rest of the system calls; the
modules beside it each do one job for it: index definitions and administration
(`candidate_index`, `requisitions`, `saved_searches`, `aliases`), the scripts that fold
partial updates into a candidate's document (`candidate_scripts`), writes
(`candidate_writes`, `versioned`), and the query language (`query_dsl`,
`candidate_queries`).
"""
