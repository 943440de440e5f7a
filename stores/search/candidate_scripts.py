"""Painless scripts that fold partial updates into a candidate's document.

A candidate's document is written by three streams that may arrive in any order and
more than once: its own snapshots, its resume text, and its submissions' stages. Each
script changes only what its stream owns and only moves forward.
"""

from __future__ import annotations

# A candidate's document is replaced by each newer snapshot but keeps what arrives on
# events of its own (resume text, the pipeline's counts); an older snapshot changes
# nothing. The same script writes over a pipeline-only stub (no version yet).
UPSERT_CANDIDATE_SCRIPT = """
if (ctx._source.version != null && ctx._source.version > params.doc.version) {
  ctx.op = 'none';
  return;
}
def kept = [:];
for (key in params.kept) {
  if (ctx._source.containsKey(key)) { kept[key] = ctx._source[key]; }
}
ctx._source.clear();
ctx._source.putAll(params.doc);
ctx._source.putAll(kept);
"""
KEPT_FIELDS = [
    "resume_text",
    "resume_skill_keys",
    "submissions",
    "stage_counts",
    "stages",
    "active_submissions",
]
"""What a snapshot does not carry and an upsert therefore keeps."""

# One submission's stage folded into its candidate's document: a submission's entry only
# moves to a newer version, so redelivered and out-of-order events change nothing, and
# the counts are derived from the entries, never incremented. When the candidate's own
# events have not been indexed yet, this makes a stub (no `version`) that searches skip
# and the candidate's first snapshot fills in.
PIPELINE_SCRIPT = """
if (ctx._source.submissions == null) { ctx._source.submissions = [:]; }
if (ctx._source.tenant_id == null) { ctx._source.tenant_id = params.tenant_id; }
if (ctx._source.id == null) { ctx._source.id = params.candidate_id; }
boolean changed = false;
for (entry in params.entries.entrySet()) {
  def prior = ctx._source.submissions[entry.getKey()];
  if (prior == null || prior.version < entry.getValue().version) {
    ctx._source.submissions[entry.getKey()] = entry.getValue();
    changed = true;
  }
}
if (!changed) { ctx.op = 'none'; return; }
def counts = [:];
int active = 0;
for (s in ctx._source.submissions.values()) {
  counts[s.stage] = counts.getOrDefault(s.stage, 0) + 1;
  if (!params.closed.contains(s.stage)) { active += 1; }
}
ctx._source.stage_counts = counts;
ctx._source.stages = new ArrayList(counts.keySet());
ctx._source.active_submissions = active;
"""
SET_RESUME_SCRIPT = (
    "ctx._source.resume_text = params.text; ctx._source.resume_skill_keys = params.skill_keys"
)
