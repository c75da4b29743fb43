# Many pages from one block: one page per region, each linked to the bot of
# its region. Tokens come from the environment (SF_VAR_region_tokens) or an
# .sfvars file kept out of git; here, a sandbox-only sfvars file.
provider "vonage" {
  endpoint = "sandbox"
}

variable "regions" {
  description = "Region key => Facebook Page ID"
  type        = map(string)
  default = {
    emea = "107200000000001"
    apac = "107200000000002"
    amer = "107200000000003"
  }
}

variable "region_tokens" {
  type      = map(string)
  sensitive = true
}

locals {
  bots = {
    emea = "c0ffee00-0000-4000-8000-000000000001"
    apac = "c0ffee00-0000-4000-8000-000000000001"
    amer = "c0ffee00-0000-4000-8000-000000000002"
  }
}

page "region" {
  for_each     = var.regions
  page_id      = each.value
  name         = "Acme ${upper(each.key)}"
  access_token = var.region_tokens[each.key]
}

link "region" {
  for_each    = var.regions
  page        = page.region[each.key].page_id
  application = local.bots[each.key]
}
