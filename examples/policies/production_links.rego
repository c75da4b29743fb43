# No production page is disconnected or unlinked by a plan: a refactor, a
# renamed for_each key or a wrong -target must not take a live channel down.
# Run with: socialform plan --policy examples/policies
package main

import rego.v1

# The Facebook Page IDs in production. Their links change by hand only.
production_page_ids := {"107100000000001"}

deny contains msg if {
	some rc in input.resource_changes
	rc.type == "link"
	"delete" in rc.change.actions
	rc.change.before.page in production_page_ids
	msg := sprintf(
		"%s would unlink production page %s; unlink it in the dashboard, or take the page off production_page_ids first",
		[rc.address, rc.change.before.page],
	)
}

deny contains msg if {
	some rc in input.resource_changes
	rc.type == "page"
	"delete" in rc.change.actions
	rc.change.before.page_id in production_page_ids
	msg := sprintf(
		"%s would disconnect production page %s from the Vonage account",
		[rc.address, rc.change.before.page_id],
	)
}
