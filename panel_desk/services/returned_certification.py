"""The "no conflict" certificates a return carries, checked again on the hub for the whole
return at once.

conflict_declarations.certify_no_conflict runs the conflict rules for one reviewer and one
submission, brings the stored flags in line, and refuses the certificate when a flag
blocks. Done review by review that costs a dozen queries each; here the rules run once for
the reviewer and all the submissions their return certifies, on facts read for the whole
batch (returned_batch.HubRound), and are compared with the flags stored for those pairs.
Only a pair where the two disagree, or where a flag blocks, goes through
certify_no_conflict itself, which brings the flags in line and refuses or records exactly
as before. The rest are certified: the review versions carry the certificate, and the
return's audit event names them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from panel_desk.services import conflict_declarations
from panel_desk.services.conflict_flags import BLOCKING
from panel_desk.services.conflict_rules import RoundFacts, find_conflicts
from panel_desk.services.returned_batch import ReturnBatch
from panel_desk.services.returned_state import Assigned, HubRound, Reviewer
from panel_desk.services.review_assignments import OWN_DECLARATION_RULE


def _differs(stored: str, evidence: dict[str, Any]) -> bool:
    """As conflicts._sync compares: the stored text first, parsed only when it differs."""
    return stored != json.dumps(evidence) and json.loads(stored) != evidence


def to_check_one_by_one(
    hub: HubRound, reviewer: Reviewer, submission_ids: Sequence[int]
) -> set[int]:
    """The submissions whose certificate certify_no_conflict must judge (see module doc)."""
    base = hub.facts_base
    person = hub.people_facts.get(reviewer.person_id)
    submissions = [hub.submission_facts[s] for s in submission_ids if s in hub.submission_facts]
    findings: dict[int, dict[str, Any]] = {}
    if base is not None and person is not None and submissions:
        facts = RoundFacts(
            base.cutoff, base.shared_domains, {person.id: person}, submissions, base.matcher
        )
        for (_pid, sid, rule), evidence in find_conflicts(facts).items():
            findings.setdefault(sid, {})[rule] = evidence
    slow = set()
    for sid in submission_ids:
        stored = hub.flags.get((reviewer.person_id, sid), [])
        if any(status in BLOCKING for _, _, status in stored):
            slow.add(sid)
            continue
        kept = {rule: text for rule, text, _ in stored if rule != OWN_DECLARATION_RULE}
        found = findings.get(sid, {})
        if kept.keys() != found.keys() or any(_differs(kept[r], e) for r, e in found.items()):
            slow.add(sid)
    return slow


def certify_returned(
    batch: ReturnBatch, hub: HubRound, reviewer: Reviewer, submitted: Sequence[tuple[str, Assigned]]
) -> list[str]:
    """Check the certificates of the submitted reviews; BadInput when one cannot stand.
    Returns the refs certified here (the others were recorded by certify_no_conflict)."""
    slow = to_check_one_by_one(hub, reviewer, [a.submission_id for _, a in submitted])
    if slow:
        batch.flush()  # certify_no_conflict reads the versions just applied
        for ref, assigned in submitted:
            if assigned.submission_id in slow:
                conflict_declarations.certify_no_conflict(
                    batch.session, hub.round.ref, reviewer.email, ref
                )
        batch.forget(hub, reviewer)  # its flags may have changed
    return [ref for ref, a in submitted if a.submission_id not in slow]
