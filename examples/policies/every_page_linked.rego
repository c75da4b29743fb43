# Every page the configuration keeps is linked to an application: a page
# connected without a link receives messages that go nowhere. (socialform
# itself refuses a link to an application without the Messages capability,
# so a link here is a link to a messages application.)
package main

import rego.v1

# Page IDs that will have a link once the plan is applied. The plan lists
# every declared resource, unchanged ones as "no-op", so this is the whole
# configuration, not only what changes.
linked_page_ids contains rc.change.after.page if {
	some rc in input.resource_changes
	rc.type == "link"
	rc.change.after != null
}

deny contains msg if {
	some rc in input.resource_changes
	rc.type == "page"
	rc.change.after != null
	not rc.change.after.page_id in linked_page_ids
	msg := sprintf(
		"%s (page %s) is linked to no application: add a link block for it",
		[rc.address, rc.change.after.page_id],
	)
}
