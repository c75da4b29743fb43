# Moving a page from one Vonage application to another. The API allows one
# application per page, so socialform unlinks the old one strictly before it
# links the new one. See README.md beside this file for the walk-through.
provider "vonage" {
  endpoint = "sandbox"
}

variable "support_token" {
  type      = string
  sensitive = true
  default   = "sandbox-token-support" # sandbox only; never a real token
}

variable "bot" {
  description = "Which bot answers the page: support or sales"
  type        = string
  default     = "support"
}

locals {
  bots = {
    support = "c0ffee00-0000-4000-8000-000000000001"
    sales   = "c0ffee00-0000-4000-8000-000000000002"
  }
}

page "support" {
  page_id      = "107300000000001"
  name         = "Acme Support"
  access_token = var.support_token
}

link "support" {
  page        = page.support.page_id
  application = local.bots[var.bot]
}
